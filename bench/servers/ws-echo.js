// A WebSocket echo server (ws on Express 5's HTTP server): bare, or under serve() with fcRuntime (BENCH_WS=adapter).
'use strict';
require('./probe');
const http = require('http');
const express = require('express');
const { WebSocketServer } = require('ws');
const { port } = require('./app');

const app = express();
const adapter = process.env.BENCH_WS === 'adapter';
// BENCH_WS=als: bare, with an AsyncLocalStorage in use, as any app with request context has: what
// Node's async hooks cost apart from anything the runtime does per message.
if (process.env.BENCH_WS === 'als') new (require('async_hooks').AsyncLocalStorage)().run({}, () => undefined);
// Under serve() every connection is an invocation and every event of its socket runs in its context.
const server = adapter ? require(process.env.BENCH_RUNTIME || '../..').serve(app) : http.createServer(app);
const wss = new WebSocketServer({ server });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
if (!adapter) server.listen(port(), '0.0.0.0');
module.exports = server; // for bench/websocket.js's instruction count, which drives it in-process
