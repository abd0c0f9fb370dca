// Peer: express-http-context holding the request id.
'use strict';
require('./probe');
const httpContext = require('express-http-context');
const { createApp, port } = require('./app');

const app = createApp({
  before: [
    httpContext.middleware,
    (req, res, next) => {
      httpContext.set('requestId', req.headers['x-fc-request-id']);
      next();
    },
  ],
  requestId: () => httpContext.get('requestId'),
});
app.listen(port(), '0.0.0.0');
