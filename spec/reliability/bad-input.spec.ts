// Bad input: each answered with a clear message, the right status and x-fc-status; the process lives and the next request is fine.
import { expect } from 'chai';
import express from 'express';
import express4 from 'express4';
import { Agent, request as httpRequest, type Server } from 'http';
import { runInNewContext } from 'vm';
import { serve, type FcContext, type Options } from '../../lib';
import { close, expressFlavours, fcHeaders, listenPerTest, portOf } from '../helpers/apps';
import { call, type Answer } from '../helpers/http';
import { expectOneInvocation } from '../helpers/markers';
import { escapeRegExp, recordOutput } from '../helpers/output';
import { deferred, pool, rawConnection, readAll } from './helpers';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Values a handler may throw that are not Errors of this realm, and what FC must be told of each. */
const THROWN: { name: string; make: () => unknown; errorType: string; errorMessage: string; stack: boolean }[] = [
  { name: 'undefined', make: () => undefined, errorType: 'undefined', errorMessage: 'undefined', stack: false },
  { name: 'a number', make: () => 42, errorType: 'number', errorMessage: '42', stack: false },
  { name: 'a symbol', make: () => Symbol('thrown'), errorType: 'symbol', errorMessage: 'Symbol(thrown)', stack: false },
  { name: 'a bigint', make: () => 10n, errorType: 'bigint', errorMessage: '10n', stack: false },
  {
    name: 'an error-like plain object',
    make: () => ({ message: 'looks like one', code: 'E_LIKE' }),
    errorType: 'object',
    errorMessage: "{ message: 'looks like one', code: 'E_LIKE' }",
    stack: false,
  },
  {
    name: 'an Error of another realm (vm)',
    make: () => runInNewContext('new TypeError("from another realm")'),
    errorType: 'TypeError',
    errorMessage: 'from another realm',
    stack: true,
  },
  {
    name: 'an Error whose stack getter throws',
    make: () => {
      const error = new RangeError('stack unreadable');
      Object.defineProperty(error, 'stack', {
        get() {
          throw new Error('no stack for you');
        },
      });
      return error;
    },
    errorType: 'RangeError',
    errorMessage: 'stack unreadable',
    stack: false,
  },
  {
    name: 'a Proxy that throws on every trap',
    make: () =>
      new Proxy(
        {},
        {
          get: () => {
            throw new Error('trap');
          },
          getPrototypeOf: () => {
            throw new Error('trap');
          },
          ownKeys: () => {
            throw new Error('trap');
          },
          getOwnPropertyDescriptor: () => {
            throw new Error('trap');
          },
        },
      ),
    errorType: 'object',
    errorMessage: '{}',
    stack: false,
  },
];

interface Case {
  name: string;
  /** Sends the bad request through `agent` (one keep-alive connection). */
  send(port: number, agent: Agent): Promise<Answer>;
  status: number;
  /** What the answer's body says. */
  body: RegExp | ((answer: Answer) => void);
  /** A log line the runtime or Express writes for it. */
  logged?: RegExp;
}

function event(extra: Record<string, string> = {}) {
  return fcHeaders({ 'x-fc-control-path': '/invoke', ...extra });
}

const fcError = (errorType: string, message: RegExp | string) => (res: Answer) => {
  const body = JSON.parse(res.text);
  expect(body, res.text).to.have.all.keys('errorMessage', 'errorType', 'stackTrace');
  expect(body.errorType).to.equal(errorType);
  if (typeof message === 'string') expect(body.errorMessage).to.equal(message);
  else expect(body.errorMessage).to.match(message);
};

