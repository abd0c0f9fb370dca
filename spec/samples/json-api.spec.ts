import { expect } from 'chai';
import type { Express } from 'express';
import request from 'supertest';
import { run } from '../helpers/child';
import { recordOutput } from '../helpers/output';
import { invokeLocal, loadSample, logLine, sampleDir, startLocal, type LocalFc } from './local-fc';

const ALLOWED = 'https://app.example.com';

describe('samples/json-api: an Express 5 API with events and an initializer', () => {
  describe('on a VM (its own server.js)', () => {
    const output = recordOutput();
    const app = loadSample('json-api', 'server.js') as Express;

    it('warms its cache on the first request and lists the seed tasks', async () => {
      const res = await request(app).get('/api/tasks').expect(200).expect('content-type', /json/);
      expect(res.body.tasks.map((t: { title: string }) => t.title)).to.deep.equal([
        'Write the release notes',
        'Rotate the API keys',
        'Answer the support queue',
      ]);
      const stats = await request(app).get('/api/stats').expect(200);
      expect(stats.body).to.deep.include({ total: 3, done: 1, byTag: { docs: 1, ops: 1, security: 1, support: 1 } });
      expect(stats.body.cache.warmedBy).to.equal('first request');
    });

    it('creates, reads, updates, filters and deletes a task with async handlers', async () => {
      const created = await request(app)
        .post('/api/tasks')
        .send({ title: 'Ship it', tags: ['release'] })
        .expect(201);
      expect(created.headers.location).to.equal(`/api/tasks/${String(created.body.id)}`);
      expect(output().stdout).to.contain(`created task ${String(created.body.id)}`);
      await request(app).get(created.headers.location).expect(200, created.body);
      const done = await request(app).patch(created.headers.location).send({ done: true }).expect(200);
      expect(done.body.done).to.equal(true);
      const filtered = await request(app).get('/api/tasks?tag=release&done=true').expect(200);
      expect(filtered.body.tasks.map((t: { id: string }) => t.id)).to.deep.equal([created.body.id]);
      await request(app).delete(created.headers.location).expect(204);
      const gone = await request(app).get(created.headers.location).expect(404);
      expect(gone.body).to.deep.equal({ error: 'not_found', message: `No task ${String(created.body.id)}` });
    });

    it('answers validation errors with 422 and the fields at fault, bad JSON with 400', async () => {
      const invalid = await request(app)
        .post('/api/tasks')
        .send({ title: ' ', tags: ['Not OK'], done: 'yes' })
        .expect(422);
      expect(invalid.body).to.deep.equal({
        error: 'validation_failed',
        details: [
          { field: 'title', message: 'is required' },
          { field: 'tags', message: 'must be a list of lowercase words' },
          { field: 'done', message: 'must be true or false' },
        ],
      });
      const broken = await request(app).post('/api/tasks').set('content-type', 'application/json').send('{"title":').expect(400);
      expect(broken.body.error).to.equal('invalid_json');
    });

    it('allows its front end origin through CORS, and no other', async () => {
      const preflight = await request(app)
        .options('/api/tasks')
        .set('origin', ALLOWED)
        .set('access-control-request-method', 'POST')
        .set('access-control-request-headers', 'content-type')
        .expect(204);
      expect(preflight.headers['access-control-allow-origin']).to.equal(ALLOWED);
      expect(preflight.headers['access-control-allow-methods']).to.contain('POST');
      const other = await request(app).get('/api/tasks').set('origin', 'https://evil.example').expect(200);
      expect(other.headers['access-control-allow-origin']).to.equal(undefined);
    });

    it('listens where it is asked when run with node server.js', async () => {
      const child = run(`${sampleDir('json-api')}/server.js`, { PORT: '0' });
      try {
        const line = await child.waitFor(/^Tasks API listening on port \d+$/);
        const res = await fetch(`http://127.0.0.1:${/\d+$/.exec(line)![0]}/health`);
        expect(await res.json()).to.deep.equal({ ok: true });
      } finally {
        child.process.kill('SIGTERM');
        await child.exited;
      }
    });
  });

  describe('on the local Function Compute: HTTP through fc-runtime local start', () => {
    let fc: LocalFc;

    before(async () => {
      fc = await startLocal('json-api');
    });

    after(async () => {
      // Unset when before() failed.
      await (fc as LocalFc | undefined)?.stop();
    });

    it('runs the initializer before the first request, so the cache is warm when the API answers', async () => {
      const res = await fetch(`${fc.base}/api/stats`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('x-fc-status')).to.equal('200');
      const stats = (await res.json()) as { total: number; cache: { warmedBy: string } };
      expect(stats.total).to.equal(3);
      expect(stats.cache.warmedBy).to.equal('initializer');
      const initialize = await fc.child.waitFor(/^FC Initialize: 200, x-fc-status 200, /);
      const initializeId = /RequestId: (\S+)$/.exec(initialize)![1];
      const { end } = await fc.invocation(initializeId, 'Initialize');
      const { start } = await fc.invocation(fc.requestIdOf(res));
      expect(end).to.be.below(start);
    });

    it('creates a task: 201, its Location, and the console line with the request id', async () => {
      const res = await fetch(`${fc.base}/api/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: ALLOWED },
        body: JSON.stringify({ title: 'Deploy to Function Compute', tags: ['ops'] }),
      });
      expect(res.status).to.equal(201);
      expect(res.headers.get('x-fc-status')).to.equal('200');
      expect(res.headers.get('access-control-allow-origin')).to.equal(ALLOWED);
      const task = (await res.json()) as { id: string };
      expect(res.headers.get('location')).to.equal(`/api/tasks/${task.id}`);
      const id = fc.requestIdOf(res);
      const lines = await fc.linesOf(id);
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(logLine(id, 'INFO', `created task ${task.id}`));
      const read = await fetch(`${fc.base}/api/tasks/${task.id}`);
      expect(await read.json()).to.deep.equal(task);
    });

    it('answers a validation error with 422 (a success for FC) and an unknown task with 404', async () => {
      const invalid = await fetch(`${fc.base}/api/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"title":""}',
      });
      expect(invalid.status).to.equal(422);
      expect(invalid.headers.get('x-fc-status')).to.equal('200');
      expect(await invalid.json()).to.deep.equal({ error: 'validation_failed', details: [{ field: 'title', message: 'is required' }] });
      const missing = await fetch(`${fc.base}/api/tasks/999`);
      expect(missing.status).to.equal(404);
      expect(missing.headers.get('x-fc-status')).to.equal('200');
      await fc.invocation(fc.requestIdOf(invalid));
      expect(await fc.summaryOf(fc.requestIdOf(missing))).to.match(/^FC GET \/api\/tasks\/999: 404, x-fc-status 200, /);
    });

    it('answers the CORS preflight through the HTTP trigger', async () => {
      const res = await fetch(`${fc.base}/api/tasks`, {
        method: 'OPTIONS',
        headers: { origin: ALLOWED, 'access-control-request-method': 'DELETE' },
      });
      expect(res.status).to.equal(204);
      expect(res.headers.get('access-control-allow-origin')).to.equal(ALLOWED);
      expect(res.headers.get('access-control-allow-methods')).to.contain('DELETE');
      expect(res.headers.get('access-control-max-age')).to.equal('600');
      await fc.invocation(fc.requestIdOf(res));
    });

    it('stops on Ctrl-C with SIGTERM alone: s.yaml configures no preStop, so FC would send no /pre-stop', async () => {
      expect(await fc.stop()).to.equal(0);
      const stdout = fc.child.stdout;
      expect(stdout).to.match(/^fc-runtime local: SIGINT: SIGTERM \(Ctrl-C again to kill it at once\)\.$/m);
      expect(stdout).to.not.match(/^FC PreStop Start/m);
      expect(stdout).to.match(/^fc-runtime local: stopped\.$/m);
    });
  });

  describe('on the local Function Compute: events through fc-runtime local invoke', () => {
    it('turns a batch of OSS uploads into tasks with the same service code', async () => {
      const result = await invokeLocal('json-api', { file: 'events/oss-upload.json' });
      expect(result.code, result.stderr).to.equal(0);
      expect(JSON.parse(result.stdout)).to.deep.equal({ created: ['4', '5'] });
      const id = result.idOf('Invoke');
      const lines = result.linesOf('Invoke');
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(logLine(id, 'INFO', 'queued 2 of 3 uploads for review'));
      expect(result.linesOf('Initialize')).to.deep.equal([]);
      expect(result.stderr).to.match(new RegExp(`^FC Invoke: 200, x-fc-status 200, .*RequestId: ${id}$`, 'm'));
    });

    it('archives the done tasks on a timer event', async () => {
      const event = JSON.stringify({ triggerTime: '2025-06-30T02:00:00Z', triggerName: 'nightly-archive', payload: '' });
      const result = await invokeLocal('json-api', { input: event });
      expect(result.code, result.stderr).to.equal(0);
      expect(JSON.parse(result.stdout)).to.deep.equal({ archived: 1 });
      const id = result.idOf('Invoke');
      expect(result.linesOf('Invoke')[0]).to.match(logLine(id, 'INFO', 'nightly-archive archived 1 done tasks'));
    });

    it('fails an event it does not know: 404, the error body, the stack logged with the request id, exit 1', async () => {
      const result = await invokeLocal('json-api', { input: '{"hello":"world"}' });
      expect(result.code).to.equal(1);
      const body = JSON.parse(result.stdout) as { errorType: string; errorMessage: string };
      expect(body.errorType).to.equal('Error');
      expect(body.errorMessage).to.match(/^Unrecognised event/);
      const id = result.idOf('Invoke');
      expect(result.linesOf('Invoke')[0]).to.match(logLine(id, 'ERROR', 'Error: Unrecognised event'));
      expect(result.stderr).to.match(new RegExp(`^FC Invoke: 404, x-fc-status 404, .*RequestId: ${id} \\(failed\\)$`, 'm'));
    });
  });
});
