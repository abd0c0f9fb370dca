import { expect } from 'chai';
import { freePorts } from './helpers/apps';
import type { Child } from './helpers/child';
import { call, type Answer, type Call } from './helpers/http';
import { escapeRegExp } from './helpers/output';
import { bootstrap, cli, makeSite, removeSites, type SiteFile } from './helpers/sites';

// A plain Node server (not this package) run by a bootstrap, so what the front does shows bare.
const SITE: Record<string, SiteFile> = {
  'server.js': { fixture: 'sites/front-server.js' },
  bootstrap: bootstrap('exec node server.js'),
};

/** FC 3.0's s.yaml for the site, with a timeout and an instanceConcurrency of its own. */
function sYaml(port: number, { timeout = 1, concurrency = 1 } = {}): string {
  return [
    'edition: 3.0.0',
    'name: front',
    'access: default',
    'resources:',
    '  front:',
    '    component: fc3',
    '    props:',
    '      region: cn-hangzhou',
    '      functionName: front',
    '      runtime: custom.debian10',
    '      code: ./',
    '      handler: index.handler',
    '      memorySize: 512',
    `      timeout: ${timeout}`,
    `      instanceConcurrency: ${concurrency}`,
    '      customRuntimeConfig:',
    `        port: ${port}`,
    '',
  ].join('\n');
}

function send(port: number, path: string, options: Omit<Call, 'path'> = {}): Promise<Answer> {
  return call(port, { path, timeoutMs: 15_000, ...options });
}

/** `fc-runtime local start` on `files`, resolved once it serves. */
async function start(files: Record<string, SiteFile>, args: string[] = []): Promise<{ child: Child; port: number; dir: string }> {
  const [port, runtimePort] = await freePorts(2);
  const dir = makeSite({ ...SITE, 's.yaml': sYaml(runtimePort), ...files });
  const child = cli(['local', 'start', dir, '--port', String(port), ...args]);
  await child.waitFor(/Ctrl-C (sends \/pre-stop and )?stops it/);
  return { child, port, dir };
}

async function stop(child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGINT');
  await child.exited;
}

const count = (text: string, pattern: RegExp) => text.match(new RegExp(pattern.source, 'gm'))?.length ?? 0;

