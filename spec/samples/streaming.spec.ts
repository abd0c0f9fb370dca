import { expect } from 'chai';
import { createHash, randomBytes } from 'crypto';
import type { Express } from 'express';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import type { Server } from 'http';
import { tmpdir } from 'os';
import { join } from 'path';
import request from 'supertest';
import { close, listen, urlOf } from '../helpers/apps';
import { run } from '../helpers/child';
import { recordOutput } from '../helpers/output';
import { loadSample, logLine, sampleDir, startLocal, type LocalFc } from './local-fc';

const HANDBOOK = readFileSync(join(sampleDir('streaming'), 'files', 'handbook.txt'), 'utf8');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Server-sent events read off a streaming fetch() answer, one at a time, as they arrive. */
function eventsOf(res: Response): { next(): Promise<{ event: string; data: string }>; cancel(): Promise<void> } {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  return {
    async next() {
      for (;;) {
        const end = buffered.indexOf('\n\n');
        if (end !== -1) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const fields = block.split('\n').filter((line) => !line.startsWith(':'));
          if (fields.length === 0) continue;
          const field = (name: string) => fields.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
          if (field('data') === undefined) continue; // retry: only
          return { event: field('event') ?? 'message', data: field('data')! };
        }
        const { done, value } = await reader.read();
        if (done) throw new Error(`the event stream ended; left over: ${JSON.stringify(buffered)}`);
        buffered += decoder.decode(value, { stream: true });
      }
    },
    cancel: () => reader.cancel(),
  };
}

