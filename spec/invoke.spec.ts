import { expect } from 'chai';
import express from 'express';
import express4 from 'express4';
import { Agent, type Server } from 'http';
import request from 'supertest';
import type { FcContext, InvokeHandler, Options } from '../lib';
import { bareApp, expressFlavours, fcHeaders, listenPerTest } from './helpers/apps';
import { call, type Answer } from './helpers/http';
import { expectOneInvocation } from './helpers/markers';
import { escapeRegExp, recordOutput } from './helpers/output';

const raws: Record<string, typeof express.raw> = { 'Express 5': express.raw, 'Express 4': express4.raw };

/** Reads any response body as a Buffer, whatever its content-type says. */
function binary(res: request.Response, done: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  const stream = res as unknown as NodeJS.ReadableStream;
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
}

/** Every byte value, twice, and bytes that are no valid UTF-8. */
const BINARY = Buffer.concat([Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256)), Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0x00])]);

/** POST through a given agent, to control which connection carries the request. */
function post(server: Server, agent: Agent, headers: Record<string, string>, body: Buffer): Promise<Answer> {
  const sent = { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(body.length) };
  return call(server, { method: 'POST', path: '/invoke', headers: sent, body, agent, timeoutMs: 5000 });
}

interface Failure {
  title: string;
  handler: InvokeHandler;
  errorType: string;
  errorMessage: string | RegExp;
  /** An Error: its stack comes as `at …` lines. */
  stack: boolean;
  /** What the ERROR line says after the request id. */
  logged: RegExp;
}

class EventRejected extends Error {
  override name = 'EventRejected';
}

const FAILURES: Failure[] = [
  {
    title: 'a thrown Error, typed by its name',
    handler: () => {
      throw new TypeError('bad input');
    },
    errorType: 'TypeError',
    errorMessage: 'bad input',
    stack: true,
    logged: /\[ERROR\] TypeError: bad input/,
  },
  {
    title: 'an instance of a custom error class',
    handler: () => {
      throw new EventRejected('quota exceeded');
    },
    errorType: 'EventRejected',
    errorMessage: 'quota exceeded',
    stack: true,
    logged: /\[ERROR\] \w+: quota exceeded/,
  },
  /* eslint-disable @typescript-eslint/only-throw-error -- a thrown string, null or plain object is the case under test */
  {
    title: 'a thrown string',
    handler: () => {
      throw 'boom';
    },
    errorType: 'string',
    errorMessage: 'boom',
    stack: false,
    logged: /\[ERROR\] '?boom'?$/,
  },
  {
    title: 'a thrown null',
    handler: () => {
      throw null;
    },
    errorType: 'null',
    errorMessage: 'null',
    stack: false,
    logged: /\[ERROR\] null$/,
  },
  {
    title: 'a thrown plain object',
    handler: () => {
      throw { code: 'E_QUOTA', retry: false };
    },
    errorType: 'object',
    errorMessage: "{ code: 'E_QUOTA', retry: false }",
    stack: false,
    logged: /\[ERROR\] \{ code: 'E_QUOTA', retry: false \}/,
  },
  /* eslint-enable @typescript-eslint/only-throw-error */
  {
    title: 'a rejected promise',
    handler: () => Promise.reject(new RangeError('out of range')),
    errorType: 'RangeError',
    errorMessage: 'out of range',
    stack: true,
    logged: /\[ERROR\] RangeError: out of range/,
  },
  {
    title: 'an async handler that throws',
    handler: async () => {
      throw new Error('async failure');
    },
    errorType: 'Error',
    errorMessage: 'async failure',
    stack: true,
    logged: /\[ERROR\] Error: async failure/,
  },
  {
    title: 'callback(error)',
    handler: (_event, _context, callback) => {
      callback(new Error('callback failure'));
    },
    errorType: 'Error',
    errorMessage: 'callback failure',
    stack: true,
    logged: /\[ERROR\] Error: callback failure/,
  },
  {
    title: 'a result JSON.stringify cannot encode (circular)',
    handler: () => {
      const result: Record<string, unknown> = { name: 'loop' };
      result.self = result;
      return result;
    },
    errorType: 'TypeError',
    errorMessage: /circular/i,
    stack: true,
    logged: /\[ERROR\] TypeError: .*circular/i,
  },
];

