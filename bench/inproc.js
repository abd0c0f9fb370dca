// Preloaded (-r) by `npm run bench -- --instructions`: drives BENCH_INPROC requests through the
// variant's own server in this process — no sockets, no client — so that an instruction count of
// the whole process says what the server does per request, whatever else the machine is doing.
'use strict';
const http = require('http');
const { Duplex } = require('stream');
const { WORKLOADS } = require('./load');

const count = Number(process.env.BENCH_INPROC);
const workload = WORKLOADS[process.env.BENCH_WORKLOAD ?? 'trivial'];
const raw = [...Object.entries(workload.headers).flat(), 'host', '127.0.0.1', 'connection', 'keep-alive'];
if (workload.body !== undefined) raw.push('content-length', String(Buffer.byteLength(workload.body)));

/** A connection that swallows what the response writes. */
class Sink extends Duplex {
  _write(_chunk, _encoding, callback) {
    callback();
  }
  _writev(_chunks, callback) {
    callback();
  }
  _read() {}
}

/** One request as Node's HTTP server would hand it over, resolved once the response has closed. */
function oneRequest(server) {
  return new Promise((resolve) => {
    const socket = new Sink();
    const req = new http.IncomingMessage(socket);
    req.method = workload.method;
    req.url = workload.path;
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    req.httpVersion = '1.1';
    req.rawHeaders = raw.slice();
    const headers = {};
    for (let i = 0; i < raw.length; i += 2) headers[raw[i].toLowerCase()] = raw[i + 1];
    req.headers = headers;
    if (workload.body !== undefined) req.push(Buffer.from(workload.body));
    req.push(null);
    req.complete = true;
    const res = new http.ServerResponse(req);
    res.assignSocket(socket);
    res.on('finish', () => {
      if (res.statusCode !== 200) failed++;
      res.detachSocket(socket);
      process.nextTick(() => {
        res.emit('close');
        resolve();
      });
    });
    server.emit('request', req, res);
  });
}

let failed = 0;

async function drive(server) {
  for (let i = 0; i < count; i++) {
    await oneRequest(server);
    // A turn of the event loop now and then, as a server under load has: End markers go out per turn.
    if (i % 4 === 3) await new Promise((resolve) => setImmediate(resolve));
  }
  if (failed > 0) process.stderr.write(`inproc: ${failed} of ${count} requests did not answer 200\n`);
  process.exit(failed > 0 ? 1 : 0);
}

// The variant's script calls listen() (itself, through serve() or through register): that server is the one driven.
const listen = http.Server.prototype.listen;
let driven = false;
http.Server.prototype.listen = function inprocListen(...args) {
  const server = listen.apply(this, args);
  if (!driven) {
    driven = true;
    this.once('listening', () => drive(this));
  }
  return server;
};
