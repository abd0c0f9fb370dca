// Peer: a cls-hooked namespace holding the request id, as context middlewares built on it do.
'use strict';
require('./probe');
const { createNamespace } = require('cls-hooked');
const { createApp, port } = require('./app');

const namespace = createNamespace('bench');
const app = createApp({
  before: [
    (req, res, next) => {
      namespace.bindEmitter(req);
      namespace.bindEmitter(res);
      namespace.run(() => {
        namespace.set('requestId', req.headers['x-fc-request-id']);
        next();
      });
    },
  ],
  requestId: () => namespace.get('requestId'),
});
app.listen(port(), '0.0.0.0');
