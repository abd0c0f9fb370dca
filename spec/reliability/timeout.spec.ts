// Option timeout: an event handler or lifecycle hook that never answers is cut off, answered 404 and logged.
import { expect } from 'chai';
import type { Server } from 'http';
import { inspect } from 'util';
import { fcRuntime, type Options } from '../../lib';
import { expressFlavours, fcHeaders, listenPerTest, portOf } from '../helpers/apps';
import { call } from '../helpers/http';
import { expectOneInvocation } from '../helpers/markers';
import { escapeRegExp, recordOutput } from '../helpers/output';
import { deferred } from './helpers';

describe('reliability: option timeout', () => {
  const output = recordOutput();

  describe('validation', () => {
    for (const good of [1, 250, 30_000, 2 ** 31 - 1]) {
      it(`accepts ${good}`, () => {
        expect(() => fcRuntime({ timeout: good })).not.to.throw();
      });
    }
    for (const bad of [0, -1, 0.5, 2 ** 31, NaN, Infinity, '30s', '30000', true, null]) {
      it(`refuses ${inspect(bad)} with a TypeError naming the option and the range`, () => {
        expect(() => fcRuntime({ timeout: bad as number })).to.throw(TypeError, /"timeout".*milliseconds from 1 to 2147483647/);
      });
    }
  });

  for (const flavour of expressFlavours) {
    describe(flavour.name, () => {
      const listenForTest = listenPerTest();
      let server: Server;
      const start = async (options: Options) => {
        server = await listenForTest(flavour.app(options, (app) => app.get('/ok', (_req, res) => res.send('fine'))));
      };
      const post = (path: string, headers: Record<string, string>, body = '') =>
        call(portOf(server), { method: 'POST', path, headers, body, timeoutMs: 5000 });
      const get = (path: string, headers: Record<string, string>) => call(portOf(server), { path, headers, timeoutMs: 5000 });

      it('answers an event handler that never settles with 404 TimeoutError once the timeout has passed, logged at ERROR, End written', async () => {
        await start({ timeout: 150, invoke: () => new Promise(() => undefined) });
        const headers = fcHeaders({ 'x-fc-control-path': '/invoke' });
        const id = headers['x-fc-request-id'];
        const began = Date.now();
        const res = await post('/invoke', headers, 'hang');
        expect(Date.now() - began).to.be.at.least(140);
        expect(res.status).to.equal(404);
        expect(res.headers['x-fc-status']).to.equal('404');
        const body = JSON.parse(res.text);
        expect(body).to.have.all.keys('errorMessage', 'errorType', 'stackTrace');
        expect(body.errorType).to.equal('TimeoutError');
        expect(body.errorMessage).to.equal('The event handler did not finish within 150 ms (option "timeout" of fcRuntime()).');
        await output().waitFor(
          new RegExp(`^\\S+Z ${escapeRegExp(id)} \\[ERROR\\] TimeoutError: The event handler did not finish within 150 ms`),
        );
        await expectOneInvocation(output(), 'Invoke', id);
        const next = await get('/ok', fcHeaders());
        expect(next.status).to.equal(200);
        expect(next.text).to.equal('fine');
      });

      it('ignores what a timed-out handler gives later, with a WARN line in its invocation', async () => {
        const release = deferred<string>();
        const fail = deferred<string>();
        await start({
          timeout: 100,
          invoke: (event, _context, callback) => {
            if (event.toString() === 'resolve') void release.promise.then((value) => callback(null, value));
            else void fail.promise.then((message) => callback(new Error(message)));
          },
        });
        const resolved = fcHeaders({ 'x-fc-control-path': '/invoke' });
        const failed = fcHeaders({ 'x-fc-control-path': '/invoke' });
        const [a, b] = await Promise.all([post('/invoke', resolved, 'resolve'), post('/invoke', failed, 'fail')]);
        for (const res of [a, b]) {
          expect(res.status).to.equal(404);
          expect(JSON.parse(res.text).errorType).to.equal('TimeoutError');
        }
        await expectOneInvocation(output(), 'Invoke', resolved['x-fc-request-id']);
        release.resolve('too late');
        fail.resolve('failed too late');
        await output().waitFor(
          new RegExp(
            `${escapeRegExp(resolved['x-fc-request-id'])} \\[WARN\\] The invocation was already answered; the handler's result came later and was ignored\\.$`,
          ),
        );
        await output().waitFor(
          new RegExp(
            `${escapeRegExp(failed['x-fc-request-id'])} \\[WARN\\] The invocation was already answered; the handler's failure came later and was ignored\\.$`,
          ),
        );
        // Still one End marker each; the late lines follow it.
        await expectOneInvocation(output(), 'Invoke', resolved['x-fc-request-id']);
        await expectOneInvocation(output(), 'Invoke', failed['x-fc-request-id']);
      });

      it('leaves a handler that answers within the timeout alone, and leaves no timer behind', async () => {
        await start({ timeout: 60_000, invoke: async (event) => `echo ${event.toString()}` });
        const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
        const before = timers();
        for (let i = 0; i < 10; i++) {
          const res = await post('/invoke', fcHeaders({ 'x-fc-control-path': '/invoke' }), `quick ${i}`);
          expect(res.status).to.equal(200);
          expect(res.headers['x-fc-status']).to.equal('200');
          expect(res.text).to.equal(`echo quick ${i}`);
        }
        // Ten 60 s timers left running would show here (and keep the process alive for a minute).
        expect(timers()).to.be.below(before + 5);
      });

      for (const [path, option, kind] of [
        ['/pre-freeze', 'preFreeze', 'PreFreeze'],
        ['/pre-stop', 'preStop', 'PreStop'],
      ] as const) {
        it(`bounds ${option} too: 404 TimeoutError naming the hook`, async () => {
          await start({ timeout: 100, [option]: () => new Promise(() => undefined) });
          const headers = fcHeaders({ 'x-fc-control-path': path });
          const res = await get(path, headers);
          expect(res.status).to.equal(404);
          expect(res.headers['x-fc-status']).to.equal('404');
          const body = JSON.parse(res.text);
          expect(body.errorType).to.equal('TimeoutError');
          expect(body.errorMessage).to.equal(`The ${option} hook did not finish within 100 ms (option "timeout" of fcRuntime()).`);
          await expectOneInvocation(output(), kind, headers['x-fc-request-id']);
        });
      }

      it('does not bound the initializer, which x-fc-initialization-timeout bounds', async () => {
        const started = deferred();
        const release = deferred();
        await start({
          timeout: 50,
          initialize: async () => {
            started.resolve();
            await release.promise;
          },
          preFreeze: () => new Promise(() => undefined),
        });
        const initialized = post('/initialize', fcHeaders({ 'x-fc-control-path': '/initialize', 'x-fc-initialization-timeout': '30' }));
        await started.promise;
        // A hook started after the initializer times out after 50 ms: the initializer has outlived the option.
        const frozen = await get('/pre-freeze', fcHeaders({ 'x-fc-control-path': '/pre-freeze' }));
        expect(JSON.parse(frozen.text).errorType).to.equal('TimeoutError');
        release.resolve();
        const res = await initialized;
        expect(res.status).to.equal(200);
        expect(res.headers['x-fc-status']).to.equal('200');
      });
    });
  }
});
