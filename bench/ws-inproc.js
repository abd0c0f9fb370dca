// In-process WebSocket echo for the instruction count: the echo server and its clients in one process,
// BENCH_WS_MESSAGES messages over 10 connections, then exit.
'use strict';
const WebSocket = require('ws');

const server = require('./servers/ws-echo');
const total = Number(process.env.BENCH_WS_MESSAGES);
const MESSAGE = Buffer.from(JSON.stringify({ type: 'message', text: 'x'.repeat(64) }));

function run() {
  const { port } = server.address();
  let left = total;
  let open = 10;
  for (let i = 0; i < 10; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    ws.on('open', () => ws.send(MESSAGE));
    ws.on('message', () => {
      if (--left > 0) return ws.send(MESSAGE);
      ws.close();
    });
    ws.on('close', () => --open === 0 && process.exit(0));
  }
}
if (server.listening) run();
else server.once('listening', run);
