// Bare Express 5: the baseline every other variant is divided by.
'use strict';
require('./probe');
const { createApp, port } = require('./app');

const app = createApp({ requestId: (req) => req.headers['x-fc-request-id'] });
app.listen(port(), '0.0.0.0');
