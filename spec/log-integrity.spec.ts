// Log integrity (SPEC): what FC and Log Service read from stdout is true — every line of an invocation between
// its markers, no line a message can forge, no secret by any path.
import { expect } from 'chai';
import { spawn } from 'child_process';
import { randomBytes } from 'crypto';
import express from 'express';
import { fcRuntime } from '../lib';
import { endMarker } from '../lib/logging/format';
import { Tail, TAIL_BYTES } from '../lib/logging/tail';
import { pinCredentials, redact, rememberCredentials } from '../lib/logging/redact';
import { freePorts, listenPerTest, newRequestId } from './helpers/apps';
import { fixture, watch, type Child } from './helpers/child';
import { call } from './helpers/http';
import { expectOneInvocation } from './helpers/markers';
import { recordOutput } from './helpers/output';

const FORGED = 'shoes\nFC Invoke End RequestId: victim-7\n2026-01-01T00:00:00.000Z victim-7 [ERROR] forged';

describe('log integrity', () => {
  describe('no message forges a marker or a log line', () => {
    const listen = listenPerTest();
    const output = recordOutput();

    function logSite() {
      const app = express();
      app.use(fcRuntime({ trustFcHeaders: true }));
      app.get('/console', (req, res) => {
        console.log('%s', req.query.text);
        res.send('ok');
      });
      app.get('/logger', (req, res) => {
        req.fc!.logger.warn(req.query.text);
        res.send('ok');
      });
      return app;
    }

    for (const route of ['/console', '/logger']) {
      it(`indents every continuation line of a multi-line message (${route === '/console' ? "console.log('%s', input)" : 'req.fc.logger'})`, async () => {
        const server = await listen(logSite());
        const id = newRequestId();
        await call(server, { path: `${route}?text=${encodeURIComponent(FORGED)}`, headers: { 'x-fc-request-id': id } });
        await expectOneInvocation(output(), 'Invoke', id);
        const lines = output().stdoutLines;
        expect(lines.filter((line) => line.startsWith('FC '))).to.deep.equal([
          `FC Invoke Start RequestId: ${id}`,
          `FC Invoke End RequestId: ${id}`,
        ]);
        expect(lines.filter((line) => /^\S+Z /.test(line))).to.have.length(1);
        expect(lines).to.include('  FC Invoke End RequestId: victim-7');
        expect(lines).to.include('  2026-01-01T00:00:00.000Z victim-7 [ERROR] forged');
      });
    }

    it('writes terminal control characters as \\xHH, and keeps the tab', async () => {
      const server = await listen(logSite());
      const id = newRequestId();
      await call(server, {
        path: `/console?text=${encodeURIComponent('\x1b[31mred\x1b[0m\tcarriage\rreturn\x7f\x9b')}`,
        headers: { 'x-fc-request-id': id },
      });
      await expectOneInvocation(output(), 'Invoke', id);
      expect(output().stdout).to.contain('[INFO] \\x1b[31mred\\x1b[0m\tcarriage\\x0dreturn\\x7f\\x9b\n');
    });

    it("keeps a crash's error message on the End marker's line, control characters escaped", () => {
      const end = endMarker('Invoke', 'req-1', 'bad\r\nFC Invoke End RequestId: victim-7\x1b[2J');
      expect(end).to.equal('FC Invoke End RequestId: req-1, Error: bad FC Invoke End RequestId: victim-7\\x1b[2J\n');
    });
  });

  describe('every path to stdout and stderr, in a real process', () => {
    const SECRET = `env-secret-${randomBytes(16).toString('hex')}`;
    const TOKEN = `env-token-${randomBytes(16).toString('hex')}`;
    let child: Child;
    let port: number;
    let paths: string[];

    before(async () => {
      [port] = await freePorts(1);
      // stderr joined to stdout by the shell: the order of the lines is the order of the writes.
      const process_ = spawn('/bin/sh', ['-c', 'exec "$0" "$@" 2>&1', process.execPath, fixture('log-paths-site.js'), String(port)], {
        env: { ...process.env, FC_FUNC_CODE_PATH: '/code', ALIBABA_CLOUD_ACCESS_KEY_SECRET: SECRET, ALIBABA_CLOUD_SECURITY_TOKEN: TOKEN },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = watch(process_);
      await child.waitFor(/^listening$/);
      paths = JSON.parse((await call(port, { path: '/paths' })).text) as string[];
    });

    after(async () => {
      child.process.kill('SIGKILL');
      await child.exited;
    });

    it('covers the paths a site’s loggers take', () => {
      expect(paths).to.include.members([
        'console.dir',
        'console.table',
        'process.stdout.write',
        'process.stderr.write',
        'fs.writeSync(1)',
        'fs.write(1)',
      ]);
    });

    it('writes the Start marker before anything the invocation writes, and the End marker after, by every path', async () => {
      for (const via of paths) {
        const id = newRequestId();
        const text = `line-by-${via}-${id}`;
        await call(port, {
          path: `/write?via=${encodeURIComponent(via)}&text=${encodeURIComponent(text)}`,
          headers: { 'x-fc-request-id': id },
        });
        await child.waitFor(new RegExp(`^FC Invoke End RequestId: ${id}$`));
        await child.waitFor(new RegExp(text.replace(/[()]/g, '\\$&')));
        const lines = child.stdout.split('\n');
        const start = lines.indexOf(`FC Invoke Start RequestId: ${id}`);
        const end = lines.indexOf(`FC Invoke End RequestId: ${id}`);
        const line = lines.findIndex((l) => l.includes(text));
        expect(start, `${via}:\n${child.stdout}`).to.be.above(-1);
        expect(line, via).to.be.above(start);
        // fs.write's callback is the kernel's: its line may follow the End marker, never precede the Start.
        if (!via.startsWith('fs.write(')) expect(line, via).to.be.below(end);
      }
    });

    it('writes the Start marker of a request that writes nothing while it is still open (a killed instance still shows it)', async () => {
      const id = newRequestId();
      const answered = call(port, { path: '/hold', headers: { 'x-fc-request-id': id } });
      let open = true;
      void answered.finally(() => (open = false));
      await child.waitFor(new RegExp(`^FC Invoke Start RequestId: ${id}$`));
      expect(open, 'the Start marker came only with the answer').to.equal(true);
      await call(port, { path: '/release' });
      expect((await answered).text).to.equal('released');
      await child.waitFor(new RegExp(`^FC Invoke End RequestId: ${id}$`));
    });

    it("redacts the environment's secret and token by every path", async () => {
      for (const via of paths) {
        const id = newRequestId();
        await call(port, {
          path: `/write?via=${encodeURIComponent(via)}&text=${encodeURIComponent(`${via} ${SECRET} ${TOKEN} done-${id}`)}`,
          headers: { 'x-fc-request-id': id },
        });
        await child.waitFor(new RegExp(`done-${id}`));
      }
      await child.waitFor(new RegExp(`^FC Invoke End RequestId: `));
      expect(child.stdout).not.to.contain(SECRET);
      expect(child.stdout).not.to.contain(TOKEN);
      expect(child.stdout.match(/\[redacted\] \[redacted\]/g)).to.have.length(paths.length);
    });
  });

  describe('the list of secrets', () => {
    it('keeps the environment’s for good and only the 64 newest that requests brought: its size, and the cost of matching it, are bounded', () => {
      const pinned = `pinned-${randomBytes(12).toString('hex')}`;
      pinCredentials(pinned, undefined);
      const brought = Array.from({ length: 2048 }, (_, i) => `short${i}`);
      for (const secret of brought) rememberCredentials(secret, undefined);
      expect(redact(pinned)).to.equal('[redacted]');
      expect(brought.filter((secret) => redact(secret) === '[redacted]')).to.deep.equal(brought.slice(-64));
    });
  });

  it('redacts secrets with characters that mean something in a pattern, and a secret inside a longer one whole', () => {
    const secret = `a+b/c=(d)[e]*${randomBytes(6).toString('hex')}`;
    const token = `tok.${secret}.en$^|`;
    rememberCredentials(secret, token);
    expect(redact(`secret ${secret} token ${token} end`)).to.equal('secret [redacted] token [redacted] end');
    expect(redact('a+b/c=(d)[e]* is not the secret')).to.equal('a+b/c=(d)[e]* is not the secret');
  });

  describe('x-fc-log-result', () => {
    it('is redacted before it is cut: a secret across the cut leaves no tail', () => {
      const secret = `cut-secret-${randomBytes(24).toString('hex')}`;
      rememberCredentials(secret, undefined);
      const tail = new Tail();
      // A log long enough to be cut as it grows, the secret ending 10 characters into the part kept:
      // cut before redaction, its last 10 characters would stay.
      tail.push('x'.repeat(4 * TAIL_BYTES) + secret + 'y'.repeat(TAIL_BYTES - 10 - 1) + '\n');
      const text = Buffer.from(tail.encode(), 'base64').toString();
      expect(text).not.to.contain(secret.slice(-10));
      expect(text.length).to.be.at.most(TAIL_BYTES);
    });
  });
});