describe('POST /invoke (x-fc-control-path: /invoke)', () => {
  const output = recordOutput();

  for (const flavour of expressFlavours) {
    describe(flavour.name, () => {
      const listenForTest = listenPerTest();
      let server: Server | undefined;

      async function start(options: Options, routes?: (app: express.Express) => void): Promise<Server> {
        server = await listenForTest(flavour.app(options, routes));
        return server;
      }

      /** An FC event invocation with fresh common headers; `id` is its request id. */
      function invoke(body: string | Buffer = '', extra: Record<string, string> = {}) {
        const headers = fcHeaders({ 'x-fc-control-path': '/invoke', ...extra });
        const test = request(server!).post('/invoke').set(headers).set('content-type', 'application/octet-stream').send(body);
        return { id: headers['x-fc-request-id'], test };
      }

      describe('handler styles', () => {
        it('answers with what an async handler resolves', async () => {
          await start({ invoke: async (event) => `async:${event.toString()}` });
          const res = await invoke('hi').test.expect(200, 'async:hi');
          expect(res.headers['x-fc-status']).to.equal('200');
        });

        it('answers with what a plain function returns', async () => {
          await start({ invoke: (event) => `sync:${event.toString()}` });
          const res = await invoke('hi').test.expect(200, 'sync:hi');
          expect(res.headers['x-fc-status']).to.equal('200');
        });

        it('answers an FC callback handler that calls back at once', async () => {
          await start({
            invoke: (event, _context, callback) => {
              callback(null, `callback:${event.toString()}`);
            },
          });
          const res = await invoke('hi').test.expect(200, 'callback:hi');
          expect(res.headers['x-fc-status']).to.equal('200');
        });

        it('answers an FC callback handler that calls back later, from a timer', async () => {
          await start({ invoke: (event, _context, callback) => void setTimeout(() => callback(null, `timer:${event.toString()}`), 10) });
          const res = await invoke('hi').test.expect(200, 'timer:hi');
          expect(res.headers['x-fc-status']).to.equal('200');
        });

        it('lets the callback of an async (event, context, callback) handler win when it comes first', async () => {
          await start({
            invoke: async (_event, _context, callback) => {
              callback(null, 'from the callback');
              return 'from the promise';
            },
          });
          const { id, test } = invoke('x');
          const res = await test.expect(200, 'from the callback');
          expect(res.headers['x-fc-status']).to.equal('200');
          await output().waitFor(new RegExp(`${escapeRegExp(id)} \\[WARN\\] .*the returned promise came later and was ignored`));
        });

        it('lets the rejection of an async (event, context, callback) handler win when it comes first', async () => {
          await start({
            invoke: async (_event, _context, callback) => {
              setImmediate(() => callback(null, 'too late'));
              throw new Error('rejected first');
            },
          });
          const { id, test } = invoke('x');
          const res = await test.expect(404);
          expect(res.headers['x-fc-status']).to.equal('404');
          expect(res.body.errorMessage).to.equal('rejected first');
          await output().waitFor(new RegExp(`${escapeRegExp(id)} \\[WARN\\] .*callback\\(null, result\\) came later and was ignored`));
        });

        it('waits for the callback when an async (event, context, callback) handler resolves to undefined', async () => {
          await start({
            invoke: async (_event, _context, callback) => {
              setTimeout(() => callback(null, 'from the callback'), 20);
            },
          });
          const res = await invoke('x').test.expect(200, 'from the callback');
          expect(res.headers['x-fc-status']).to.equal('200');
        });

        it('gives the handler the event as a Buffer holding exactly the bytes sent', async () => {
          let received: unknown;
          await start({
            invoke: (event) => {
              received = event;
              return 'ok';
            },
          });
          await invoke(BINARY).test.expect(200, 'ok');
          expect(Buffer.isBuffer(received)).to.equal(true);
          expect((received as Buffer).equals(BINARY)).to.equal(true);
        });

        it('gives the handler the context of the request', async () => {
          let received: FcContext | undefined;
          await start({
            invoke: (_event, context) => {
              received = context;
              return 'ok';
            },
          });
          const { id, test } = invoke('x');
          await test.expect(200, 'ok');
          expect(received!.requestId).to.equal(id);
          expect(received!.controlPath).to.equal('/invoke');
          expect(received!.function.name).to.equal('site');
        });

        it('passes an empty event (0 bytes) as an empty Buffer', async () => {
          let received: unknown;
          await start({
            invoke: (event) => {
              received = event;
              return `length ${event.length}`;
            },
          });
          await invoke('').test.expect(200, 'length 0');
          expect(Buffer.isBuffer(received)).to.equal(true);
          expect((received as Buffer).length).to.equal(0);
        });
      });

      describe('results', () => {
        it('sends a Buffer result byte for byte, as application/octet-stream', async () => {
          await start({ invoke: () => BINARY });
          const res = await invoke('x').test.buffer(true).parse(binary).expect(200);
          expect(res.headers['x-fc-status']).to.equal('200');
          expect(res.headers['content-type']).to.equal('application/octet-stream');
          expect(Buffer.isBuffer(res.body)).to.equal(true);
          expect((res.body as Buffer).equals(BINARY)).to.equal(true);
        });

        it('sends a string result as text', async () => {
          await start({ invoke: () => 'héllo wörld' });
          const res = await invoke('x').test.expect(200, 'héllo wörld');
          expect(res.headers['x-fc-status']).to.equal('200');
          expect(res.headers['content-type']).to.match(/^text\/plain/);
        });

        const jsonResults: [string, unknown][] = [
          ['an object', { id: 7, tags: ['a', 'b'], nested: { ok: true, none: null } }],
          ['an array', [1, 'two', { three: 3 }]],
          ['a number', 42],
          ['null', null],
        ];
        for (const [title, value] of jsonResults) {
          it(`sends ${title} as JSON`, async () => {
            await start({ invoke: () => value });
            const res = await invoke('x').test.expect(200);
            expect(res.headers['x-fc-status']).to.equal('200');
            expect(res.headers['content-type']).to.match(/^application\/json/);
            expect(JSON.parse(res.text)).to.deep.equal(value);
          });
        }

        it('sends an undefined result as an empty body', async () => {
          await start({ invoke: () => undefined });
          const res = await invoke('x').test.buffer(true).parse(binary).expect(200);
          expect(res.headers['x-fc-status']).to.equal('200');
          expect((res.body as Buffer).length).to.equal(0);
        });
      });

      describe('failures', () => {
        for (const failure of FAILURES) {
          it(`answers ${failure.title} with 404 and the FC error body, logged at ERROR`, async () => {
            await start({ invoke: failure.handler });
            const { id, test } = invoke('x');
            const res = await test.expect(404);
            expect(res.headers['x-fc-status']).to.equal('404');
            expect(res.headers['content-type']).to.match(/^application\/json/);
            expect(res.body).to.have.all.keys('errorMessage', 'errorType', 'stackTrace');
            expect(res.body.errorType).to.equal(failure.errorType);
            if (typeof failure.errorMessage === 'string') expect(res.body.errorMessage).to.equal(failure.errorMessage);
            else expect(res.body.errorMessage).to.match(failure.errorMessage);
            expect(res.body.stackTrace).to.be.an('array');
            if (failure.stack) expect(res.body.stackTrace).to.not.be.empty;
            for (const line of res.body.stackTrace)
              expect(line)
                .to.be.a('string')
                .and.match(/^at \S/);
            const logged = await output().waitFor(new RegExp(`${escapeRegExp(id)} ${failure.logged.source}`, failure.logged.flags));
            expect(logged).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /);
          });
        }

        it('keeps the first callback(error) and warns that a later callback(null, result) was ignored', async () => {
          await start({
            invoke: (_event, _context, callback) => {
              callback(new Error('first'));
              callback(null, 'late');
            },
          });
          const { id, test } = invoke('x');
          const res = await test.expect(404);
          expect(res.headers['x-fc-status']).to.equal('404');
          expect(res.body.errorMessage).to.equal('first');
          await output().waitFor(new RegExp(`${escapeRegExp(id)} \\[WARN\\] .*callback\\(null, result\\) came later and was ignored`));
        });

        it('keeps the first callback(null, result) and warns that a later callback(error) was ignored', async () => {
          await start({
            invoke: (_event, _context, callback) => {
              callback(null, 'first');
              callback(new Error('late'));
            },
          });
          const { id, test } = invoke('x');
          const res = await test.expect(200, 'first');
          expect(res.headers['x-fc-status']).to.equal('200');
          await output().waitFor(new RegExp(`${escapeRegExp(id)} \\[WARN\\] .*callback\\(error\\) came later and was ignored`));
        });

        it('does not send the security token back in the error body of a handler that quotes it', async () => {
          await start({
            invoke: (_event, context) => Promise.reject(new Error(`token ${String(context.credentials.securityToken)} refused`)),
          });
          const { test } = invoke('x');
          const res = await test.expect(404);
          expect(res.body.errorMessage).to.equal('token [redacted] refused');
          expect(res.text).to.not.contain(fcHeaders()['x-fc-security-token']);
        });

        it('answers 404 NoEventHandler, naming both ways to configure one, when neither invoke nor eventPath is set', async () => {
          await start({});
          const res = await invoke('x').test.expect(404);
          expect(res.headers['x-fc-status']).to.equal('404');
          expect(res.body.errorType).to.equal('NoEventHandler');
          expect(res.body.errorMessage).to.contain('invoke').and.to.contain('eventPath');
        });
      });

      describe('option limit', () => {
        it('refuses an event over the limit with 413 and EventTooLarge, and the connection serves the next event', async () => {
          const events: number[] = [];
          await start({
            limit: '1kb',
            invoke: (event) => {
              events.push(event.length);
              return `got ${event.length}`;
            },
          });
          let connections = 0;
          server!.on('connection', () => connections++);
          const agent = new Agent({ keepAlive: true, maxSockets: 1 });
          try {
            const big = await post(server!, agent, fcHeaders({ 'x-fc-control-path': '/invoke' }), Buffer.alloc(2048, 'a'));
            expect(big.status).to.equal(413);
            expect(big.headers['x-fc-status']).to.equal('404');
            const error = JSON.parse(big.body.toString());
            expect(error.errorType).to.equal('EventTooLarge');
            expect(error.errorMessage).to.match(/limit/);
            expect(events).to.deep.equal([]);

            const small = await post(server!, agent, fcHeaders({ 'x-fc-control-path': '/invoke' }), Buffer.alloc(100, 'b'));
            expect(small.status).to.equal(200);
            expect(small.headers['x-fc-status']).to.equal('200');
            expect(small.body.toString()).to.equal('got 100');
            expect(events).to.deep.equal([100]);
            expect(connections, 'connections the server accepted').to.equal(1);
          } finally {
            agent.destroy();
          }
        });
      });

      describe('option eventPath', () => {
        it('re-dispatches the event into the app as POST <eventPath>, where an ordinary route answers it', async () => {
          const raw = raws[flavour.name];
          await start({ eventPath: '/events' }, (app) => {
            app.post('/events', raw({ type: () => true }), (req, res) => {
              const body = req.body as Buffer;
              res.set('x-route', 'events').json({
                method: req.method,
                url: req.url,
                controlPath: req.fc?.controlPath,
                isBuffer: Buffer.isBuffer(body),
                bytes: body.toString('base64'),
              });
            });
          });
          const res = await invoke(BINARY).test.expect(200);
          expect(res.headers['x-fc-status']).to.equal('200');
          expect(res.headers['x-route']).to.equal('events');
          expect(res.body).to.deep.equal({
            method: 'POST',
            url: '/events',
            controlPath: '/invoke',
            isBuffer: true,
            bytes: BINARY.toString('base64'),
          });
        });
      });

      describe('log markers', () => {
        it('writes one Start and one End marker around each invocation, successful or failed', async () => {
          await start({
            invoke: (event) => {
              if (event.toString() === 'fail') throw new Error('failed on purpose');
              return 'ok';
            },
          });
          const ok = invoke('fine');
          await ok.test.expect(200, 'ok');
          const failed = invoke('fail');
          await failed.test.expect(404);
          await expectOneInvocation(output(), 'Invoke', ok.id);
          await expectOneInvocation(output(), 'Invoke', failed.id);
        });
      });
    });
  }

  describe('a bare http handler', () => {
    const listenForTest = listenPerTest();

    it("answers an event with the handler's result", async () => {
      const server = await listenForTest(bareApp({ invoke: async (event) => ({ length: event.length }) }, (_req, res) => res.end('app')));
      const headers = fcHeaders({ 'x-fc-control-path': '/invoke' });
      const res = await request(server).post('/invoke').set(headers).send('12345').expect(200);
      expect(res.headers['x-fc-status']).to.equal('200');
      expect(res.body).to.deep.equal({ length: 5 });
      await expectOneInvocation(output(), 'Invoke', headers['x-fc-request-id']);
    });

    it('answers a failing handler with 404 and the FC error body', async () => {
      const server = await listenForTest(
        bareApp(
          {
            invoke: () => {
              throw new SyntaxError('bad event');
            },
          },
          (_req, res) => res.end('app'),
        ),
      );
      const headers = fcHeaders({ 'x-fc-control-path': '/invoke' });
      const res = await request(server).post('/invoke').set(headers).send('x').expect(404);
      expect(res.headers['x-fc-status']).to.equal('404');
      expect(res.body.errorType).to.equal('SyntaxError');
      expect(res.body.errorMessage).to.equal('bad event');
      await expectOneInvocation(output(), 'Invoke', headers['x-fc-request-id']);
    });
  });
});
