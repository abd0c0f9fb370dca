// Uncaught exceptions inside one request among many: blamed on that request only, ended, FC told 404, the others untouched.
import { expect } from 'chai';
import { fcHeaders } from '../helpers/apps';
import { fixture, run, type Child } from '../helpers/child';
import { escapeRegExp, recordOutput } from '../helpers/output';
import { markerPositions } from './helpers';

const IN_FLIGHT = 19;
const WAYS: [string, string][] = [
  ['timer', 'thrown in a timer'],
  ['emitter', 'an emitter error nobody listened to'],
  ['stream', 'thrown in a stream callback'],
];

describe('reliability: an uncaught exception inside one request of many (child process)', function () {
  this.timeout(60_000);
  recordOutput();

  let child: Child | undefined;
  afterEach(async () => {
    if (child !== undefined && child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    await child?.exited;
    child = undefined;
  });

  async function start(env: Record<string, string> = {}): Promise<string> {
    child = run(fixture('reliability-crash.js'), env);
    const line = await child.waitFor(/^PORT \d+$/);
    return `http://127.0.0.1:${line.split(' ')[1]}`;
  }

  const get = (url: string, headers: Record<string, string>) => fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
  const post = (url: string, headers: Record<string, string>, body: string) =>
    fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });

  /** Starts `count` slow requests and resolves with their ids and answers once each has begun. */
  async function slowOnes(url: string, count = IN_FLIGHT): Promise<{ ids: string[]; answers: Promise<Response[]> }> {
    const headers = Array.from({ length: count }, () => fcHeaders());
    const answers = Promise.all(headers.map((h) => get(`${url}/slow`, h)));
    const ids = headers.map((h) => h['x-fc-request-id']);
    for (const id of ids) await child!.waitFor(new RegExp(`^\\S+Z ${escapeRegExp(id)} \\[INFO\\] slow started$`));
    return { ids, answers };
  }

  /** The crashed id: one ERROR line, End with the error; every other id: no ERROR line, a plain End. */
  function expectOnlyBlamed(crashed: string, message: string, others: string[]): void {
    const lines = child!.stdout.split('\n');
    const markers = markerPositions(lines);
    const ends = (id: string) =>
      lines.filter((line) => line === `FC Invoke End RequestId: ${id}` || line.startsWith(`FC Invoke End RequestId: ${id}, `));
    expect(ends(crashed), "the crashed invocation's End").to.deep.equal([`FC Invoke End RequestId: ${crashed}, Error: ${message}`]);
    expect(markers.get(crashed)?.starts, 'its Start').to.have.length(1);
    const errors = lines.filter((line) => / \[ERROR\] Uncaught exception: /.test(line));
    expect(errors, 'ERROR lines for uncaught exceptions').to.have.length(1);
    expect(errors[0]).to.match(
      new RegExp(`^\\S+Z ${escapeRegExp(crashed)} \\[ERROR\\] Uncaught exception: Error: ${escapeRegExp(message)}$`),
    );
    for (const id of others) {
      expect(ends(id), `End of ${id}, in flight during the crash`).to.deep.equal([`FC Invoke End RequestId: ${id}`]);
      expect(markers.get(id)?.starts).to.have.length(1);
    }
  }

  for (const [how, message] of WAYS) {
    it(`blames an uncaught exception (${how}) on its own route's request alone, answers it 500 / x-fc-status 404, and serves the ${IN_FLIGHT} others in flight (keepAliveOnCrash)`, async () => {
      const url = await start({ KEEP_ALIVE_ON_CRASH: '1' });
      const slow = await slowOnes(url);
      const headers = fcHeaders();
      const crashing = get(`${url}/crash?how=${how}`, headers);
      await child!.waitFor(new RegExp(`^\\S+Z ${escapeRegExp(headers['x-fc-request-id'])} \\[INFO\\] crash started$`));
      // Newer requests come in before it throws: the blame must not go to the latest one.
      const later = await slowOnes(url, 3);
      expect((await get(`${url}/fire`, fcHeaders())).status).to.equal(200);
      const crashed = await crashing;
      expect(crashed.status).to.equal(500);
      expect(crashed.headers.get('x-fc-status')).to.equal('404');
      const crashedId = headers['x-fc-request-id'];
      await child!.waitFor(new RegExp(`^FC Invoke End RequestId: ${escapeRegExp(crashedId)}, Error: `));

      expect((await get(`${url}/release`, fcHeaders())).status).to.equal(200);
      const ids = [...slow.ids, ...later.ids];
      const answers = [...(await slow.answers), ...(await later.answers)];
      for (const [i, res] of answers.entries()) {
        expect(res.status).to.equal(200);
        expect(res.headers.get('x-fc-status')).to.equal('200');
        expect(await res.text()).to.equal(`slow done ${ids[i]}`);
      }
      for (const id of ids) await child!.waitFor(new RegExp(`^FC Invoke End RequestId: ${escapeRegExp(id)}$`));
      expectOnlyBlamed(crashedId, message, ids);
      const next = await post(`${url}/invoke`, fcHeaders({ 'x-fc-control-path': '/invoke' }), 'ok');
      expect(await next.text()).to.equal('fine');
    });

    it(`answers an event whose flow throws uncaught (${how}) 404 with the FC error body, blames it alone among ${IN_FLIGHT} in flight, then exits 1`, async () => {
      const url = await start();
      const slow = await slowOnes(url);
      // Node's default: the process goes, and the requests in flight with it.
      const gone = [slow.answers.catch(() => undefined)];
      const headers = fcHeaders({ 'x-fc-control-path': '/invoke' });
      const answer = post(`${url}/invoke`, headers, how);
      await child!.waitFor(new RegExp(`^\\S+Z ${escapeRegExp(headers['x-fc-request-id'])} \\[INFO\\] crash started$`));
      const later = await slowOnes(url, 3);
      gone.push(later.answers.catch(() => undefined));
      expect((await get(`${url}/fire`, fcHeaders())).status).to.equal(200);
      const res = await answer;
      expect(res.status).to.equal(404);
      expect(res.headers.get('x-fc-status')).to.equal('404');
      const body = (await res.json()) as { errorMessage: string; errorType: string; stackTrace: string[] };
      expect(body).to.include({ errorType: 'Error', errorMessage: message });
      expect(body.stackTrace).to.be.an('array').that.is.not.empty;
      expect(await child!.exited).to.equal(1);
      await Promise.all(gone);
      const lines = child!.stdout.split('\n');
      expect(lines).to.include(`FC Invoke End RequestId: ${headers['x-fc-request-id']}, Error: ${message}`);
      const errors = lines.filter((line) => / \[ERROR\] Uncaught exception: /.test(line));
      expect(errors).to.have.length(1);
      expect(errors[0]).to.include(` ${headers['x-fc-request-id']} [ERROR] Uncaught exception: Error: ${message}`);
    });
  }
});
