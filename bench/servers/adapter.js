// Express 5 with fcRuntime, everything on: context, credentials, markers, console capture, x-fc-status; served by serve().
'use strict';
require('./probe');
// BENCH_RUNTIME: another build of the package to compare with (a directory with package.json and dist/).
const { fcRuntime, serve, currentContext } = require(process.env.BENCH_RUNTIME || '../..');
const { createApp, handleEvent } = require('./app');

const app = createApp({
  before: [fcRuntime({ invoke: async (event) => handleEvent(event) })],
  requestId: () => currentContext().requestId,
});
serve(app); // FC_CUSTOM_LISTEN_PORT, 0.0.0.0