const CASES: Case[] = [
  {
    name: 'a duplicated x-fc-control-path',
    send: (port, agent) =>
      call(port, {
        method: 'POST',
        path: '/invoke',
        headers: { ...event(), 'x-fc-control-path': ['/invoke', '/invoke'] },
        body: '{}',
        agent,
      }),
    status: 400,
    body: fcError(
      'UnknownControlPath',
      'Unknown x-fc-control-path "/invoke, /invoke"; FC sends /invoke, /initialize, /pre-freeze, /pre-stop, /http-invoke.',
    ),
  },
  {
    name: 'a control path without its slash',
    send: (port, agent) =>
      call(port, { method: 'POST', path: '/invoke', headers: event({ 'x-fc-control-path': 'invoke' }), body: '{}', agent }),
    status: 400,
    body: fcError('UnknownControlPath', /^Unknown x-fc-control-path "invoke"; FC sends \/invoke, /),
  },
  {
    name: 'an unknown control path',
    send: (port, agent) =>
      call(port, { method: 'POST', path: '/reboot', headers: event({ 'x-fc-control-path': '/reboot' }), body: '', agent }),
    status: 400,
    body: fcError('UnknownControlPath', /^Unknown x-fc-control-path "\/reboot"; FC sends /),
    logged: /\[ERROR\] UnknownControlPath: Unknown x-fc-control-path "\/reboot"/,
  },
  {
    name: 'a control request with the wrong method',
    send: (port, agent) =>
      call(port, { method: 'GET', path: '/initialize', headers: fcHeaders({ 'x-fc-control-path': '/initialize' }), agent }),
    status: 405,
    body: (res) => {
      fcError('MethodNotAllowed', '/initialize takes POST, not GET.')(res);
      expect(res.headers.allow).to.equal('POST');
    },
  },
  {
    name: 'invalid JSON for a JSON event handler',
    send: (port, agent) => call(port, { method: 'POST', path: '/invoke', headers: event(), body: '{"order": 12,', agent }),
    status: 404,
    body: fcError('SyntaxError', /JSON/),
    logged: /\[ERROR\] SyntaxError: .*JSON/,
  },
  {
    name: 'a 0-byte event for a JSON event handler',
    send: (port, agent) => call(port, { method: 'POST', path: '/invoke', headers: event(), body: '', agent }),
    status: 404,
    body: fcError('SyntaxError', /end of JSON input|Unexpected end/),
  },
  {
    name: 'an oversize event sent chunked, without content-length',
    send: (port, agent) =>
      call(port, {
        method: 'POST',
        path: '/invoke',
        headers: event(),
        body: Array.from({ length: 8 }, () => Buffer.alloc(512, 'c')),
        agent,
      }),
    status: 413,
    body: fcError('EventTooLarge', /over the 1KB limit \(option "limit" of fcRuntime\(\)\)/),
  },
  {
    name: 'an event handler that never answers (option timeout)',
    send: (port, agent) => call(port, { method: 'POST', path: '/invoke', headers: event(), body: '"never"', agent }),
    status: 404,
    body: fcError('TimeoutError', 'The event handler did not finish within 200 ms (option "timeout" of fcRuntime()).'),
    logged: /\[ERROR\] TimeoutError: The event handler did not finish within 200 ms/,
  },
  ...THROWN.map((thrown, index): Case => ({
    name: `an event handler that throws ${thrown.name}`,
    send: (port, agent) => call(port, { method: 'POST', path: '/invoke', headers: event(), body: JSON.stringify({ throw: index }), agent }),
    status: 404,
    body: (res) => {
      const body = JSON.parse(res.text);
      expect(body).to.include({ errorType: thrown.errorType, errorMessage: thrown.errorMessage });
      expect(body.stackTrace).to.be.an('array');
      if (thrown.stack) expect(body.stackTrace).not.to.be.empty;
    },
    logged: /\[ERROR\] /,
  })),
  {
    name: 'an invalid JSON event for an eventPath route with express.json()',
    send: (port, agent) =>
      call(port, {
        method: 'POST',
        path: '/invoke',
        headers: event({ 'x-fc-request-id': `path-${fcHeaders()['x-fc-request-id']}`, 'content-type': 'application/json' }),
        body: '{"order": 12,',
        agent,
      }),
    status: 400,
    body: /SyntaxError|JSON/,
  },
];

