import { expect } from 'chai';
import type express from 'express';
import type { IncomingMessage, Server } from 'http';
import request from 'supertest';
import type { FcContext, HookHandler, Options } from '../lib';
import { bareApp, close, expressFlavours, fcHeaders, listen, listenPerTest } from './helpers/apps';
import { expectOneInvocation } from './helpers/markers';
import { escapeRegExp, recordOutput } from './helpers/output';

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** FC's common headers for a control request. */
function control(path: string, extra: Record<string, string> = {}): Record<string, string> {
  return fcHeaders({ 'x-fc-control-path': path, ...extra });
}

/**
 * A full round trip through another server of this process: once it is back, whatever the
 * requests already received could have run without waiting has run.
 */
async function roundTrip(): Promise<void> {
  const other = await listen((_req, res) => res.end('pong'));
  try {
    await request(other).get('/').expect(200, 'pong');
  } finally {
    await close(other);
  }
}

interface FirstFailure {
  title: string;
  /** An initializer that fails on its first call and succeeds after; it counts calls in `calls.n`. */
  make(calls: { n: number }): HookHandler;
}

const FIRST_FAILURES: FirstFailure[] = [
  {
    title: 'throws',
    make: (calls) => () => {
      if (++calls.n === 1) throw new Error('init failed');
    },
  },
  {
    title: 'rejects',
    make: (calls) => async () => {
      if (++calls.n === 1) throw new Error('init failed');
    },
  },
  {
    title: 'calls back with an error',
    make: (calls) => (_context, callback) => {
      if (++calls.n === 1) callback(new Error('init failed'));
      else setImmediate(() => callback(null));
    },
  },
];

