// The hand-written peer: what a team would put in front of Express for FC with the best libraries —
// pino-http's one line per request with FC's request id, an AsyncLocalStorage context with the
// credentials, on-headers for x-fc-status, the credential headers removed.
'use strict';
require('./probe');
const { AsyncLocalStorage } = require('async_hooks');
const { randomUUID } = require('crypto');
const onHeaders = require('on-headers');
const pinoHttp = require('pino-http');
const { createApp, port } = require('./app');

const store = new AsyncLocalStorage();

// Writes to stdout (fd 1), synchronously, as pino does by default. It must come after the
// credential headers are gone: it serializes the request, headers and all, when the request starts.
const logRequests = pinoHttp({ genReqId: () => store.getStore().requestId });

function fcContext(req, res, next) {
  const headers = req.headers;
  const context = {
    requestId: headers['x-fc-request-id'] || randomUUID(),
    credentials: {
      accessKeyId: headers['x-fc-access-key-id'],
      accessKeySecret: headers['x-fc-access-key-secret'],
      securityToken: headers['x-fc-security-token'],
    },
    functionName: headers['x-fc-function-name'],
    region: headers['x-fc-region'],
  };
  delete headers['x-fc-access-key-secret'];
  delete headers['x-fc-security-token'];
  onHeaders(res, function setFcStatus() {
    if (this.getHeader('x-fc-status') === undefined) this.setHeader('x-fc-status', this.statusCode >= 500 ? '404' : '200');
  });
  store.run(context, next);
}

const app = createApp({ before: [fcContext, logRequests], requestId: () => store.getStore().requestId });
app.listen(port(), '0.0.0.0');
