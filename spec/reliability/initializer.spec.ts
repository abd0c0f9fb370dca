// The initializer under concurrency: run once for 50 callers, requests held while it runs, retried after failure, timeout kept.
import { expect } from 'chai';
import type { IncomingMessage, Server } from 'http';
import { Agent } from 'http';
import type { Options } from '../../lib';
import { close, expressFlavours, fcHeaders, listen, listenPerTest, portOf } from '../helpers/apps';
import { call, type Answer } from '../helpers/http';
import { recordOutput } from '../helpers/output';
import { deferred, expectMarkersOnce, waitForEnds } from './helpers';

const CALLERS = 50;
const HELD = 50;

/**
 * A full round trip through another server of this process: once it is back, whatever the
 * requests already received could have run without waiting has had several loop turns to run.
 */
async function roundTrip(): Promise<void> {
  const other = await listen((_req, res) => res.end('pong'));
  try {
    expect((await call(portOf(other), { path: '/' })).text).to.equal('pong');
  } finally {
    await close(other);
  }
}

describe('reliability: the initializer under concurrency', function () {
  this.timeout(30_000);
  const output = recordOutput();

  for (const flavour of expressFlavours) {
    describe(flavour.name, () => {
      const listenForTest = listenPerTest();
      let server: Server;
      let agent: Agent;
      beforeEach(() => (agent = new Agent({ keepAlive: true, maxSockets: 2 * (CALLERS + HELD) })));
      afterEach(() => agent.destroy());

      /** What ran for the app and the event handler, in order. */
      let ran: string[];
      async function start(initialize: Options['initialize']): Promise<void> {
        ran = [];
        server = await listenForTest(
          flavour.app(
            {
              initialize,
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
          ),
        );
      }

      /** Resolves once `count` requests that are (or, with `other`, are not) /initialize have reached the server. */
      function arrivals(count: number, other = true): Promise<void> {
        const all = deferred();
        let seen = 0;
        server.on('request', (req: IncomingMessage) => {
          if ((req.headers['x-fc-control-path'] !== '/initialize') === other && ++seen === count) all.resolve();
        });
        return all.promise;
      }

      function initialize(headers: Record<string, string>): Promise<Answer> {
        return call(portOf(server), { method: 'POST', path: '/initialize', headers, agent });
      }

      /** HELD requests, half events and half page requests; resolves with their answers and ids. */
      function held(): { ids: string[]; answers: Promise<Answer[]> } {
        const ids: string[] = [];
        const answers = Array.from({ length: HELD }, (_, i) => {
          const event = i % 2 === 0;
          const headers = fcHeaders({ 'x-fc-control-path': event ? '/invoke' : '/http-invoke' });
          ids.push(headers['x-fc-request-id']);
          return call(portOf(server), {
            method: event ? 'POST' : 'GET',
            path: event ? '/invoke' : '/page',
            headers,
            body: event ? `e${i}` : undefined,
            agent,
            timeoutMs: 10_000,
          });
        });
        return { ids, answers: Promise.all(answers) };
      }

      function expectHeldAnswered(answers: Answer[]): void {
        answers.forEach((res, i) => {
          expect(res.status).to.equal(200);
          expect(res.headers['x-fc-status']).to.equal('200');
          expect(res.text).to.equal(i % 2 === 0 ? `event e${i}` : 'page');
        });
      }

      it(`runs it once for ${CALLERS} concurrent /initialize, holding ${HELD} invocations that arrive meanwhile until it is done`, async () => {
        let calls = 0;
        const started = deferred();
        const release = deferred();
        await start(async () => {
          calls++;
          started.resolve();
          await release.promise;
          ran.push('initializer');
        });
        const headers = Array.from({ length: CALLERS }, () => fcHeaders({ 'x-fc-control-path': '/initialize' }));
        const answers = Promise.all(headers.map(initialize));
        await started.promise;
        const allHeld = arrivals(HELD);
        const waiting = held();
        await allHeld;
        await roundTrip();
        expect(ran, 'what ran before the initializer finished').to.deep.equal([]);
        release.resolve();

        for (const res of await answers) {
          expect(res.status).to.equal(200);
          expect(res.headers['x-fc-status']).to.equal('200');
        }
        expectHeldAnswered(await waiting.answers);
        expect(calls).to.equal(1);
        expect(ran[0]).to.equal('initializer');
        expect(ran.filter((what) => what !== 'initializer')).to.have.length(HELD);
        const ids = headers.map((h) => h['x-fc-request-id']);
        await waitForEnds(output(), ids, 'Initialize');
        expectMarkersOnce(output().stdoutLines, ids, 'Initialize');
        await waitForEnds(output(), waiting.ids);
        expectMarkersOnce(output().stdoutLines, waiting.ids);
      });

      it(`answers all ${CALLERS} concurrent /initialize 404 when it fails, runs it once, and once more for the next ${CALLERS}`, async () => {
        let calls = 0;
        const release = deferred();
        await start(async () => {
          calls++;
          await release.promise;
          if (calls === 1) throw new Error(`init failed on call ${calls}`);
        });
        const allCalled = arrivals(CALLERS, false);
        const first = Promise.all(Array.from({ length: CALLERS }, () => initialize(fcHeaders({ 'x-fc-control-path': '/initialize' }))));
        await allCalled;
        release.resolve();
        for (const res of await first) {
          expect(res.status).to.equal(404);
          expect(res.headers['x-fc-status']).to.equal('404');
          expect(JSON.parse(res.text)).to.include({ errorType: 'Error', errorMessage: 'init failed on call 1' });
        }
        expect(calls).to.equal(1);
        const second = await Promise.all(
          Array.from({ length: CALLERS }, () => initialize(fcHeaders({ 'x-fc-control-path': '/initialize' }))),
        );
        for (const res of second) expect(res.status).to.equal(200);
        expect(calls).to.equal(2);
      });

      it('keeps x-fc-initialization-timeout for concurrent callers, lets the held invocations go, and starts afresh on the next /initialize', async () => {
        let calls = 0;
        // Every run hangs until the test says otherwise: under load a caller may arrive after the
        // first run was abandoned and start a second one, which must time out as well.
        let hang = true;
        const started = deferred();
        await start(() => {
          calls++;
          started.resolve();
          return hang ? new Promise(() => undefined) : Promise.resolve();
        });
        const began = Date.now();
        const timedOut = Promise.all(
          Array.from({ length: CALLERS }, () =>
            initialize(fcHeaders({ 'x-fc-control-path': '/initialize', 'x-fc-initialization-timeout': '0.3' })),
          ),
        );
        await started.promise;
        const allHeld = arrivals(HELD);
        const waiting = held();
        await allHeld;
        for (const res of await timedOut) {
          expect(res.status).to.equal(404);
          expect(res.headers['x-fc-status']).to.equal('404');
          expect(JSON.parse(res.text).errorType).to.equal('InitializationTimeout');
        }
        expect(Date.now() - began).to.be.at.least(290);
        // The run that timed out is abandoned: what it held is not held for ever.
        expectHeldAnswered(await waiting.answers);

        const runs = calls;
        hang = false;
        const res = await initialize(fcHeaders({ 'x-fc-control-path': '/initialize', 'x-fc-initialization-timeout': '0.3' }));
        expect(res.status).to.equal(200);
        expect(calls).to.equal(runs + 1);
      });
    });
  }
});