describe('fc-runtime local start: the HTTP front, as FC 3.0 keeps it', () => {
  after(removeSites);

  describe('a function with `timeout: 1` and `instanceConcurrency: 1` in s.yaml', () => {
    let child: Child;
    let port: number;

    before(async () => ({ child, port } = await start({})));
    after(() => stop(child));

    it("cuts an invocation past the timeout with 502, x-fc-error-type UnhandledInvocationError and FC's message; the runtime's request is aborted, the instance kept", async () => {
      const { pid } = JSON.parse((await send(port, '/stats')).text) as { pid: number };
      const started = Date.now();
      const reply = await send(port, '/slow?ms=5000');
      expect(Date.now() - started).to.be.within(900, 4000);
      expect(reply.status).to.equal(502);
      expect(reply.headers['x-fc-error-type']).to.equal('UnhandledInvocationError');
      expect(JSON.parse(reply.text)).to.deep.equal({ errorMessage: 'Function timed out after 1 seconds' });
      const requestId = String(reply.headers['x-fc-request-id']);
      await child.waitFor(new RegExp(`^aborted /slow ${escapeRegExp(requestId)}$`));
      await child.waitFor(/GET \/slow\?ms=5000: the function ran past its timeout \(1 s\) and was cut/);
      expect(JSON.parse((await send(port, '/stats')).text)).to.include({ pid });
    });

    it('lets requests over instanceConcurrency wait for the free slot, saying so once', async () => {
      const replies = await Promise.all([send(port, '/slow?ms=300'), send(port, '/slow?ms=0'), send(port, '/slow?ms=0')]);
      expect(replies.map((r) => r.text)).to.deep.equal(['slept 300', 'slept 0', 'slept 0']);
      expect(JSON.parse((await send(port, '/stats')).text)).to.include({ maxInFlight: 1 });
      const waiting = /the function's instanceConcurrency \(1\) is taken by requests in flight; later ones wait for a free slot/;
      await child.waitFor(waiting);
      expect(count(child.stderr, waiting)).to.equal(1);
    });

    it('answers 400 InvalidArgument, as FC does, to request headers over 8 KB and a path over 4 KB, without forwarding them', async () => {
      const headers = await send(port, '/echo/headers', { headers: { 'x-big': 'h'.repeat(8 * 1024) } });
      const path = await send(port, `/echo/path?q=${'p'.repeat(4 * 1024)}`);
      for (const reply of [headers, path]) {
        expect(reply.status).to.equal(400);
        expect(JSON.parse(reply.text)).to.include({ ErrorCode: 'InvalidArgument' });
      }
      await child.waitFor(
        /GET \/echo\/headers: the request headers are \d+ bytes, over FC's 8 KB limit\. Answered 400 InvalidArgument, as FC does/,
      );
      await child.waitFor(/GET \/echo\/path\?q=p+: the path with its query is \d+ bytes, over FC's 4 KB limit/);
      expect(child.stdout).not.to.match(/^got GET \/echo\/(headers|path)/m);
    });

    it('answers `x-fc-invocation-type: Async` 202 at once with its request id, and runs it after', async () => {
      const reply = await send(port, '/async', {
        method: 'POST',
        headers: { 'x-fc-invocation-type': 'Async', 'content-type': 'application/json' },
        body: '{"job":1}',
      });
      expect(reply.status).to.equal(202);
      expect(reply.text).to.equal('');
      const requestId = String(reply.headers['x-fc-request-id']);
      await child.waitFor(new RegExp(`^got POST /async 9 bytes ${escapeRegExp(requestId)}$`));
      await child.waitFor(new RegExp(`^FC POST /async \\(async\\): 200, .*RequestId: ${escapeRegExp(requestId)}$`));
      expect(child.stderr).not.to.match(/x-fc-invocation-type dropped/);
    });

    it("answers an Async body over FC's 128 KB 400 InvalidArgument, without running it", async () => {
      const reply = await send(port, '/async-big', {
        method: 'POST',
        headers: { 'x-fc-invocation-type': 'Async', 'transfer-encoding': 'chunked' },
        body: [Buffer.alloc(100 * 1024), Buffer.alloc(100 * 1024)],
      });
      expect(reply.status).to.equal(400);
      expect(JSON.parse(reply.text)).to.include({ ErrorCode: 'InvalidArgument' });
      await child.waitFor(/POST \/async-big: the request body is more than 128 KB, over FC's 128 KB limit for an asynchronous invocation/);
      expect(child.stdout).not.to.contain('got POST /async-big');
    });

    it('warns once when the function answers HTML and no custom domain routes to it, with the fix', async () => {
      const reply = await send(port, '/html');
      expect(reply.headers['content-disposition']).to.equal('inline');
      await send(port, '/html');
      const warning =
        /GET \/html answers HTML, and no custom domain routes to the function: .* Add an fc3-domain resource with `domainName: auto` to s\.yaml; --default-domain shows/;
      await child.waitFor(warning);
      expect(count(child.stderr, warning)).to.equal(1);
    });

    it('warns once at the first write into the code folder, naming the file and the fix', async () => {
      expect((await send(port, '/write')).text).to.equal('wrote');
      await child.waitFor(/the function wrote logs(\/app\.log)? in its code folder, which is read-only on FC .*write under \/tmp/);
      await send(port, '/write');
      expect(count(child.stderr, /in its code folder, which is read-only on FC/)).to.equal(1);
    });
  });

  describe('with --default-domain', () => {
    it("answers everything with content-disposition: attachment, as FC's default trigger domain does, and gives no HTML warning", async () => {
      const { child, port } = await start({}, ['--default-domain']);
      try {
        const html = await send(port, '/html');
        expect(html.headers['content-disposition']).to.equal('attachment');
        expect(html.text).to.contain('<title>page</title>');
        const refused = await send(port, `/echo?q=${'p'.repeat(5000)}`);
        expect(refused.status).to.equal(400);
        expect(refused.headers['content-disposition']).to.equal('attachment');
      } finally {
        await stop(child);
      }
      expect(child.stderr).not.to.contain('answers HTML');
    });
  });

  describe('connections kept as FC keeps them, to a function whose server closes idle ones after 1 s', () => {
    let child: Child;
    let port: number;

    before(async () => ({ child, port } = await start({ 'keep-alive-ms': '1000' })));
    after(() => stop(child));

    const closed = /^a connection closed$/;
    /** Resolves once the runtime has logged closing one more connection than it had when called. */
    const idleClosed = async () => {
      const before = count(child.stdout, closed);
      while (count(child.stdout, closed) <= before) await new Promise((resolve) => child.process.stdout!.once('data', resolve));
    };

    it('reuses one connection for requests in a row', async () => {
      const connections = new Set<string>();
      for (let i = 0; i < 3; i += 1) connections.add((await send(port, '/connection')).text);
      expect(connections.size).to.equal(1);
      expect(child.stderr).not.to.contain('idle keep-alive connection');
    });

    it("answers a POST sent after the function closed the idle connection 502 with FC's message and a line naming keepAliveTimeout; the next one works", async () => {
      await idleClosed();
      const failed = await send(port, '/echo', { method: 'POST', body: 'data' });
      expect(failed.status).to.equal(502);
      expect(failed.headers['x-fc-error-type']).to.equal('UnhandledInvocationError');
      expect(JSON.parse(failed.text)).to.deep.equal({ errorMessage: 'Process exited unexpectedly before completing request' });
      await child.waitFor(
        /POST \/echo: the function's server closed its idle keep-alive connection after \d+\.\d s \(its keepAliveTimeout; .*set server\.keepAliveTimeout = 0/,
      );
      expect(child.stdout).not.to.match(
        new RegExp(`^got POST /echo 4 bytes ${escapeRegExp(String(failed.headers['x-fc-request-id']))}$`, 'm'),
      );
      expect((await send(port, '/echo', { method: 'POST', body: 'data' })).text).to.equal('POST 4');
    });

    it('retries a GET on a new connection, as FC does, with the same line', async () => {
      await idleClosed();
      const reply = await send(port, '/echo');
      expect(reply.text).to.equal('GET 0');
      await child.waitFor(
        /GET \/echo: the function's server closed its idle keep-alive connection .*FC retries a GET on a new connection, a POST would fail/,
      );
    });
  });

  it('without s.yaml never cuts an invocation (nothing says what its timeout is)', async () => {
    const [port] = await freePorts(1);
    const dir = makeSite(SITE);
    const child = cli(['local', 'start', dir, '--port', String(port)]);
    try {
      await child.waitFor(/Ctrl-C (sends \/pre-stop and )?stops it/);
      expect((await send(port, '/slow?ms=1500')).text).to.equal('slept 1500');
    } finally {
      await stop(child);
    }
  });
});
