import { expect } from 'chai';
import { listeningAddresses } from '../lib/cli/fc/listening';
import { fcHeaders, freePorts } from './helpers/apps';
import { logOf, run, type Child } from './helpers/child';
import { expectOneInvocation } from './helpers/markers';
import { makeSite, removeSites, type SiteFile } from './helpers/sites';

const REGISTER = ['-r', 'express-fc-runtime/register'];
const IMPORT_REGISTER = ['--import', 'express-fc-runtime/register'];

/** An Express app as an ES module, with top-level await: GET / answers its request id; prints `listening`. */
const ESM_APP = `import express from 'express';
const greeting = await Promise.resolve('id ');
const app = express();
app.get('/', (req, res) => res.send(greeting + req.fc.requestId));
app.listen(3000, () => console.log('listening'));`;

/** A config file's text in each form: its runtime name and an event handler answering the event and the request id. */
const INVOKE = 'async (event, context) => ({ got: JSON.parse(event.toString()), id: context.requestId })';
const CONFIGS = {
  exportDefault: `export default { runtime: 'esm-config', invoke: ${INVOKE} };`,
  named: `export const runtime = 'esm-config';\nexport const invoke = ${INVOKE};`,
  awaited: `const runtime = await Promise.resolve('esm-config');\nexport default { runtime, invoke: ${INVOKE} };`,
  moduleExports: `module.exports = { runtime: 'esm-config', invoke: ${INVOKE} };`,
};

/** POSTs an event to /invoke and expects the config file's handler to have answered it. */
async function expectConfiguredInvoke(port: number): Promise<void> {
  const headers = fcHeaders({ 'x-fc-control-path': '/invoke' });
  const res = await fetch(`http://127.0.0.1:${port}/invoke`, { method: 'POST', headers, body: '{"n":1}' });
  expect(res.headers.get('x-fc-status')).to.equal('200');
  expect(await res.json()).to.deep.equal({ got: { n: 1 }, id: headers['x-fc-request-id'] });
}

/** A site whose server.js is `body`, with Express as `express` (5) or `express4`. */
function site(body: SiteFile, more: Record<string, SiteFile> = {}): string {
  return makeSite({ 'server.js': body, ...more });
}

/** The compiled spec/fixtures/sites/register-<name>.ts, as a file of the site. */
const compiled = (name: string): SiteFile => ({ fixture: `sites/register-${name}.js` });

const children: Child[] = [];

/** `node -r express-fc-runtime/register server.js` in `dir`, as an FC bootstrap runs it, on `port`. */
function register(dir: string, port: number, env: Record<string, string> = {}, preload = REGISTER): Child {
  const child = run('server.js', { FC_CUSTOM_LISTEN_PORT: String(port), ...env }, [], { cwd: dir, execArgv: preload });
  children.push(child);
  return child;
}

async function stopAll(): Promise<void> {
  await Promise.all(
    children.splice(0).map((child) => {
      if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
      return child.exited;
    }),
  );
}