describe('lifecycle control paths: /initialize, /pre-freeze, /pre-stop', () => {
  const output = recordOutput();

  for (const flavour of expressFlavours) {
    describe(flavour.name, () => {
      const listenForTest = listenPerTest();
      let server: Server | undefined;

      async function start(options: Options, routes?: (app: express.Express) => void): Promise<Server> {
        server = await listenForTest(flavour.app(options, routes));
        return server;
      }

      /** Two GETs of a lifecycle path, each answered 200 with x-fc-status 200; resolves with their request ids. */
      async function getTwice(path: '/pre-freeze' | '/pre-stop'): Promise<string[]> {
        const ids: string[] = [];
        for (let i = 0; i < 2; i++) {
          const headers = control(path);
          ids.push(headers['x-fc-request-id']);
          const res = await request(server!).get(path).set(headers).expect(200);
          expect(res.headers['x-fc-status']).to.equal('200');
        }
        return ids;
      }

      describe('POST /initialize', () => {
        it('runs the initializer once for 20 concurrent calls, answers each 200, and never again after', async () => {
          let calls = 0;
          const allArrived = deferred();
          await start({
            initialize: async () => {
              calls++;
              await allArrived.promise;
            },
          });
          let arrived = 0;
          server!.on('request', () => {
            if (++arrived === 20) allArrived.resolve();
          });
          const headers = Array.from({ length: 20 }, () => control('/initialize'));
          const answers = await Promise.all(headers.map((h) => request(server!).post('/initialize').set(h).expect(200)));
          expect(calls).to.equal(1);
          for (const res of answers) expect(res.headers['x-fc-status']).to.equal('200');
          for (const h of headers) await expectOneInvocation(output(), 'Initialize', h['x-fc-request-id']);

          const later = control('/initialize');
          const res = await request(server!).post('/initialize').set(later).expect(200);
          expect(res.headers['x-fc-status']).to.equal('200');
          expect(calls).to.equal(1);
          await expectOneInvocation(output(), 'Initialize', later['x-fc-request-id']);
        });

        for (const failure of FIRST_FAILURES) {
          it(`answers 404 when the initializer ${failure.title}, and runs it again on the next /initialize`, async () => {
            const calls = { n: 0 };
            await start({ initialize: failure.make(calls) });
            const first = control('/initialize');
            const failed = await request(server!).post('/initialize').set(first).expect(404);
            expect(failed.headers['x-fc-status']).to.equal('404');
            expect(failed.body).to.have.all.keys('errorMessage', 'errorType', 'stackTrace');
            expect(failed.body.errorType).to.equal('Error');
            expect(failed.body.errorMessage).to.equal('init failed');
            await output().waitFor(new RegExp(`${escapeRegExp(first['x-fc-request-id'])} \\[ERROR\\] Error: init failed`));
            await expectOneInvocation(output(), 'Initialize', first['x-fc-request-id']);

            const res = await request(server!).post('/initialize').set(control('/initialize')).expect(200);
            expect(res.headers['x-fc-status']).to.equal('200');
            expect(calls.n).to.equal(2);
          });
        }

        it('holds app requests and events until the initializer has finished', async () => {
          const ran: string[] = [];
          const started = deferred();
          const release = deferred();
          await start(
            {
              initialize: async () => {
                started.resolve();
                await release.promise;
                ran.push('initializer');
              },
              invoke: (event) => {
                ran.push('invoke');
                return `event ${event.toString()}`;
              },
            },
            (app) =>
              app.get('/page', (_req, res) => {
                ran.push('route');
                res.send('page');
              }),
          );
          const bothArrived = deferred();
          let arrived = 0;
          server!.on('request', (req: IncomingMessage) => {
            if (req.headers['x-fc-control-path'] !== '/initialize' && ++arrived === 2) bothArrived.resolve();
          });

          const init = request(server!)
            .post('/initialize')
            .set(control('/initialize'))
            .then((res) => res);
          await started.promise;
          const page = request(server!)
            .get('/page')
            .set(fcHeaders())
            .then((res) => res);
          const event = request(server!)
            .post('/invoke')
            .set(control('/invoke'))
            .send('e')
            .then((res) => res);
          try {
            await bothArrived.promise;
            await roundTrip();
            expect(ran, 'what ran before the initializer was released').to.deep.equal([]);
          } finally {
            release.resolve();
          }
          const [initRes, pageRes, eventRes] = await Promise.all([init, page, event]);
          expect(initRes.status).to.equal(200);
          expect(pageRes.status).to.equal(200);
          expect(pageRes.text).to.equal('page');
          expect(eventRes.status).to.equal(200);
          expect(eventRes.text).to.equal('event e');
          expect(ran[0]).to.equal('initializer');
          expect(ran.slice(1)).to.have.members(['route', 'invoke']);
        });

        it('answers 404 InitializationTimeout after x-fc-initialization-timeout, and runs it again on the next /initialize', async () => {
          let calls = 0;
          await start({
            initialize: () => {
              calls++;
              return calls === 1 ? new Promise(() => undefined) : Promise.resolve();
            },
          });
          const began = Date.now();
          const timedOut = await request(server!)
            .post('/initialize')
            .set(control('/initialize', { 'x-fc-initialization-timeout': '0.2' }))
            .expect(404);
          expect(Date.now() - began).to.be.within(150, 5000);
          expect(timedOut.headers['x-fc-status']).to.equal('404');
          expect(timedOut.body.errorType).to.equal('InitializationTimeout');

          const res = await request(server!)
            .post('/initialize')
            .set(control('/initialize', { 'x-fc-initialization-timeout': '0.2' }))
            .expect(200);
          expect(res.headers['x-fc-status']).to.equal('200');
          expect(calls).to.equal(2);
        });

        it('answers 200 at once when no initializer is configured', async () => {
          await start({});
          const headers = control('/initialize');
          const res = await request(server!).post('/initialize').set(headers).expect(200);
          expect(res.headers['x-fc-status']).to.equal('200');
          await expectOneInvocation(output(), 'Initialize', headers['x-fc-request-id']);
        });

        it('runs a callback-style (context, callback) initializer with the context of the request', async () => {
          let seen: FcContext | undefined;
          await start({
            initialize: (context, callback) => {
              seen = context;
              setImmediate(() => callback(null));
            },
          });
          const headers = control('/initialize');
          const res = await request(server!).post('/initialize').set(headers).expect(200);
          expect(res.headers['x-fc-status']).to.equal('200');
          expect(seen!.requestId).to.equal(headers['x-fc-request-id']);
          expect(seen!.controlPath).to.equal('/initialize');
        });
      });

      describe('GET /pre-freeze and GET /pre-stop', () => {
        it('runs preFreeze on every /pre-freeze', async () => {
          let calls = 0;
          await start({
            preFreeze: async () => {
              calls++;
            },
          });
          const ids = await getTwice('/pre-freeze');
          expect(calls).to.equal(2);
          for (const id of ids) await expectOneInvocation(output(), 'PreFreeze', id);
        });

        it('runs preStop once, even when /pre-stop comes twice', async () => {
          let calls = 0;
          await start({
            preStop: async () => {
              calls++;
            },
          });
          const ids = await getTwice('/pre-stop');
          expect(calls).to.equal(1);
          for (const id of ids) await expectOneInvocation(output(), 'PreStop', id);
        });

        for (const [path, option] of [
          ['/pre-freeze', 'preFreeze'],
          ['/pre-stop', 'preStop'],
        ] as const) {
          it(`answers 404 when ${option} throws`, async () => {
            await start({
              [option]: () => {
                throw new Error(`${option} failed`);
              },
            });
            const res = await request(server!).get(path).set(control(path)).expect(404);
            expect(res.headers['x-fc-status']).to.equal('404');
            expect(res.body.errorType).to.equal('Error');
            expect(res.body.errorMessage).to.equal(`${option} failed`);
          });

          it(`answers ${path} with 200 when ${option} is not configured`, async () => {
            await start({});
            const res = await request(server!).get(path).set(control(path)).expect(200);
            expect(res.headers['x-fc-status']).to.equal('200');
          });
        }

        it('runs the hooks for header-less GET /pre-stop and GET /pre-freeze carrying x-fc-request-id', async () => {
          const calls: string[] = [];
          await start({ preFreeze: () => void calls.push('preFreeze'), preStop: () => void calls.push('preStop') });
          const freeze = fcHeaders();
          delete freeze['x-fc-control-path'];
          const stop = fcHeaders();
          delete stop['x-fc-control-path'];
          const frozen = await request(server!).get('/pre-freeze').set(freeze).expect(200);
          expect(frozen.headers['x-fc-status']).to.equal('200');
          const stopped = await request(server!).get('/pre-stop').set(stop).expect(200);
          expect(stopped.headers['x-fc-status']).to.equal('200');
          expect(calls).to.deep.equal(['preFreeze', 'preStop']);
          await expectOneInvocation(output(), 'PreFreeze', freeze['x-fc-request-id']);
          await expectOneInvocation(output(), 'PreStop', stop['x-fc-request-id']);
        });
      });
    });
  }

  describe('a bare http handler', () => {
    const listenForTest = listenPerTest();

    it('runs the initializer once and preStop once', async () => {
      let initialized = 0;
      let stopped = 0;
      const options: Options = {
        initialize: async () => {
          initialized++;
        },
        preStop: async () => {
          stopped++;
        },
      };
      const server = await listenForTest(bareApp(options, (_req, res) => res.end('app')));
      for (let i = 0; i < 2; i++) {
        const init = await request(server).post('/initialize').set(control('/initialize')).expect(200);
        expect(init.headers['x-fc-status']).to.equal('200');
        const stop = await request(server).get('/pre-stop').set(control('/pre-stop')).expect(200);
        expect(stop.headers['x-fc-status']).to.equal('200');
      }
      expect(initialized).to.equal(1);
      expect(stopped).to.equal(1);
    });
  });
});
