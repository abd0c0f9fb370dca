import { expect } from 'chai';
import { spawn } from 'child_process';
import { createHash, randomBytes } from 'crypto';
import { existsSync, readFileSync, realpathSync, writeFileSync } from 'fs';
import { createServer } from 'net';
import { join } from 'path';
import { freePorts } from './helpers/apps';
import { watch, type Child } from './helpers/child';
import { call, type Answer, type Call } from './helpers/http';
import { escapeRegExp } from './helpers/output';
import { bootstrap, CLI, cli, makeSite, removeSites, type SiteFile } from './helpers/sites';

const REGISTER = 'exec node -r express-fc-runtime/register server.js';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

// An unchanged site under register, with an event handler, an initializer and a preStop hook in
// its config file. It writes its pid, and the credentials it was given, where the spec can read them.
const EVENT_SITE: Record<string, SiteFile> = {
  'server.js': { fixture: 'sites/local-event-server.js' },
  'fc-runtime.config.js': { fixture: 'sites/local-event-config.js' },
  // A bootstrap that prints the credentials itself, outside the runtime's own redaction.
  bootstrap: bootstrap(
    `echo "bootstrap sees secret $ALIBABA_CLOUD_ACCESS_KEY_SECRET and token $ALIBABA_CLOUD_SECURITY_TOKEN"\n${REGISTER}`,
  ),
};

// A web site for the HTTP trigger: echo, binary mirror, a 10 MB download, an upload hash, headers FC refuses, a crash.
const WEB_SITE: Record<string, SiteFile> = {
  'server.js': { fixture: 'sites/local-web-server.js' },
  'fc-runtime.config.js': { fixture: 'sites/local-web-config.js' },
  bootstrap: bootstrap(REGISTER),
};

/** Whether a process with this pid still exists (zombies of the CLI are reaped before it exits). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).to.equal('ESRCH');
    return false;
  }
}

function pidOf(dir: string): number {
  return Number(readFileSync(join(dir, 'pid'), 'utf8'));
}

/** The output of a command that must end in one line naming the problem, exit 1, no stack; stdout empty unless `stdout` (the runtime's log under local start). */
async function expectOneLine(child: Child, command: string, pattern: RegExp, stdout = ''): Promise<string> {
  expect(await child.exited).to.equal(1, child.stderr);
  const lines = child.stderr.trimEnd().split('\n');
  const last = lines[lines.length - 1];
  expect(last).to.match(new RegExp(`^fc-runtime ${command}: `));
  expect(last).to.match(pattern);
  expect(child.stderr).not.to.match(/^\s+at /m);
  expect(child.stdout).to.equal(stdout);
  return last;
}