describe('node -r express-fc-runtime/register', () => {
  afterEach(stopAll);
  after(removeSites);

  for (const flavour of ['express', 'express4']) {
    describe(`an unchanged ${flavour === 'express' ? 'Express 5' : 'Express 4'} app calling app.listen(3000, callback)`, () => {
      // spec/fixtures/sites/register-listen.ts, requiring this Express.
      const dir = () => site(compiled('listen'));
      const env = { EXPRESS_MODULE: flavour };

      it('is served on 0.0.0.0 and the FC port instead, its callback still called, every timeout lifted', async () => {
        const [port] = await freePorts(1);
        const child = register(dir(), port, env);
        const line = await child.waitFor(/^listening /);
        expect(JSON.parse(line.slice('listening '.length))).to.deep.equal({
          port,
          address: '0.0.0.0',
          keepAliveTimeout: 0,
          requestTimeout: 0,
          headersTimeout: 0,
        });
        expect(listeningAddresses(port)).to.deep.equal(['0.0.0.0']);
        expect(child.stdout).to.match(/^FunctionCompute express runtime inited\.$/m);
      });

      it('has fcRuntime in front: the context, the markers and x-fc-status', async () => {
        const [port] = await freePorts(1);
        const child = register(dir(), port, env);
        await child.waitFor(/^listening /);
        const headers = fcHeaders({ 'x-fc-control-path': '/http-invoke' });
        const res = await fetch(`http://127.0.0.1:${port}/hello`, { headers });
        expect(res.status).to.equal(200);
        expect(res.headers.get('x-fc-status')).to.equal('200');
        expect(res.headers.get('keep-alive')).to.equal(null);
        expect(await res.text()).to.equal(`hello ${headers['x-fc-request-id']} /hello`);
        const { start, end } = await expectOneInvocation(logOf(child), 'Invoke', headers['x-fc-request-id']);
        const lines = logOf(child).stdoutLines.slice(start + 1, end);
        expect(lines.some((l) => l.endsWith(`${headers['x-fc-request-id']} [INFO] hello from the app`))).to.equal(true);
      });

      it('tells FC a route that throws failed, and removes the x-fc-base-path prefix before the app routes', async () => {
        const [port] = await freePorts(1);
        const child = register(dir(), port, env);
        await child.waitFor(/^listening /);
        const failed = await fetch(`http://127.0.0.1:${port}/boom`, { headers: fcHeaders() });
        expect([failed.status, failed.headers.get('x-fc-status')]).to.deep.equal([500, '404']);
        const prefixed = fcHeaders({ 'x-fc-base-path': '/2016-08-15/proxy/svc/fn' });
        const res = await fetch(`http://127.0.0.1:${port}/2016-08-15/proxy/svc/fn/hello`, { headers: prefixed });
        expect(await res.text()).to.equal(`hello ${prefixed['x-fc-request-id']} /hello`);
      });
    });
  }

  it('takes over http.createServer(app).listen(port, host), even when the app asked for 127.0.0.1, and warns in one line naming both addresses', async () => {
    const [port] = await freePorts(1);
    const child = register(site(compiled('listen')), port, { LISTEN_STYLE: 'http-server' });
    const line = await child.waitFor(/^listening /);
    expect(JSON.parse(line.slice('listening '.length))).to.include({ port, address: '0.0.0.0' });
    expect(child.stdout + child.stderr).to.match(
      new RegExp(
        `\\[WARN\\] register: the app asked to listen on 127\\.0\\.0\\.1 \\(port 3000\\), loopback only; it is served on 0\\.0\\.0\\.0:${port}, every interface, as FC needs\\.$`,
        'm',
      ),
    );
    const headers = fcHeaders();
    const res = await fetch(`http://127.0.0.1:${port}/`, { headers });
    expect(await res.text()).to.equal(`id ${headers['x-fc-request-id']}`);
  });

  it('takes over app.listen() without a port', async () => {
    const [port] = await freePorts(1);
    const child = register(site(compiled('listen')), port, { LISTEN_STYLE: 'no-port' });
    const line = await child.waitFor(/^listening /);
    expect(JSON.parse(line.slice('listening '.length))).to.include({ port, address: '0.0.0.0' });
  });

  it('takes over only the first of two servers, and warns naming the second', async () => {
    const [port, second] = await freePorts(2);
    const child = register(site(compiled('two-servers')), port, { ADMIN_PORT: String(second) });
    await child.waitFor(/^admin listening on /);
    expect(child.stdout + child.stderr).to.match(
      new RegExp(`\\[WARN\\] register: only the first server is served to FC; a second one on port ${second} listens as the app asked\\.`),
    );
    expect(await (await fetch(`http://127.0.0.1:${port}/`, { headers: fcHeaders() })).text()).to.equal('site with fc');
    expect(await (await fetch(`http://127.0.0.1:${second}/`)).text()).to.equal('admin without fc');
  });

  it('keeps the fcRuntime() the app mounts itself: one Start and one End marker per request', async () => {
    const [port] = await freePorts(1);
    const child = register(site(compiled('mounted')), port);
    await child.waitFor(/^listening$/);
    expect(child.stdout).to.match(/^FunctionCompute mysite runtime inited\.$/m);
    const headers = fcHeaders();
    await (await fetch(`http://127.0.0.1:${port}/`, { headers })).text();
    await expectOneInvocation(logOf(child), 'Invoke', headers['x-fc-request-id']);
  });

  describe('an ES module app', () => {
    for (const [how, preload] of [
      ['-r', REGISTER],
      ['--import', IMPORT_REGISTER],
    ] as const) {
      it(`is served with ${how} express-fc-runtime/register, top-level await and all`, async () => {
        const [port] = await freePorts(1);
        const child = register(site(ESM_APP, { 'package.json': '{ "type": "module" }' }), port, {}, [...preload]);
        await child.waitFor(/^listening$/);
        const headers = fcHeaders();
        expect(await (await fetch(`http://127.0.0.1:${port}/`, { headers })).text()).to.equal(`id ${headers['x-fc-request-id']}`);
        await expectOneInvocation(logOf(child), 'Invoke', headers['x-fc-request-id']);
        expect(child.stderr).to.equal('');
      });
    }
  });

  it('tells a register user where to configure an event handler: the config file’s invoke, or EXPRESS_FC_EVENT_PATH', async () => {
    const [port] = await freePorts(1);
    const child = register(site(compiled('app')), port);
    await child.waitFor(/^listening$/);
    const res = await fetch(`http://127.0.0.1:${port}/invoke`, { method: 'POST', headers: fcHeaders({ 'x-fc-control-path': '/invoke' }) });
    const body = (await res.json()) as { errorType: string; errorMessage: string };
    expect(body.errorType).to.equal('NoEventHandler');
    expect(body.errorMessage).to.contain('fc-runtime.config.js').and.to.contain('EXPRESS_FC_EVENT_PATH').and.not.to.contain('fcRuntime(');
  });

  it('keeps the event handler of an app that serves itself with serve(app, { invoke })', async () => {
    const [port] = await freePorts(1);
    const child = register(
      site(`const { serve } = require('express-fc-runtime');
const app = require('express')();
app.get('/', (req, res) => res.send('page'));
serve(app, { runtime: 'own-serve', invoke: ${INVOKE} }).on('listening', () => console.log('listening'));`),
      port,
    );
    await child.waitFor(/^listening$/);
    expect(child.stdout.match(/runtime inited/g)).to.deep.equal(['runtime inited']);
    expect(child.stdout).to.match(/^FunctionCompute own-serve runtime inited\.$/m);
    await expectConfiguredInvoke(port);
    const headers = fcHeaders();
    expect(await (await fetch(`http://127.0.0.1:${port}/`, { headers })).text()).to.equal('page');
    await expectOneInvocation(logOf(child), 'Invoke', headers['x-fc-request-id']);
    expect(child.stdout + child.stderr).to.not.match(/\[WARN\]/);
  });

  it('says in one line that a config file is not used by an app that calls serve() itself', async () => {
    const [port] = await freePorts(1);
    const dir = site(
      `require('express-fc-runtime').serve((req, res) => res.end('page')).on('listening', () => console.log('listening'));`,
      {
        'fc-runtime.config.js': `module.exports = { runtime: 'unused' };`,
      },
    );
    const child = register(dir, port);
    expect(await child.waitFor(/\[WARN\] register: the app calls serve/)).to.match(
      /\[WARN\] register: the app calls serve\(\) itself, so the options of fc-runtime\.config\.\* and EXPRESS_FC_\* \(runtime\) are not used; pass them to serve\(\)\.$/m,
    );
  });

  it('serves Fastify 5 on its default host (localhost) without a false warning about a second server', async () => {
    const [port] = await freePorts(1);
    const child = register(
      site(`const app = require('fastify')();
app.get('/', async (req) => ({ id: req.raw.fc.requestId }));
app.listen({ port: 3000 }).then(() => console.log('listening'));`),
      port,
    );
    await child.waitFor(/^listening$/);
    const headers = fcHeaders();
    const res = await fetch(`http://127.0.0.1:${port}/`, { headers });
    expect(res.headers.get('x-fc-status')).to.equal('200');
    expect(await res.json()).to.deep.equal({ id: headers['x-fc-request-id'] });
    expect(child.stdout + child.stderr).to.not.match(/second one/);
    expect(child.stdout + child.stderr).to.match(/register: the app asked to listen on localhost \(port 3000\), loopback only/);
  });

  describe('options', () => {
    const APP = compiled('app');

    it('come from fc-runtime.config.js beside the entry: an event handler and a runtime name', async () => {
      const [port] = await freePorts(1);
      const dir = site(APP, { 'fc-runtime.config.js': compiled('invoke-config') });
      const child = register(dir, port);
      await child.waitFor(/^listening$/);
      expect(child.stdout).to.match(/^FunctionCompute legacy-site runtime inited\.$/m);
      const headers = fcHeaders({ 'x-fc-control-path': '/invoke' });
      const res = await fetch(`http://127.0.0.1:${port}/invoke`, { method: 'POST', headers, body: '{"n":1}' });
      expect(res.headers.get('x-fc-status')).to.equal('200');
      expect(await res.json()).to.deep.equal({ got: { n: 1 }, id: headers['x-fc-request-id'] });
    });

    it('come from fc-runtime.config.cjs too, and EXPRESS_FC_* env vars win over the file', async () => {
      const [port] = await freePorts(1);
      const dir = site(APP, { 'fc-runtime.config.cjs': compiled('file-config') });
      const child = register(dir, port, { EXPRESS_FC_RUNTIME: 'from-env', EXPRESS_FC_CONSOLE: 'false' });
      await child.waitFor(/^listening$/);
      expect(child.stdout).to.match(/^FunctionCompute from-env runtime inited\.$/m);
    });

    const configFiles: [string, Record<string, SiteFile>][] = [
      ['fc-runtime.config.mjs with export default, in a CommonJS package', { 'fc-runtime.config.mjs': CONFIGS.exportDefault }],
      ['fc-runtime.config.mjs with top-level await', { 'fc-runtime.config.mjs': CONFIGS.awaited }],
      [
        'fc-runtime.config.js with export default, in a "type": "module" package',
        { 'package.json': '{ "type": "module" }', 'server.js': ESM_APP, 'fc-runtime.config.js': CONFIGS.exportDefault },
      ],
      [
        'fc-runtime.config.js with named exports, in a "type": "module" package',
        { 'package.json': '{ "type": "module" }', 'server.js': ESM_APP, 'fc-runtime.config.js': CONFIGS.named },
      ],
      [
        'fc-runtime.config.cjs with module.exports, in a "type": "module" package',
        { 'package.json': '{ "type": "module" }', 'server.js': ESM_APP, 'fc-runtime.config.cjs': CONFIGS.moduleExports },
      ],
    ];
    for (const [what, files] of configFiles) {
      it(`come from ${what}`, async () => {
        const [port] = await freePorts(1);
        const child = register(site(APP, files), port);
        await child.waitFor(/^listening$/);
        expect(child.stdout).to.match(/^FunctionCompute esm-config runtime inited\.$/m);
        await expectConfiguredInvoke(port);
        expect(child.stderr).to.equal('');
      });
    }

    const broken: [string, Record<string, SiteFile>, Record<string, string>, RegExp][] = [
      [
        'a config file that does not parse',
        { 'fc-runtime.config.js': 'module.exports = {' },
        {},
        /^fc-runtime: fc-runtime\.config\.js failed to load: .*Unexpected end of input/,
      ],
      [
        'a config file that throws',
        { 'fc-runtime.config.js': `throw new Error('no database URL');` },
        {},
        /^fc-runtime: fc-runtime\.config\.js failed to load: no database URL$/,
      ],
      [
        'a config file that exports no object',
        { 'fc-runtime.config.js': 'module.exports = 42;' },
        {},
        /^fc-runtime: fc-runtime\.config\.js must export an object of options/,
      ],
      [
        'an unknown option',
        { 'fc-runtime.config.js': 'module.exports = { invokee() {} };' },
        {},
        /^fc-runtime: fc-runtime\.config\.js: unknown option "invokee"\./,
      ],
      [
        'an option of the wrong type',
        { 'fc-runtime.config.js': "module.exports = { limit: 'lots' };" },
        {},
        /^fc-runtime: fc-runtime\.config\.js: option "limit" must be a number of bytes/,
      ],
      [
        'module.exports in a "type": "module" package',
        { 'package.json': '{ "type": "module" }', 'server.js': ESM_APP, 'fc-runtime.config.js': CONFIGS.moduleExports },
        {},
        /^fc-runtime: fc-runtime\.config\.js uses module\.exports, but it is an ES module here \(package\.json has "type": "module"\): write `export default \{ \.\.\. \}`, or rename it fc-runtime\.config\.cjs\.$/,
      ],
      [
        'an .mjs config file that does not parse',
        { 'fc-runtime.config.mjs': 'export default {' },
        {},
        /^fc-runtime: fc-runtime\.config\.mjs failed to load: /,
      ],
      [
        'an env var that is no boolean',
        {},
        { EXPRESS_FC_CONSOLE: 'maybe' },
        /^fc-runtime: EXPRESS_FC_CONSOLE must be true or false, got "maybe"\.$/,
      ],
      [
        'an env var that is no number',
        {},
        { EXPRESS_FC_DRAIN_TIMEOUT: '10s' },
        /^fc-runtime: EXPRESS_FC_DRAIN_TIMEOUT must be a number of milliseconds/,
      ],
    ];
    for (const [what, files, env, message] of broken) {
      it(`end in one clear line and exit 1 for ${what}`, async () => {
        const [port] = await freePorts(1);
        const child = register(site(APP, files), port, env);
        expect(await child.exited).to.equal(1);
        expect(child.stderr.trimEnd().split('\n')).to.have.length(1);
        expect(child.stderr.trimEnd()).to.match(message);
        expect(child.stdout).to.equal('');
      });
    }
  });

  it('ends in one line and exit 1 when FC’s port is taken', async () => {
    const [port] = await freePorts(1);
    const dir = site(compiled('app'));
    const first = register(dir, port);
    await first.waitFor(/^listening$/);
    const second = register(dir, port);
    expect(await second.exited).to.equal(1);
    expect(second.stderr.trimEnd()).to.match(/^fc-runtime: listen EADDRINUSE: address already in use 0\.0\.0\.0:\d+$/);
  });

  it('writes the End markers of the invocations still open when the app exits the process itself', async () => {
    const [port] = await freePorts(1);
    const child = register(site(compiled('exits')), port);
    await child.waitFor(/^listening$/);
    const slow = fcHeaders();
    const slowAnswer = fetch(`http://127.0.0.1:${port}/slow`, { headers: slow }).catch(() => 'cut');
    await child.waitFor(/\[INFO\] slow started$/);
    const bye = fcHeaders();
    expect(await (await fetch(`http://127.0.0.1:${port}/bye`, { headers: bye })).text()).to.equal('bye');
    expect(await child.exited).to.equal(0);
    expect(await slowAnswer).to.equal('cut');
    await expectOneInvocation(logOf(child), 'Invoke', bye['x-fc-request-id']);
    expect(child.stdout).to.include(
      `FC Invoke End RequestId: ${slow['x-fc-request-id']}, Error: the process exited before the invocation was answered\n`,
    );
  });

  it('drains on SIGTERM, runs the configured preStop once, and exits 0', async () => {
    const [port] = await freePorts(1);
    const child = register(site(compiled('app'), { 'fc-runtime.config.js': compiled('prestop-config') }), port);
    await child.waitFor(/^listening$/);
    child.process.kill('SIGTERM');
    expect(await child.exited).to.equal(0);
    expect(child.stdout.match(/\[INFO\] closing the pool/g)).to.have.length(1);
  });
});