/** The CSV rows the report writes, computed the way the sample computes them. */
function reportRow(i: number): string {
  const day = new Date(Date.UTC(2024, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
  return `${day},${(i * 37) % 101},${((i * 7919) % 100000) / 100}`;
}

describe('samples/streaming: downloads, chunked responses, server-sent events and large uploads', () => {
  describe('on a VM (its own server.js)', () => {
    const output = recordOutput();
    let uploads: string;
    let app: Express;
    let server: Server;

    before(async () => {
      // The site reads UPLOAD_DIR once, when loaded.
      uploads = mkdtempSync(join(tmpdir(), 'streaming-vm-'));
      const saved = process.env.UPLOAD_DIR;
      process.env.UPLOAD_DIR = uploads;
      app = loadSample('streaming', 'server.js') as Express;
      if (saved === undefined) delete process.env.UPLOAD_DIR;
      else process.env.UPLOAD_DIR = saved;
      server = await listen(app);
    });

    after(async () => {
      // Unset when before() failed.
      if ((server as Server | undefined) !== undefined) await close(server);
      if ((uploads as string | undefined) !== undefined) rmSync(uploads, { recursive: true, force: true });
    });

    it('sends its handbook as an attachment', async () => {
      const res = await request(app).get('/download/handbook.txt').expect(200);
      expect(res.headers['content-disposition']).to.match(/^attachment; filename="?handbook\.txt"?$/);
      expect(res.text).to.equal(HANDBOOK);
    });

    it('writes the CSV report in chunks, row by row', async () => {
      const res = await request(app)
        .get('/report.csv?rows=2000')
        .expect(200)
        .expect('content-type', /text\/csv/);
      expect(res.headers['transfer-encoding']).to.equal('chunked');
      const lines = res.text.trimEnd().split('\n');
      expect(lines).to.have.length(2001);
      expect(lines[1999 + 1]).to.equal(reportRow(1999));
    });

    it('streams each posted message to an open event stream', async () => {
      const res = await fetch(`${urlOf(server)}/events`);
      expect(res.headers.get('content-type')).to.match(/^text\/event-stream/);
      const events = eventsOf(res);
      expect(await events.next()).to.deep.equal({ event: 'ready', data: '{"listeners":1}' });
      await request(app).post('/messages').send({ text: 'hello, VM' }).expect(202, { delivered: 1 });
      const message = await events.next();
      expect(message.event).to.equal('message');
      expect(JSON.parse(message.data).text).to.equal('hello, VM');
      await events.cancel();
      await output().waitFor(/event stream closed \(0 open\)/);
    });

    it('stores an upload while hashing it, and serves it back with ranges', async () => {
      const bytes = randomBytes(3 * 1024 * 1024 + 17);
      const stored = await request(app).put('/uploads/blob.bin').set('content-type', 'application/octet-stream').send(bytes).expect(201);
      expect(stored.body).to.deep.equal({ name: 'blob.bin', bytes: bytes.length, sha256: sha256(bytes) });
      const part = await fetch(`${urlOf(server)}/uploads/blob.bin`, { headers: { range: 'bytes=100-199' } });
      expect(part.status).to.equal(206);
      expect(Buffer.compare(Buffer.from(await part.arrayBuffer()), bytes.subarray(100, 200))).to.equal(0);
      await request(app)
        .get('/uploads')
        .expect(200, { files: [{ name: 'blob.bin', bytes: bytes.length }] });
    });

    it('refuses an unsafe file name and an empty message', async () => {
      await request(app).put('/uploads/..%2Fescape').send('x').expect(400);
      await request(app).post('/messages').send({ text: '' }).expect(422);
    });

    it('listens where it is asked when run with node server.js', async () => {
      const child = run(`${sampleDir('streaming')}/server.js`, { PORT: '0', UPLOAD_DIR: uploads });
      try {
        const line = await child.waitFor(/^Streaming site listening on port \d+$/);
        const res = await fetch(`http://127.0.0.1:${/\d+$/.exec(line)![0]}/`);
        expect(await res.text()).to.contain('<h1>Streaming sample</h1>');
      } finally {
        child.process.kill('SIGTERM');
        await child.exited;
      }
    });
  });

  describe('on the local Function Compute (fc-runtime local start, its bootstrap)', () => {
    let fc: LocalFc;
    // The runtime's os.tmpdir(), where the site keeps its uploads (the local FC passes TMPDIR on).
    let tmp: string;

    before(async () => {
      tmp = mkdtempSync(join(tmpdir(), 'streaming-fc-'));
      fc = await startLocal('streaming', { TMPDIR: tmp });
    });

    after(async () => {
      // Unset when before() failed.
      await (fc as LocalFc | undefined)?.stop();
      if ((tmp as string | undefined) !== undefined) rmSync(tmp, { recursive: true, force: true });
    });

    it('downloads the handbook as an attachment', async () => {
      const res = await fetch(`${fc.base}/download/handbook.txt`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('x-fc-status')).to.equal('200');
      expect(res.headers.get('content-disposition')).to.match(/^attachment; filename="?handbook\.txt"?$/);
      expect(await res.text()).to.equal(HANDBOOK);
      await fc.invocation(fc.requestIdOf(res));
    });

    it('passes the chunked CSV report through, whole and in order', async () => {
      const res = await fetch(`${fc.base}/report.csv?rows=50000`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('transfer-encoding')).to.equal('chunked');
      expect(res.headers.get('content-length')).to.equal(null);
      const lines = (await res.text()).trimEnd().split('\n');
      expect(lines).to.have.length(50_001);
      expect(lines[0]).to.equal('day,orders,revenue');
      expect(lines[12_345 + 1]).to.equal(reportRow(12_345));
      expect(lines[50_000]).to.equal(reportRow(49_999));
      await fc.invocation(fc.requestIdOf(res));
    });

    it('streams server-sent events while another invocation posts a message, and ends the stream invocation when the page goes', async () => {
      const stream = await fetch(`${fc.base}/events`);
      expect(stream.status).to.equal(200);
      expect(stream.headers.get('x-fc-status')).to.equal('200');
      const streamId = fc.requestIdOf(stream);
      const events = eventsOf(stream);
      // The first event arrives while the answer is still open: the front streams, it does not buffer.
      expect(await events.next()).to.deep.equal({ event: 'ready', data: '{"listeners":1}' });

      const posted = await fetch(`${fc.base}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"text":"hello from FC"}',
      });
      expect(posted.status).to.equal(202);
      expect(await posted.json()).to.deep.equal({ delivered: 1 });
      const postId = fc.requestIdOf(posted);
      expect(postId).not.to.equal(streamId);
      await fc.invocation(postId);

      const message = await events.next();
      expect(message.event).to.equal('message');
      expect(JSON.parse(message.data).text).to.equal('hello from FC');
      expect(fc.child.stdout).not.to.contain(`FC Invoke End RequestId: ${streamId}`);

      await events.cancel();
      const lines = await fc.linesOf(streamId);
      expect(lines[0]).to.match(logLine(streamId, 'INFO', 'event stream opened (1 open)'));
      expect(lines[1]).to.match(logLine(streamId, 'INFO', 'event stream closed (0 open)'));
      expect(await fc.summaryOf(streamId)).to.match(/^FC GET \/events: 200, x-fc-status 200, .* before the client went away, RequestId: /);
    });

    it('takes a 24 MB upload, streamed to disk and hashed, and serves it back whole and by range', async () => {
      const bytes = randomBytes(24 * 1024 * 1024);
      const stored = await fetch(`${fc.base}/uploads/big.bin`, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream' },
        body: bytes,
      });
      expect(stored.status).to.equal(201);
      expect(stored.headers.get('x-fc-status')).to.equal('200');
      expect(stored.headers.get('location')).to.equal('/uploads/big.bin');
      expect(await stored.json()).to.deep.equal({ name: 'big.bin', bytes: bytes.length, sha256: sha256(bytes) });
      const uploadId = fc.requestIdOf(stored);
      expect((await fc.linesOf(uploadId))[0]).to.match(logLine(uploadId, 'INFO', `stored big.bin (${bytes.length} bytes)`));
      expect(readFileSync(join(tmp, 'streaming-sample-uploads', 'big.bin')).length).to.equal(bytes.length);

      const whole = await fetch(`${fc.base}/uploads/big.bin`);
      expect(whole.status).to.equal(200);
      expect(whole.headers.get('content-length')).to.equal(String(bytes.length));
      expect(sha256(Buffer.from(await whole.arrayBuffer()))).to.equal(sha256(bytes));
      const part = await fetch(`${fc.base}/uploads/big.bin`, { headers: { range: 'bytes=1000000-1000099' } });
      expect(part.status).to.equal(206);
      expect(part.headers.get('content-range')).to.equal(`bytes 1000000-1000099/${bytes.length}`);
      expect(Buffer.compare(Buffer.from(await part.arrayBuffer()), bytes.subarray(1_000_000, 1_000_100))).to.equal(0);
      await fc.invocation(fc.requestIdOf(whole));
      await fc.invocation(fc.requestIdOf(part));
    });

    it('stops on Ctrl-C with SIGTERM alone: s.yaml configures no preStop, so FC would send no /pre-stop', async () => {
      expect(await fc.stop()).to.equal(0);
      const stdout = fc.child.stdout;
      expect(stdout).to.match(/^fc-runtime local: SIGINT: SIGTERM \(Ctrl-C again to kill it at once\)\.$/m);
      expect(stdout).to.not.match(/^FC PreStop Start/m);
      expect(stdout).to.match(/^fc-runtime local: stopped\.$/m);
    });
  });
});
