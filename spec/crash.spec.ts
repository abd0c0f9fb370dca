import { expect } from 'chai';
import { fcHeaders } from './helpers/apps';
import { fixture, run, type Child } from './helpers/child';
import { escapeRegExp, recordOutput } from './helpers/output';

const STAMP = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

const flavours = [
  { name: 'Express 5 under serve()', arg: 'express5' },
  { name: 'Express 4 with fcRuntime() mounted', arg: 'express4' },
];

describe('uncaught errors (crash handling)', () => {
  recordOutput();

  let child: Child | undefined;
  afterEach(async () => {
    if (child !== undefined && child.process.exitCode === null && child.process.signalCode === null) {
      child.process.kill('SIGKILL');
    }
    await child?.exited;
    child = undefined;
  });

  /** Starts the crash fixture and resolves with its base URL once it listens. */
  async function start(flavour: string, env: Record<string, string> = {}): Promise<string> {
    child = run(fixture('crash-server.js'), env, [flavour]);
    const line = await child.waitFor(/^PORT \d+$/);
    return `http://127.0.0.1:${line.split(' ')[1]}`;
  }

  function get(url: string, headers: Record<string, string>): Promise<Response> {
    return fetch(url, { headers, signal: AbortSignal.timeout(5000) });
  }

  function invoke(url: string, headers: Record<string, string>, body: string): Promise<Response> {
    return fetch(`${url}/invoke`, { method: 'POST', headers, body, signal: AbortSignal.timeout(5000) });
  }

  /**
   * The crashed invocation's log: one Start marker, an ERROR line with its id holding `message`,
   * and one End marker with `, Error: <message>`, in that order.
   */
  async function expectCrashLogged(id: string, message: string): Promise<void> {
    const running = child!.process.exitCode === null && child!.process.signalCode === null;
    if (running) await child!.waitFor(new RegExp(`^FC Invoke End RequestId: ${escapeRegExp(id)}, `));
    const lines = child!.stdout.split('\n');
    const starts = lines.filter((line) => line === `FC Invoke Start RequestId: ${id}`);
    const ends = lines.filter((line) => new RegExp(`^FC Invoke End RequestId: ${escapeRegExp(id)}(,|$)`).test(line));
    expect(starts, 'Start markers').to.have.length(1);
    expect(ends, 'End markers').to.deep.equal([`FC Invoke End RequestId: ${id}, Error: ${message}`]);
    const error = lines.findIndex((line) => new RegExp(`^${STAMP} ${escapeRegExp(id)} \\[ERROR\\] .*${escapeRegExp(message)}`).test(line));
    expect(error, `an ERROR line with ${id}`).to.be.above(-1);
    expect(lines.indexOf(starts[0])).to.be.below(error);
    expect(error).to.be.below(lines.indexOf(ends[0]));
  }

  for (const flavour of flavours) {
    describe(flavour.name, () => {
      it("answers 500 with x-fc-status 404, logs the error with the request id and exits 1 on an exception thrown in a route's timer", async () => {
        const url = await start(flavour.arg);
        const headers = fcHeaders();
        const res = await get(`${url}/throw-later?message=timer+exploded`, headers);
        expect(res.status).to.equal(500);
        expect(res.headers.get('x-fc-status')).to.equal('404');
        expect(await res.text()).to.equal('Internal Server Error');
        expect(await child!.exited).to.equal(1);
        await expectCrashLogged(headers['x-fc-request-id'], 'timer exploded');
      });

      it("answers 404 with the FC error body and exits 1 on a rejection left unhandled in an event handler's flow", async () => {
        const url = await start(flavour.arg);
        const headers = fcHeaders({ 'x-fc-control-path': '/invoke' });
        const res = await invoke(url, headers, 'reject-later');
        expect(res.status).to.equal(404);
        expect(res.headers.get('x-fc-status')).to.equal('404');
        const body = (await res.json()) as { errorMessage: string; errorType: string; stackTrace: unknown };
        expect(body).to.include({ errorMessage: 'rejected in a timer', errorType: 'Error' });
        expect(body.stackTrace).to.be.an('array');
        expect(await child!.exited).to.equal(1);
        await expectCrashLogged(headers['x-fc-request-id'], 'rejected in a timer');
      });

      it('with keepAliveOnCrash: true logs and answers the same, then keeps serving', async () => {
        const url = await start(flavour.arg, { KEEP_ALIVE_ON_CRASH: '1' });

        const thrown = fcHeaders();
        const res1 = await get(`${url}/throw-later?message=timer+exploded`, thrown);
        expect(res1.status).to.equal(500);
        expect(res1.headers.get('x-fc-status')).to.equal('404');
        await expectCrashLogged(thrown['x-fc-request-id'], 'timer exploded');
        const res2 = await get(`${url}/ok`, fcHeaders());
        expect(res2.status).to.equal(200);
        expect(await res2.text()).to.equal('ok');

        const rejected = fcHeaders({ 'x-fc-control-path': '/invoke' });
        const res3 = await invoke(url, rejected, 'reject-later');
        expect(res3.status).to.equal(404);
        expect(res3.headers.get('x-fc-status')).to.equal('404');
        expect(await res3.json()).to.include({ errorMessage: 'rejected in a timer', errorType: 'Error' });
        await expectCrashLogged(rejected['x-fc-request-id'], 'rejected in a timer');
        const res4 = await invoke(url, fcHeaders({ 'x-fc-control-path': '/invoke' }), 'hi');
        expect(res4.status).to.equal(200);
        expect(await res4.text()).to.equal('event hi');

        expect(child!.process.exitCode).to.equal(null);
        child!.process.kill('SIGTERM');
        await child!.exited;
        // Still one End marker each, now that their responses have long closed.
        await expectCrashLogged(thrown['x-fc-request-id'], 'timer exploded');
        await expectCrashLogged(rejected['x-fc-request-id'], 'rejected in a timer');
      });

      it('prints an error thrown outside any request on stderr and exits 1', async () => {
        await start(flavour.arg);
        child!.process.kill('SIGUSR2');
        expect(await child!.exited).to.equal(1);
        expect(child!.stderr).to.include('thrown outside any request');
        expect(child!.stdout).not.to.include('thrown outside any request');
        expect(child!.stdout).not.to.match(/FC Invoke End/);
      });

      it("never writes the access key secret held in an uncaught error's message inside a request", async () => {
        const secret = `crash-secret-${process.pid}-${flavour.arg}-Q9z`;
        const url = await start(flavour.arg, { ALIBABA_CLOUD_ACCESS_KEY_SECRET: secret });
        const headers = fcHeaders();
        // Without credential headers the context takes the credentials from the environment.
        for (const name of ['x-fc-access-key-id', 'x-fc-access-key-secret', 'x-fc-security-token']) Reflect.deleteProperty(headers, name);
        const res = await get(`${url}/throw-secret`, headers);
        expect(res.status).to.equal(500);
        expect(await child!.exited).to.equal(1);
        await expectCrashLogged(headers['x-fc-request-id'], 'cannot sign with [redacted]');
        expect(child!.stdout + child!.stderr).not.to.include(secret);
      });

      it("never writes the access key secret held in an uncaught error's message outside any request", async () => {
        const secret = `crash-secret-${process.pid}-${flavour.arg}-Q9z`;
        await start(flavour.arg, { ALIBABA_CLOUD_ACCESS_KEY_SECRET: secret });
        child!.process.kill('SIGUSR2');
        expect(await child!.exited).to.equal(1);
        expect(child!.stderr).to.include('thrown outside any request with [redacted]');
        expect(child!.stdout + child!.stderr).not.to.include(secret);
      });
    });
  }

  describe('a bare (req, res) listener under serve()', () => {
    it('answers 500 with x-fc-status 404, logs the error with the request id and exits 1 when the listener throws synchronously', async () => {
      const url = await start('bare');
      const headers = fcHeaders();
      const res = await get(`${url}/throw-now`, headers);
      expect(res.status).to.equal(500);
      expect(res.headers.get('x-fc-status')).to.equal('404');
      expect(await child!.exited).to.equal(1);
      await expectCrashLogged(headers['x-fc-request-id'], 'thrown by the listener itself');
    });
  });
});
