// An unchanged legacy app that listens on its own; the driver starts it with `-r dist/register.js`.
'use strict';
require('./probe');
const { createApp } = require('./app');

const app = createApp({ requestId: (req) => req.headers['x-fc-request-id'] });
app.listen(Number(process.env.PORT) || 3000);
