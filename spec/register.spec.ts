import { expect } from 'chai';
import { listeningAddresses } from '../lib/cli/fc/listening';
import { fcHeaders, freePorts } from './helpers/apps';
import { logOf, run, type Child } from './helpers/child';
import { expectOneInvocation } from './helpers/markers';
import { makeSite, removeSites, type SiteFile } from './helpers/sites';

const REGISTER = ['-r', 'express-fc-runtime/register'];

/** A site whose server.js is `body`, with Express as `express` (5) or `express4`. */
function site(body: string, more: Record<string, SiteFile> = {}): string {
  return makeSite({ 'server.js': body, ...more });
}

/** Lines the app's listen callback prints: where it ended up and with which timeouts. */
const REPORT = `(server) => () => console.log('listening ' + JSON.stringify({
  port: server.address().port, address: server.address().address,
  keepAliveTimeout: server.keepAliveTimeout, requestTimeout: server.requestTimeout, headersTimeout: server.headersTimeout }))`;

const children: Child[] = [];

/** `node -r express-fc-runtime/register server.js` in `dir`, as an FC bootstrap runs it, on `port`. */
function register(dir: string, port: number, env: Record<string, string> = {}): Child {
  const child = run('server.js', { FC_CUSTOM_LISTEN_PORT: String(port), ...env }, [], { cwd: dir, execArgv: REGISTER });
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
      const dir = () =>
        site(`const app = require('${flavour}')();
app.get('/hello', (req, res) => { console.log('hello from the app'); res.send('hello ' + req.fc.requestId + ' ' + req.originalUrl); });
app.get('/boom', () => { throw new Error('boom'); });
const report = ${REPORT};
const server = app.listen(3000, () => report(server)());`);

      it('is served on 0.0.0.0 and the FC port instead, its callback still called, every timeout lifted', async () => {
        const [port] = await freePorts(1);
        const child = register(dir(), port);
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
        const child = register(dir(), port);
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
        const child = register(dir(), port);
        await child.waitFor(/^listening /);
        const failed = await fetch(`http://127.0.0.1:${port}/boom`, { headers: fcHeaders() });
        expect([failed.status, failed.headers.get('x-fc-status')]).to.deep.equal([500, '404']);
        const prefixed = fcHeaders({ 'x-fc-base-path': '/2016-08-15/proxy/svc/fn' });
        const res = await fetch(`http://127.0.0.1:${port}/2016-08-15/proxy/svc/fn/hello`, { headers: prefixed });
        expect(await res.text()).to.equal(`hello ${prefixed['x-fc-request-id']} /hello`);
      });
    });
  }

  it('takes over http.createServer(app).listen(port, host), even when the app asked for 127.0.0.1', async () => {
    const [port] = await freePorts(1);
    const dir = site(`const http = require('http');
const app = require('express')();
app.get('/', (req, res) => res.send('id ' + req.fc.requestId));
const report = ${REPORT};
const server = http.createServer(app);
server.listen(3000, '127.0.0.1', report(server));`);
    const child = register(dir, port);
    const line = await child.waitFor(/^listening /);
    expect(JSON.parse(line.slice('listening '.length))).to.include({ port, address: '0.0.0.0' });
    const headers = fcHeaders();
    const res = await fetch(`http://127.0.0.1:${port}/`, { headers });
    expect(await res.text()).to.equal(`id ${headers['x-fc-request-id']}`);
  });

  it('takes over app.listen() without a port', async () => {
    const [port] = await freePorts(1);
    const dir = site(`const app = require('express')();
app.get('/', (req, res) => res.send('ok'));
const report = ${REPORT};
const server = app.listen(report(app));`.replace('report(app)', '() => report(server)()'));
    const child = register(dir, port);
    const line = await child.waitFor(/^listening /);
    expect(JSON.parse(line.slice('listening '.length))).to.include({ port, address: '0.0.0.0' });
  });

  it('takes over only the first of two servers, and warns naming the second', async () => {
    const [port, second] = await freePorts(2);
    const dir = site(`const express = require('express');
const site = express().get('/', (req, res) => res.send('site ' + (req.fc ? 'with' : 'without') + ' fc'));
const admin = express().get('/', (req, res) => res.send('admin ' + (req.fc ? 'with' : 'without') + ' fc'));
site.listen(3000);
const server = admin.listen(${second}, () => console.log('admin listening on ' + server.address().port));`);
    const child = register(dir, port);
    await child.waitFor(/^admin listening on /);
    expect(child.stdout + child.stderr).to.match(new RegExp(`\\[WARN\\] register: only the first server is served to FC; a second one on port ${second} listens as the app asked\\.`));
    expect(await (await fetch(`http://127.0.0.1:${port}/`, { headers: fcHeaders() })).text()).to.equal('site with fc');
    expect(await (await fetch(`http://127.0.0.1:${second}/`)).text()).to.equal('admin without fc');
  });

  it('keeps the fcRuntime() the app mounts itself: one Start and one End marker per request', async () => {
    const [port] = await freePorts(1);
    const dir = site(`const express = require('express');
const { fcRuntime } = require('express-fc-runtime');
const app = express();
app.use(fcRuntime({ runtime: 'mysite' }));
app.get('/', (req, res) => res.send('ok'));
app.listen(8080, () => console.log('listening'));`);
    const child = register(dir, port);
    await child.waitFor(/^listening$/);
    expect(child.stdout).to.match(/^FunctionCompute mysite runtime inited\.$/m);
    const headers = fcHeaders();
    await (await fetch(`http://127.0.0.1:${port}/`, { headers })).text();
    await expectOneInvocation(logOf(child), 'Invoke', headers['x-fc-request-id']);
  });

  describe('options', () => {
    const APP = `const app = require('express')();
app.get('/', (req, res) => res.send('ok'));
app.listen(3000, () => console.log('listening'));`;

    it('come from fc-runtime.config.js beside the entry: an event handler and a runtime name', async () => {
      const [port] = await freePorts(1);
      const dir = site(APP, {
        'fc-runtime.config.js': `module.exports = {
  runtime: 'legacy-site',
  invoke: async (event, context) => ({ got: JSON.parse(event.toString()), id: context.requestId }),
};`,
      });
      const child = register(dir, port);
      await child.waitFor(/^listening$/);
      expect(child.stdout).to.match(/^FunctionCompute legacy-site runtime inited\.$/m);
      const headers = fcHeaders({ 'x-fc-control-path': '/invoke' });
      const res = await fetch(`http://127.0.0.1:${port}/invoke`, { method: 'POST', headers, body: '{"n":1}' });
      expect(res.headers.get('x-fc-status')).to.equal('200');
      expect(await res.json()).to.deep.equal({ got: { n: 1 }, id: headers['x-fc-request-id'] });
    });

    it('come from fc-runtime.config.cjs too, and FC_RUNTIME_* env vars win over the file', async () => {
      const [port] = await freePorts(1);
      const dir = site(APP, { 'fc-runtime.config.cjs': `module.exports = { runtime: 'from-file', console: true };` });
      const child = register(dir, port, { FC_RUNTIME_NAME: 'from-env', FC_RUNTIME_CONSOLE: 'false' });
      await child.waitFor(/^listening$/);
      expect(child.stdout).to.match(/^FunctionCompute from-env runtime inited\.$/m);
    });

    const broken: [string, Record<string, SiteFile>, Record<string, string>, RegExp][] = [
      ['a config file that does not parse', { 'fc-runtime.config.js': 'module.exports = {' }, {}, /^fc-runtime: fc-runtime\.config\.js failed to load: .*Unexpected end of input/],
      ['a config file that throws', { 'fc-runtime.config.js': `throw new Error('no database URL');` }, {}, /^fc-runtime: fc-runtime\.config\.js failed to load: no database URL$/],
      ['a config file that exports no object', { 'fc-runtime.config.js': 'module.exports = 42;' }, {}, /^fc-runtime: fc-runtime\.config\.js must export an object of options/],
      ['an unknown option', { 'fc-runtime.config.js': 'module.exports = { invokee() {} };' }, {}, /^fc-runtime: fc-runtime\.config\.js: unknown option "invokee"\./],
      ['an option of the wrong type', { 'fc-runtime.config.js': "module.exports = { limit: 'lots' };" }, {}, /^fc-runtime: fc-runtime\.config\.js: option "limit" must be a number of bytes/],
      ['an env var that is no boolean', {}, { FC_RUNTIME_CONSOLE: 'maybe' }, /^fc-runtime: FC_RUNTIME_CONSOLE must be true or false, got "maybe"\.$/],
      ['an env var that is no number', {}, { FC_RUNTIME_DRAIN_TIMEOUT: '10s' }, /^fc-runtime: FC_RUNTIME_DRAIN_TIMEOUT must be a number of milliseconds/],
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
    const dir = site(`const app = require('express')();
app.listen(3000, () => console.log('listening'));`);
    const first = register(dir, port);
    await first.waitFor(/^listening$/);
    const second = register(dir, port);
    expect(await second.exited).to.equal(1);
    expect(second.stderr.trimEnd()).to.match(/^fc-runtime: listen EADDRINUSE: address already in use 0\.0\.0\.0:\d+$/);
  });

  it('writes the End markers of the invocations still open when the app exits the process itself', async () => {
    const [port] = await freePorts(1);
    const dir = site(`const app = require('express')();
app.get('/slow', (req, res) => console.log('slow started'));
app.get('/bye', (req, res) => { res.send('bye'); process.nextTick(() => process.exit(0)); });
app.listen(3000, () => console.log('listening'));`);
    const child = register(dir, port);
    await child.waitFor(/^listening$/);
    const slow = fcHeaders();
    const slowAnswer = fetch(`http://127.0.0.1:${port}/slow`, { headers: slow }).catch(() => 'cut');
    await child.waitFor(/\[INFO\] slow started$/);
    const bye = fcHeaders();
    expect(await (await fetch(`http://127.0.0.1:${port}/bye`, { headers: bye })).text()).to.equal('bye');
    expect(await child.exited).to.equal(0);
    expect(await slowAnswer).to.equal('cut');
    await expectOneInvocation(logOf(child), 'Invoke', bye['x-fc-request-id']);
    expect(child.stdout).to.include(`FC Invoke End RequestId: ${slow['x-fc-request-id']}, Error: the process exited before the invocation was answered\n`);
  });

  it('drains on SIGTERM, runs the configured preStop once, and exits 0', async () => {
    const [port] = await freePorts(1);
    const dir = site(
      `const app = require('express')();
app.listen(3000, () => console.log('listening'));`,
      { 'fc-runtime.config.js': `module.exports = { preStop: async (context) => context.logger.info('closing the pool') };` },
    );
    const child = register(dir, port);
    await child.waitFor(/^listening$/);
    child.process.kill('SIGTERM');
    expect(await child.exited).to.equal(0);
    expect(child.stdout.match(/\[INFO\] closing the pool/g)).to.have.length(1);
  });
});