describe('reliability: bad input', function () {
  this.timeout(20_000);
  const output = recordOutput();

  for (const flavour of expressFlavours) {
    describe(flavour.name, () => {
      const listenForTest = listenPerTest();
      const json = flavour.name === 'Express 4' ? express4.json : express.json;
      let server: Server;
      let agent: Agent;
      let invoked: number;
      let contexts: FcContext[];

      beforeEach(async () => {
        invoked = 0;
        contexts = [];
        const options: Options = {
          limit: '1kb',
          timeout: 200,
          invoke: (event) => {
            invoked++;
            const parsed = JSON.parse(event.toString());
            if (parsed === 'never') return new Promise(() => undefined);
            if (typeof parsed?.throw === 'number') throw THROWN[parsed.throw].make();
            return { ok: true, parsed };
          },
        };
        const sites = flavour.app(options, (app) => {
          app.get('/page', (req, res) => {
            contexts.push(req.fc!);
            res.send('page');
          });
        });
        // Events whose id starts with path- go to a second runtime that re-dispatches them to a JSON route.
        const routed = flavour.app({ eventPath: '/events', limit: '1kb' }, (app) =>
          app.post('/events', json(), (req, res) => res.json(req.body)),
        );
        server = await listenForTest((req, res) =>
          String(req.headers['x-fc-request-id']).startsWith('path-') ? routed(req, res) : sites(req, res),
        );
        agent = new Agent({ keepAlive: true, maxSockets: 1 });
      });
      afterEach(() => agent.destroy());

      /** The next request on the same connection is answered as usual. */
      async function expectNextFine(): Promise<void> {
        const headers = fcHeaders();
        const res = await call(portOf(server), { path: '/page', headers, agent });
        expect(res.status).to.equal(200);
        expect(res.text).to.equal('page');
        expect(res.headers['x-fc-status']).to.equal('200');
        const good = await call(portOf(server), { method: 'POST', path: '/invoke', headers: event(), body: '{"n":1}', agent });
        expect(good.status).to.equal(200);
        expect(JSON.parse(good.text)).to.deep.equal({ ok: true, parsed: { n: 1 } });
      }

      for (const bad of CASES) {
        it(`answers ${bad.name} with ${bad.status} and x-fc-status 404, then serves the next request on the connection`, async () => {
          let connections = 0;
          server.on('connection', () => connections++);
          const res = await bad.send(portOf(server), agent);
          expect(res.status, res.text).to.equal(bad.status);
          expect(res.headers['x-fc-status']).to.equal('404');
          if (typeof bad.body === 'function') bad.body(res);
          else expect(res.text).to.match(bad.body);
          if (bad.logged !== undefined) await output().waitFor(bad.logged);
          await expectNextFine();
          expect(connections, 'connections opened').to.equal(1);
        });
      }

      it('serves a duplicated x-fc-request-id (Node joins it into "dup-a, dup-b", no plain token) under a fresh id, with its markers', async () => {
        const res = await call(portOf(server), {
          path: '/page',
          headers: { ...fcHeaders(), 'x-fc-request-id': ['dup-a', 'dup-b'] },
          agent,
        });
        expect(res.status).to.equal(200);
        expect(contexts[0].requestId).to.match(UUID);
        await expectOneInvocation(output(), 'Invoke', contexts[0].requestId);
        await expectNextFine();
      });

      it('gives a request with an empty x-fc-request-id a generated one', async () => {
        await call(portOf(server), { path: '/page', headers: fcHeaders({ 'x-fc-request-id': '' }), agent });
        expect(contexts[0].requestId).to.match(UUID);
        await expectOneInvocation(output(), 'Invoke', contexts[0].requestId);
      });

      it('reads non-numeric and duplicated memory and timeout headers as absent, and serves the request', async () => {
        for (const [memory, timeout] of [
          ['lots', 'soon'],
          ['512MB', '30s'],
          ['', ' '],
        ]) {
          const res = await call(portOf(server), {
            path: '/page',
            headers: fcHeaders({ 'x-fc-function-memory': memory, 'x-fc-initialization-timeout': timeout }),
            agent,
          });
          expect(res.status).to.equal(200);
        }
        const dup = await call(portOf(server), {
          path: '/page',
          headers: { ...fcHeaders(), 'x-fc-function-memory': ['512', '1024'] },
          agent,
        });
        expect(dup.status).to.equal(200);
        expect(contexts.map((c) => [c.function.memory, c.function.initializationTimeout])).to.deep.equal([
          [undefined, undefined],
          [undefined, undefined],
          [undefined, undefined],
          [undefined, 30],
        ]);
      });

      it('runs the initializer without a timeout when x-fc-initialization-timeout is not a number', async () => {
        const res = await call(portOf(server), {
          method: 'POST',
          path: '/initialize',
          headers: fcHeaders({ 'x-fc-control-path': '/initialize', 'x-fc-initialization-timeout': 'soon' }),
          agent,
        });
        expect(res.status).to.equal(200);
        expect(res.headers['x-fc-status']).to.equal('200');
        await expectNextFine();
      });

      it('lets Node answer a request with a malformed header line 400, with no invocation begun', async () => {
        const socket = await rawConnection(portOf(server));
        const answer = readAll(socket);
        socket.write('GET /page HTTP/1.1\r\nHost: x\r\nx-fc-request-id: bad\u0001id\r\n\r\n');
        expect(await answer).to.match(/^HTTP\/1\.1 400 Bad Request\r\n/);
        expect(output().stdout).not.to.include('bad\u0001id');
        await expectNextFine();
      });

      it('logs an event cut short by its client at WARN, never calls the handler, and ends the invocation once', async () => {
        const headers = event({ 'content-length': '100' });
        const id = headers['x-fc-request-id'];
        const arrived = deferred();
        server.on('request', () => arrived.resolve());
        const req = httpRequest({ host: '127.0.0.1', port: portOf(server), method: 'POST', path: '/invoke', headers, agent: false });
        const failed = new Promise((resolve) => req.on('error', resolve));
        req.write('{"truncated": "');
        await arrived.promise;
        req.destroy();
        await failed;
        await output().waitFor(
          new RegExp(
            `${escapeRegExp(id)} \\[WARN\\] The client left before the event was read \\(15 of 100 bytes came\\); the handler was not called\\.$`,
          ),
        );
        await expectOneInvocation(output(), 'Invoke', id);
        expect(invoked).to.equal(0);
        await expectNextFine();
      });
    });
  }

  describe('a slow-loris client under serve()', () => {
    let server: Server | undefined;
    afterEach(async () => {
      if (server !== undefined) await close(server);
      server = undefined;
    });

    it('keeps a connection that trickles its request byte by byte, serves others meanwhile, and answers it in the end', async function () {
      const app = express();
      app.get('/page', (_req, res) => res.send('page'));
      server = serve(app, { port: 0, host: '127.0.0.1', invoke: (event) => `got ${event.length} bytes` });
      await new Promise((resolve) => server!.once('listening', resolve));
      const port = portOf(server);
      const body = 'slow event body';
      const headers = Object.entries(event({ 'content-length': String(body.length) }))
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('');
      const request = `POST /invoke HTTP/1.1\r\nHost: slow\r\n${headers}\r\n${body}`;
      const socket = await rawConnection(port);
      const answer = readAll(socket);
      let sent = 0;
      const trickled = new Promise<void>((resolve) => {
        // Paced, not synchronising: about a second and a half of bytes, as a slow client sends them.
        const timer = setInterval(() => {
          const step = Math.ceil(request.length / 150);
          socket.write(request.slice(sent, sent + step));
          sent += step;
          if (sent >= request.length) {
            clearInterval(timer);
            resolve();
          }
        }, 10);
      });
      // Others are served while the slow request is still coming.
      await pool(40, 10, async () => {
        const res = await call(port, { path: '/page', headers: fcHeaders(), timeoutMs: 5000 });
        expect(res.status).to.equal(200);
      });
      expect(sent, 'bytes of the slow request sent when the others were done').to.be.below(request.length);
      await trickled;
      socket.end();
      const text = await answer;
      expect(text).to.match(/^HTTP\/1\.1 200 OK\r\n/);
      expect(text).to.include('x-fc-status: 200');
      expect(text.endsWith(`got ${body.length} bytes`)).to.equal(true);
    });
  });
});
