// Peer: cls-rtracer taking the request id from x-fc-request-id.
'use strict';
require('./probe');
const rTracer = require('cls-rtracer');
const { createApp, port } = require('./app');

const app = createApp({
  before: [rTracer.expressMiddleware({ useHeader: true, headerName: 'x-fc-request-id' })],
  requestId: () => rTracer.id(),
});
app.listen(port(), '0.0.0.0');