/** One request to the local trigger; a `body` of several chunks is a chunked upload unless a content-length is given. */
function send(port: number, method: string, path: string, options: Pick<Call, 'headers' | 'body'> = {}): Promise<Answer> {
  return call(port, { method, path, ...options, timeoutMs: 15_000 });
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('fc-runtime local', () => {
  after(removeSites);

  describe('local invoke', () => {
    describe('an event that succeeds', () => {
      let dir: string;
      let child: Child;
      let answer: {
        requestId: string;
        event: string;
        controlPath: string;
        cwd: string;
        env: Record<string, string>;
        credentials: Record<string, boolean>;
      };

      before(async () => {
        dir = makeSite({ ...EVENT_SITE, 'event.json': '{"hello":"world"}' });
        child = cli(['local', 'invoke', dir, '--event', join(dir, 'event.json')]);
        await child.exited;
        answer = JSON.parse(child.stdout);
      });

      it('exits 0 with only the answer on stdout', () => {
        expect(child.process.exitCode).to.equal(0, child.stderr);
        expect(answer.event).to.equal('{"hello":"world"}');
        expect(answer.controlPath).to.equal('/invoke');
      });

      it("prints the runtime's log and a summary line with status, x-fc-status, duration and request id on stderr", () => {
        const id = escapeRegExp(answer.requestId);
        expect(child.stderr).to.match(new RegExp(`^FC Invoke Start RequestId: ${id}$`, 'm'));
        expect(child.stderr).to.match(new RegExp(`^\\S+Z ${id} \\[INFO\\] event of 17 bytes$`, 'm'));
        expect(child.stderr).to.match(new RegExp(`^FC Invoke: 200, x-fc-status 200, \\d+\\.\\d ms, RequestId: ${id}$`, 'm'));
        // The summary comes after the runtime's End marker for the same request.
        expect(child.stderr.indexOf(`FC Invoke End RequestId: ${answer.requestId}`)).to.be.lessThan(child.stderr.indexOf('FC Invoke: 200'));
      });

      it('sends /initialize first and /pre-stop last, each once', () => {
        const order = [...child.stderr.matchAll(/^FC (\w+) (Start|End) RequestId/gm)].map((m) => `${m[1]} ${m[2]}`);
        expect(order).to.deep.equal(['Initialize Start', 'Initialize End', 'Invoke Start', 'Invoke End', 'PreStop Start', 'PreStop End']);
        expect(child.stderr).to.match(/\[INFO\] initializer ran$/m);
        expect(child.stderr).to.match(/\[INFO\] preStop ran, qualifier LATEST$/m);
      });

      it("runs bootstrap in the code folder with FC's environment and fake temporary credentials", () => {
        expect(realpathSync(answer.cwd)).to.equal(realpathSync(dir));
        expect(answer.env.port).to.match(/^\d+$/);
        expect(answer.env.functionName).to.be.a('string').and.not.equal('');
        expect(answer.env.region).to.equal('cn-hangzhou');
        expect(answer.credentials).to.deep.equal({ temporaryKeyId: true, secret: true, token: true });
      });

      it('never prints the secret or the token, even when the bootstrap echoes them', () => {
        const { accessKeySecret, securityToken } = JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8')) as Record<string, string>;
        const output = child.stdout + child.stderr;
        expect(output).to.contain('bootstrap sees secret [redacted] and token [redacted]');
        expect(output).not.to.contain(accessKeySecret);
        expect(output).not.to.contain(securityToken);
      });

      it('leaves no process behind', () => {
        expect(alive(pidOf(dir))).to.equal(false);
      });
    });

    it("passes the shell's EXPRESS_FC_* settings on to the runtime, and its old FC_ names so that the runtime warns about them", async () => {
      const dir = makeSite({ ...EVENT_SITE, 'event.json': '{}' });
      const child = cli(['local', 'invoke', dir, '--event', join(dir, 'event.json')], {
        env: { EXPRESS_FC_RUNTIME: 'from-shell', FC_LOG_LEVEL: 'debug' },
      });
      expect(await child.exited).to.equal(0, child.stderr);
      expect(child.stderr).to.match(/^FunctionCompute from-shell runtime inited\.$/m);
      expect(child.stderr).to.match(/FC_LOG_LEVEL is read as EXPRESS_FC_LOG_LEVEL; rename it/);
    });

    it('reads the event from stdin with --event -, and exits 1 with the error answer when the handler throws', async () => {
      const dir = makeSite(EVENT_SITE);
      const child = cli(['local', 'invoke', '--event', '-'], { cwd: dir, input: 'fail' });
      expect(await child.exited).to.equal(1, child.stderr);
      expect(JSON.parse(child.stdout)).to.include({ errorMessage: 'the handler failed on purpose', errorType: 'Error' });
      expect(child.stderr).to.match(new RegExp(`^FC Invoke: 404, x-fc-status 404, \\d+\\.\\d ms, RequestId: ${UUID} \\(failed\\)$`, 'm'));
      expect(child.stderr).to.match(/^FC PreStop End RequestId/m);
      expect(alive(pidOf(dir))).to.equal(false);
    });

    it("exits 1 without sending the event when the initializer fails, with the initializer's error on stdout", async () => {
      const dir = makeSite({ ...EVENT_SITE, 'fail-initialize': '' });
      const child = cli(['local', 'invoke', dir]);
      expect(await child.exited).to.equal(1, child.stderr);
      expect(JSON.parse(child.stdout)).to.include({ errorMessage: 'the initializer failed on purpose' });
      expect(child.stderr).to.match(/^FC Initialize: 404, x-fc-status 404, .* \(failed\)$/m);
      expect(child.stderr).not.to.contain('FC Invoke');
      expect(alive(pidOf(dir))).to.equal(false);
    });

    it('ends in one line for a missing event file, before starting anything', async () => {
      const dir = makeSite(EVENT_SITE);
      const child = cli(['local', 'invoke', dir, '--event', 'nowhere.json']);
      await expectOneLine(child, 'local invoke', /no event file nowhere\.json/);
      expect(existsSync(join(dir, 'pid'))).to.equal(false);
    });

    it("refuses an event over FC's 32 MB limit in one line", async () => {
      const dir = makeSite(EVENT_SITE);
      writeFileSync(join(dir, 'big.bin'), Buffer.alloc(32 * 1024 * 1024 + 1));
      const child = cli(['local', 'invoke', dir, '--event', join(dir, 'big.bin')]);
      await expectOneLine(child, 'local invoke', /32\.0 MB, over FC's 32 MB limit/);
      expect(existsSync(join(dir, 'pid'))).to.equal(false);
    });

    describe('a bootstrap FC could not start ends in one line with the fix, exit 1, and no process left', () => {
      const sleeper = bootstrap('echo $$ > pid\nexec sleep 30');
      const cases: { name: string; files: Record<string, SiteFile>; args?: string[]; pattern: RegExp }[] = [
        { name: 'missing', files: {}, pattern: /no bootstrap in the code folder \(FC: CAFileNotFound\); run `fc-runtime init`/ },
        {
          name: 'not executable',
          files: { bootstrap: { content: `#!/bin/bash\n${REGISTER}\n`, mode: 0o644 } },
          pattern: /not executable.*chmod 755 bootstrap/,
        },
        {
          name: 'without #!/bin/bash',
          files: { bootstrap: { content: `${REGISTER}\n`, mode: 0o755 } },
          pattern: /no #!\/bin\/bash first line/,
        },
        {
          name: 'with CRLF line endings',
          files: { bootstrap: { content: `#!/bin/bash\r\n${REGISTER}\r\n`, mode: 0o755 } },
          pattern: /CRLF/,
        },
        {
          name: 'exiting at once',
          files: { bootstrap: bootstrap('echo "cannot start: no config" >&2\nexit 3') },
          pattern: /bootstrap exited \(3\) before listening/,
        },
        {
          name: 'never listening',
          files: { bootstrap: sleeper },
          args: ['--start-timeout', '1'],
          pattern: /nothing listened on port \d+ within 1 s \(FC: FunctionNotStarted\)/,
        },
        {
          name: 'listening on 127.0.0.1 only',
          files: { bootstrap: bootstrap('echo $$ > pid\nexec node server.js'), 'server.js': { fixture: 'sites/loopback-server.js' } },
          pattern: /listens on 127\.0\.0\.1 only, which FC cannot reach/,
        },
      ];
      for (const { name, files, args = [], pattern } of cases) {
        it(name, async () => {
          const dir = makeSite(files);
          const child = cli(['local', 'invoke', dir, ...args]);
          await expectOneLine(child, 'local invoke', pattern);
          if (existsSync(join(dir, 'pid'))) expect(alive(pidOf(dir))).to.equal(false);
        });
      }

      it('local start shows the log of a bootstrap that exits at once (on stdout, as it serves), then the line', async () => {
        const dir = makeSite({ bootstrap: bootstrap('echo "cannot start: no config"\nexit 3') });
        const child = cli(['local', 'start', dir, '--port', String((await freePorts(1))[0])]);
        await expectOneLine(
          child,
          'local start',
          /bootstrap exited \(3\) before listening on port \d+ \(FC: CAExited\); see its log above/,
          'cannot start: no config\n',
        );
      });
    });
  });

  describe('local start', () => {
    let dir: string;
    let port: number;
    let child: Child;

    before(async () => {
      dir = makeSite(WEB_SITE);
      [port] = await freePorts(1);
      child = cli(['local', 'start', dir, '--port', String(port)]);
      await child.waitFor(/Ctrl-C sends \/pre-stop/);
    });

    after(async () => {
      if (child.process.exitCode === null && child.process.signalCode === null) {
        child.process.kill('SIGINT');
        await child.exited;
      }
    });

    it('passes any method, path, query and header through, each request with a fresh id and x-fc-control-path /http-invoke', async () => {
      const seen: { method: string; url: string; controlPath: string; requestId: string; custom: string; cookie: string }[] = [];
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
        const reply = await send(port, method, '/echo/a/b%20c?x=1&y=two&x=3', { headers: { 'x-custom': method, cookie: 'k=v; other=w' } });
        expect(reply.status).to.equal(200);
        const body = JSON.parse(reply.body.toString());
        expect(reply.headers['x-fc-request-id']).to.equal(body.requestId);
        seen.push(body);
      }
      expect(seen.map((s) => s.method)).to.deep.equal(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
      for (const s of seen) {
        expect(s).to.include({ url: '/echo/a/b%20c?x=1&y=two&x=3', controlPath: '/http-invoke', custom: s.method, cookie: 'k=v; other=w' });
        expect(s.requestId).to.match(new RegExp(`^${UUID}$`));
      }
      expect(new Set(seen.map((s) => s.requestId)).size).to.equal(6);
    });

    it("prints the runtime's log and one line per request with status, x-fc-status, duration, size and request id", async () => {
      const reply = await send(port, 'GET', '/echo/line?q=1');
      const { requestId } = JSON.parse(reply.body.toString());
      await child.waitFor(new RegExp(`^\\S+Z ${String(requestId)} \\[INFO\\] echo GET /echo/line\\?q=1$`));
      await child.waitFor(
        new RegExp(
          `^FC GET /echo/line\\?q=1: 200, x-fc-status 200, \\d+\\.\\d ms, ${reply.body.length} B, RequestId: ${String(requestId)}$`,
        ),
      );
    });

    it("does not let a client set FC's x-fc-* headers", async () => {
      const reply = await send(port, 'POST', '/echo/spoof', { headers: { 'x-fc-control-path': '/invoke', 'x-fc-spoofed': 'yes' } });
      expect(JSON.parse(reply.body.toString())).to.include({ controlPath: '/http-invoke', spoofed: null });
      await child.waitFor(/POST \/echo\/spoof: request headers x-fc-control-path, x-fc-spoofed dropped/);
    });

    it('round-trips a binary body with all 256 byte values', async () => {
      const bytes = Buffer.from(Array.from({ length: 256 * 64 }, (_, i) => i % 256));
      const reply = await send(port, 'POST', '/mirror', {
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
        body: [bytes],
      });
      expect(reply.status).to.equal(200);
      expect(reply.body.equals(bytes)).to.equal(true);
    });

    it('streams a 10 MB download byte for byte', async () => {
      const reply = await send(port, 'GET', '/download');
      expect(reply.status).to.equal(200);
      expect(reply.headers['transfer-encoding']).to.equal('chunked');
      expect(reply.body.length).to.equal(10 * 1024 * 1024);
      await child.waitFor(new RegExp(`download sha256 ${sha256(reply.body)}$`));
    });

    it('streams a chunked upload byte for byte', async () => {
      const chunks = Array.from({ length: 80 }, () => randomBytes(64 * 1024 + 7));
      const reply = await send(port, 'POST', '/upload?case=chunked', { headers: { 'transfer-encoding': 'chunked' }, body: chunks });
      expect(JSON.parse(reply.body.toString())).to.deep.equal({
        sha256: sha256(Buffer.concat(chunks)),
        bytes: 80 * (64 * 1024 + 7),
        encoding: 'chunked',
      });
    });

    it('answers 400 InvalidArgument, as FC does, to a body declared over 32 MB, without forwarding it', async () => {
      const reply = await send(port, 'POST', '/upload?case=declared', { headers: { 'content-length': String(32 * 1024 * 1024 + 1) } });
      expect(reply.status).to.equal(400);
      expect(JSON.parse(reply.body.toString())).to.include({ ErrorCode: 'InvalidArgument' });
      await child.waitFor(/POST \/upload\?case=declared: the request body is 32\.0 MB, over FC's 32 MB limit/);
      // A later request's line is out: had the first been forwarded, the app's log line would be too.
      const after = await send(port, 'GET', '/echo/after-declared');
      await child.waitFor(new RegExp(`RequestId: ${String(JSON.parse(after.body.toString()).requestId)}$`));
      expect(child.stdout).not.to.contain('upload /upload?case=declared');
    });

    it('answers 400 InvalidArgument to a chunked upload once it passes 32 MB', async () => {
      const megabyte = randomBytes(1024 * 1024);
      const reply = await send(port, 'POST', '/upload?case=streamed', {
        headers: { 'transfer-encoding': 'chunked' },
        body: Array.from({ length: 34 }, () => megabyte),
      });
      expect(reply.status).to.equal(400);
      expect(JSON.parse(reply.body.toString())).to.include({ ErrorCode: 'InvalidArgument' });
    });

    it("answers 502 when the response headers pass FC's 8 KB, with a line saying why", async () => {
      const reply = await send(port, 'GET', '/big-headers');
      expect(reply.status).to.equal(502);
      expect(reply.headers['x-big']).to.equal(undefined);
      expect(JSON.parse(reply.body.toString())).to.include({ ErrorCode: 'BadResponse' });
      await child.waitFor(/GET \/big-headers: the function's response headers are 9\.\d KB, over FC's 8 KB limit/);
    });

    it('drops the response headers FC forbids, with a line naming them, and keeps the rest', async () => {
      const reply = await send(port, 'GET', '/forbidden-headers');
      expect(reply.status).to.equal(200);
      expect(reply.headers).not.to.have.property('server');
      expect(reply.headers).not.to.have.property('x-fc-custom');
      expect(reply.headers['set-cookie']).to.deep.equal(['a=1', 'b=2']);
      expect(reply.headers['x-fc-status']).to.equal('200');
      await child.waitFor(/GET \/forbidden-headers: response headers server, x-fc-custom dropped/);
    });

    it('starts a new instance for the next request after the runtime exits', async () => {
      const crashed = Number((await send(port, 'GET', '/crash')).body.toString());
      await child.waitFor(/the runtime exited \(3\); the next request starts a new instance/);
      const reply = await send(port, 'GET', '/pid');
      expect(reply.status).to.equal(200);
      expect(Number(reply.body.toString())).not.to.equal(crashed);
      expect(alive(crashed)).to.equal(false);
    });

    it('on SIGINT sends /pre-stop, stops the runtime and exits 0', async () => {
      const pid = pidOf(dir);
      expect(alive(pid)).to.equal(true);
      child.process.kill('SIGINT');
      expect(await child.exited).to.equal(0, child.stderr);
      expect(child.stdout).to.match(
        /^FC PreStop Start RequestId: .*\n(.*\n)*\S+Z \S+ \[INFO\] preStop ran, qualifier LATEST\n(.*\n)*FC PreStop End RequestId/m,
      );
      expect(alive(pid)).to.equal(false);
      expect(child.stderr).not.to.match(/^\s+at /m);
    });
  });

  describe('local start with an initializer that fails once', () => {
    it('initializes before the first request, says it failed, and retries with the next request', async () => {
      const dir = makeSite({ ...WEB_SITE, 'fc-runtime.config.js': { fixture: 'sites/initializer-fails-once-config.js' } });
      const [port] = await freePorts(1);
      const child = cli(['local', 'start', dir, '--port', String(port)]);
      try {
        await child.waitFor(/^fc-runtime local: the function's initializer failed \(404\); see its log\.$/);
        await child.waitFor(/^FC Initialize: 404, x-fc-status 404, .* \(failed\)$/);
        await child.waitFor(/Ctrl-C sends \/pre-stop/);
        const reply = await send(port, 'GET', '/pid');
        expect(reply.status).to.equal(200);
        expect(child.stdout).to.match(/^FC Initialize: 200, x-fc-status 200, /m);
      } finally {
        child.process.kill('SIGINT');
        expect(await child.exited).to.equal(0);
      }
    });
  });

  describe('user errors', () => {
    it('a port in use ends in one line, before the runtime starts', async () => {
      const dir = makeSite(WEB_SITE);
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as { port: number };
      try {
        const child = cli(['local', 'start', dir, '--port', String(port)]);
        await expectOneLine(child, 'local start', new RegExp(`port ${port} is in use`));
        expect(existsSync(join(dir, 'pid'))).to.equal(false);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('takes the runtime down with it when its own stdout goes away (`| head -1`)', async () => {
      const dir = makeSite(WEB_SITE);
      const [port] = await freePorts(1);
      const pipeline = watch(
        spawn('sh', ['-c', `"${process.execPath}" "${CLI}" local start "${dir}" --port ${port} | head -1`], {
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
      await pipeline.waitFor(/./);
      const runtime = pidOf(dir);
      // head has gone: the front's line for this request is the CLI's next write to a closed pipe.
      await send(port, 'GET', '/pid').catch(() => undefined);
      expect(await pipeline.exited).to.equal(0);
      const deadline = Date.now() + 5000;
      while (alive(runtime) && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
      expect(alive(runtime), `runtime ${runtime} outlived the CLI`).to.equal(false);
    });

    it('a code folder that does not exist ends in one line', async () => {
      await expectOneLine(cli(['local', 'invoke', '/nonexistent/code']), 'local invoke', /no code folder \/nonexistent\/code/);
    });

    for (const args of [
      ['local', 'invoke', '--nope'],
      ['local', 'start', '--port', 'eighty'],
    ]) {
      it(`\`${args.join(' ')}\` ends in one line and exit 1`, async () => {
        const child = cli(args);
        expect(await child.exited).to.equal(1);
        expect(child.stderr.trimEnd().split('\n')).to.have.length(1);
        expect(child.stderr.trimEnd()).to.match(/^fc-runtime: .*\(see --help\)$/);
      });
    }

    for (const command of ['invoke', 'start']) {
      it(`\`local ${command} --help\` describes its options`, async () => {
        const child = cli(['local', command, '--help']);
        expect(await child.exited).to.equal(0);
        expect(child.stdout).to.contain(`Usage: fc-runtime local ${command}`).and.contain('--start-timeout');
      });
    }
  });
});
