import { expect } from 'chai';
import { spawn } from 'child_process';
import { CommanderError } from 'commander';
import { readFileSync, realpathSync, statSync } from 'fs';
import { join } from 'path';
import { parseCommandLine, type CliCommand } from '../lib/cli/args';
import { UserError } from '../lib/user-error';
import { fcHeaders, freePorts } from './helpers/apps';
import { logOf, run, watch, type Child } from './helpers/child';
import { expectOneInvocation } from './helpers/markers';
import { cli, makeSite, removeSites } from './helpers/sites';

/** Parses like main does, keeping what commander would print. */
function parse(argv: string[], env: NodeJS.ProcessEnv = {}): { command?: CliCommand; error?: unknown; out: string; err: string } {
  const output = { out: '', err: '' };
  try {
    const command = parseCommandLine(argv, env, { writeOut: (t) => (output.out += t), writeErr: (t) => (output.err += t) });
    return { command, ...output };
  } catch (error) {
    return { error, ...output };
  }
}

const children: Child[] = [];
function track(child: Child): Child {
  children.push(child);
  return child;
}

/** Nothing but one line on stderr, no stack frame. */
function expectOneLine(child: Child, pattern: RegExp): void {
  expect(child.stderr.trimEnd().split('\n'), child.stderr).to.have.length(1);
  expect(child.stderr).not.to.match(/^\s+at /m);
  expect(child.stderr.trimEnd()).to.match(pattern);
}

describe('fc-runtime', () => {
  afterEach(async () => {
    await Promise.all(
      children.splice(0).map((child) => {
        if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
        return child.exited;
      }),
    );
  });
  after(removeSites);

  describe('the command line', () => {
    /** No --function, no local values, FC's own start limit (120 s with s.yaml, 30 s without). */
    const FC_OWN = { functionName: undefined, env: {}, envFile: undefined, startTimeout: undefined, functionPort: undefined };
    const cases: [string, string[], NodeJS.ProcessEnv, CliCommand][] = [
      ['init with defaults', ['init'], {}, { name: 'init', dir: '.', entry: undefined, start: false, force: false }],
      [
        'init with every flag',
        ['init', 'site', '--entry', 'bin/www', '--start', '--force'],
        {},
        { name: 'init', dir: 'site', entry: 'bin/www', start: true, force: true },
      ],
      ['start', ['start', 'server.js'], {}, { name: 'start', entry: 'server.js' }],
      [
        'local invoke from stdin',
        ['local', 'invoke', 'fn', '--event', '-'],
        {},
        { name: 'local invoke', dir: 'fn', event: '-', ...FC_OWN },
      ],
      [
        'local start on the default port',
        ['local', 'start'],
        {},
        { name: 'local start', dir: '.', port: 8000, defaultDomain: false, ...FC_OWN },
      ],
      [
        'local start, port from the env',
        ['local', 'start'],
        { FC_LOCAL_PORT: '8100' },
        { name: 'local start', dir: '.', port: 8100, defaultDomain: false, ...FC_OWN },
      ],
      [
        'local start, the flag over the env',
        ['local', 'start', '-p', '8200'],
        { FC_LOCAL_PORT: '8100' },
        { name: 'local start', dir: '.', port: 8200, defaultDomain: false, ...FC_OWN },
      ],
      [
        'local start of one function of s.yaml, with local values',
        [
          'local',
          'start',
          'app',
          '--function',
          'web',
          '--env',
          'A=1',
          '--env',
          'B=x=y',
          '--env',
          'A=2',
          '--env-file',
          '.env.local',
          '--function-port',
          '0',
        ],
        {},
        {
          name: 'local start',
          dir: 'app',
          port: 8000,
          functionName: 'web',
          env: { A: '2', B: 'x=y' },
          envFile: '.env.local',
          startTimeout: undefined,
          functionPort: 0,
          defaultDomain: false,
        },
      ],
      [
        "local start as FC's default domain answers",
        ['local', 'start', 'fn', '--default-domain'],
        {},
        { name: 'local start', dir: 'fn', port: 8000, defaultDomain: true, ...FC_OWN },
      ],
      [
        'check with a short start limit',
        ['check', 'fn', '--start-timeout', '1.5'],
        {},
        { name: 'check', dir: 'fn', ...FC_OWN, startTimeout: 1.5 },
      ],
      ['check, start limit from the env', ['check'], { FC_START_TIMEOUT: '5' }, { name: 'check', dir: '.', ...FC_OWN, startTimeout: 5 }],
      ['pack with defaults', ['pack'], {}, { name: 'pack', dir: '.', output: 'code.zip' }],
      ['pack to a file', ['pack', 'site', '-o', '/tmp/site.zip'], {}, { name: 'pack', dir: 'site', output: '/tmp/site.zip' }],
    ];
    for (const [what, argv, env, expected] of cases) {
      it(`reads ${what}: fc-runtime ${argv.join(' ')}`, () => {
        const { command, error, err } = parse(argv, env);
        expect(error, err).to.equal(undefined);
        expect(command).to.deep.equal(expected);
      });
    }

    const wrong: [string, string[], NodeJS.ProcessEnv, RegExp][] = [
      ['an unknown command', ['deploy'], {}, /^fc-runtime: unknown command 'deploy' \(see --help\)$/],
      ['an unknown flag', ['pack', '--zip'], {}, /^fc-runtime: unknown option '--zip' \(see --help\)$/],
      [
        'a port that is no port',
        ['local', 'start', '--port', '99999'],
        {},
        /^fc-runtime: option '-p, --port <port>' argument '99999' is invalid\. a port number from 1 to 65535 is expected\. \(see --help\)$/,
      ],
      ['a start limit of 0', ['check', '--start-timeout', '0'], {}, /argument '0' is invalid\. a number of seconds above 0 is expected/],
      ['start without its entry', ['start'], {}, /^fc-runtime: missing required argument 'entry' \(see --help\)$/],
      [
        '--env without a value',
        ['local', 'start', '--env', 'A'],
        {},
        /argument 'A' is invalid\. KEY=VALUE expected, KEY a variable name\./,
      ],
      ['--env with no name', ['local', 'invoke', '--env', '=1'], {}, /argument '=1' is invalid\. KEY=VALUE expected/],
    ];
    for (const [what, argv, env, message] of wrong) {
      it(`refuses ${what} with one line and exit code 1`, () => {
        const { error, err } = parse(argv, env);
        expect(error).to.be.instanceOf(CommanderError);
        expect((error as CommanderError).exitCode).to.equal(1);
        expect(err.trimEnd().split('\n')).to.have.length(1);
        expect(err.trimEnd()).to.match(message);
      });
    }

    it('refuses a bad env var with a UserError that names it', () => {
      const { error } = parse(['local', 'start'], { FC_LOCAL_PORT: 'eighty' });
      expect(error).to.be.instanceOf(UserError);
      expect((error as Error).message).to.equal('FC_LOCAL_PORT="eighty": a port number from 1 to 65535 is expected.');
    });

    for (const argv of [
      ['--help'],
      ['init', '--help'],
      ['start', '--help'],
      ['local', '--help'],
      ['local', 'invoke', '--help'],
      ['local', 'start', '--help'],
      ['check', '--help'],
      ['pack', '--help'],
    ]) {
      it(`prints help for fc-runtime ${argv.join(' ')} and exits 0`, () => {
        const { error, out } = parse(argv);
        expect((error as CommanderError).exitCode).to.equal(0);
        expect(out).to.match(/^Usage: fc-runtime /);
      });
    }

    it('runs as a real process: --version prints the package version and a bad flag exits 1 in one line', async () => {
      const version = track(cli(['--version']));
      expect(await version.exited).to.equal(0);
      expect(version.stdout.trim()).to.equal(
        (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version,
      );
      const bad = track(cli(['local', 'invoke', '--evnt', 'x.json']));
      expect(await bad.exited).to.equal(1);
      expectOneLine(bad, /^fc-runtime: unknown option '--evnt'/);
    });
  });

  describe('init', () => {
    const SERVER = `const app = require('express')();
app.get('/', (req, res) => res.send('hello from ' + req.fc.requestId));
app.listen(3000);`;

    it('writes bootstrap: #!/bin/bash, LF endings, mode 755, FC’s Node on PATH, one exec line', async () => {
      const dir = makeSite({ 'server.js': SERVER });
      const child = track(cli(['init', dir, '--entry', 'server.js']));
      expect(await child.exited).to.equal(0);
      expect(child.stdout).to.match(/^Wrote .*bootstrap \(mode 755\): node -r express-fc-runtime\/register server\.js$/m);
      const file = join(dir, 'bootstrap');
      const text = readFileSync(file, 'utf8');
      expect(statSync(file).mode & 0o777).to.equal(0o755);
      expect(text.startsWith('#!/bin/bash\n')).to.equal(true);
      expect(text).not.to.include('\r');
      expect(text).to.match(/^export PATH=\/opt\/nodejs24\/bin:.*:\/var\/fc\/lang\/nodejs20\/bin:.*:\$PATH$/m);
      expect(text.split('\n').filter((line) => line.startsWith('exec '))).to.deep.equal([
        'exec node -r express-fc-runtime/register server.js',
      ]);
    });

    it('writes a bootstrap that really starts the site the way FC runs it', async () => {
      const dir = makeSite({ 'server.js': SERVER });
      expect(await track(cli(['init', dir, '--entry', 'server.js'])).exited).to.equal(0);
      const [port] = await freePorts(1);
      const child = spawn(join(dir, 'bootstrap'), [], {
        cwd: dir,
        env: { ...process.env, FC_CUSTOM_LISTEN_PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const runtime = track(watch(child));
      await runtime.waitFor(/^FunctionCompute express runtime inited\.$/);
      const headers = fcHeaders();
      expect(await (await fetch(`http://127.0.0.1:${port}/`, { headers })).text()).to.equal(`hello from ${headers['x-fc-request-id']}`);
      await expectOneInvocation(logOf(runtime), 'Invoke', headers['x-fc-request-id']);
    });

    it('refuses to overwrite a bootstrap without --force, and overwrites it with', async () => {
      const dir = makeSite({ 'server.js': SERVER, bootstrap: { content: '#!/bin/bash\nexec node mine.js\n', mode: 0o755 } });
      const refused = track(cli(['init', dir, '--entry', 'server.js']));
      expect(await refused.exited).to.equal(1);
      expectOneLine(refused, /^fc-runtime init: .*bootstrap already exists; pass --force to overwrite it\.$/);
      expect(readFileSync(join(dir, 'bootstrap'), 'utf8')).to.include('mine.js');
      expect(await track(cli(['init', dir, '--entry', 'server.js', '--force'])).exited).to.equal(0);
      expect(readFileSync(join(dir, 'bootstrap'), 'utf8')).to.include('exec node -r express-fc-runtime/register server.js');
    });

    const detections: [string, Record<string, string>, string][] = [
      [
        'the start script',
        {
          'package.json': JSON.stringify({
            main: 'lib/index.js',
            scripts: { start: 'NODE_ENV=production node --enable-source-maps ./bin/www' },
          }),
          'bin/www': SERVER,
          'lib/index.js': '',
        },
        '--enable-source-maps -r express-fc-runtime/register bin/www',
      ],
      [
        'start:prod when start runs the Nest CLI, adding .js as Node does (node dist/main)',
        {
          'package.json': JSON.stringify({ scripts: { start: 'nest start', 'start:prod': 'node dist/main' } }),
          'dist/main.js': SERVER,
        },
        '-r express-fc-runtime/register dist/main.js',
      ],
      [
        'the node command after a build step, a folder as Node reads it (its index.js)',
        { 'package.json': JSON.stringify({ scripts: { start: 'npm run build && node dist' } }), 'dist/index.js': SERVER },
        '-r express-fc-runtime/register dist/index.js',
      ],
      [
        'node . with package.json main, keeping --import and the app’s arguments',
        {
          'package.json': JSON.stringify({ main: 'lib/app', scripts: { start: 'node --import ./instrument.mjs . --port 8080' } }),
          'lib/app.js': SERVER,
        },
        '--import ./instrument.mjs -r express-fc-runtime/register lib/app.js --port 8080',
      ],
      [
        'main when the start script runs no node file',
        { 'package.json': JSON.stringify({ main: 'app.js', scripts: { start: 'nodemon' } }), 'app.js': SERVER },
        '-r express-fc-runtime/register app.js',
      ],
      [
        'server.js when package.json says nothing',
        { 'package.json': '{}', 'server.js': SERVER },
        '-r express-fc-runtime/register server.js',
      ],
    ];
    for (const [what, files, entry] of detections) {
      it(`finds the entry from ${what}`, async () => {
        const dir = makeSite(files);
        expect(await track(cli(['init', dir])).exited).to.equal(0);
        expect(readFileSync(join(dir, 'bootstrap'), 'utf8')).to.include(`\nexec node ${entry}\n`);
      });
    }

    it('keeps the start script’s environment and -r preloads in the bootstrap, which really runs the site with them', async () => {
      const dir = makeSite({
        'package.json': JSON.stringify({ scripts: { start: 'NODE_ENV=production GREETING="hi there" node -r ./preload.js server' } }),
        'preload.js': `process.env.FROM_PRELOAD = 'yes';`,
        'server.js': `require('express')().get('/', (req, res) => res.send([process.env.NODE_ENV, process.env.GREETING, process.env.FROM_PRELOAD].join(' '))).listen(3000);`,
      });
      const init = track(cli(['init', dir]));
      expect(await init.exited).to.equal(0);
      expect(init.stdout).to.match(
        /^Wrote .*bootstrap \(mode 755\): NODE_ENV=production 'GREETING=hi there' node -r \.\/preload\.js -r express-fc-runtime\/register server\.js$/m,
      );
      const text = readFileSync(join(dir, 'bootstrap'), 'utf8');
      expect(text).to.include(
        "\nexport NODE_ENV=production\nexport 'GREETING=hi there'\nexec node -r ./preload.js -r express-fc-runtime/register server.js\n",
      );
      const [port] = await freePorts(1);
      const child = spawn(join(dir, 'bootstrap'), [], {
        cwd: dir,
        env: { ...process.env, FC_CUSTOM_LISTEN_PORT: String(port), NODE_ENV: 'development' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      await track(watch(child)).waitFor(/runtime inited/);
      expect(await (await fetch(`http://127.0.0.1:${port}/`, { headers: fcHeaders() })).text()).to.equal('production hi there yes');
    });

    it('runs Next.js standalone output, whose server moves to its own folder, by the path pack recognises', async () => {
      const dir = makeSite({
        'next.config.js': `module.exports = { output: 'standalone' };`,
        // As the server.js Next writes: it changes to its own folder first.
        '.next/standalone/server.js': `process.chdir(__dirname);\nrequire('http').createServer((req, res) => res.end(process.cwd())).listen(3000);`,
      });
      const init = track(cli(['init', dir]));
      expect(await init.exited).to.equal(0);
      expect(readFileSync(join(dir, 'bootstrap'), 'utf8')).to.include(
        '\nexec node -r express-fc-runtime/register .next/standalone/server.js\n',
      );
      const [port] = await freePorts(1);
      const child = spawn(join(dir, 'bootstrap'), [], {
        cwd: dir,
        env: { ...process.env, FC_CUSTOM_LISTEN_PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      await track(watch(child)).waitFor(/runtime inited/);
      expect(await (await fetch(`http://127.0.0.1:${port}/`, { headers: fcHeaders() })).text()).to.equal(
        join(realpathSync(dir), '.next', 'standalone'),
      );
    });

    const unmapped: [string, Record<string, string>, string[], RegExp][] = [
      [
        'the Nest CLI',
        { 'package.json': '{"scripts":{"start":"nest start"}}' },
        [],
        /^fc-runtime init: the start script runs `nest start`, the Nest CLI: build first/,
      ],
      [
        'tsx',
        { 'package.json': '{"scripts":{"start":"tsx src/main.ts"}}' },
        [],
        /^fc-runtime init: the start script runs TypeScript through tsx \(`tsx src\/main\.ts`\): compile it first/,
      ],
      [
        'npm run',
        { 'package.json': '{"scripts":{"start":"npm run serve"}}' },
        [],
        /^fc-runtime init: the start script runs another script \(`npm run serve`\): pass --entry/,
      ],
      [
        'next start',
        { 'package.json': '{"scripts":{"start":"next start"}}' },
        [],
        /^fc-runtime init: the start script runs `next start`: set output: 'standalone' in next\.config/,
      ],
      [
        'an unbuilt TypeScript project',
        { 'package.json': '{"scripts":{"build":"tsc","start":"node dist/main"}}', 'tsconfig.json': '{}', 'src/main.ts': '' },
        [],
        /^fc-runtime init: dist\/main is not built yet: this is a TypeScript project; build first \(`npm run build`\), then run init again\.$/,
      ],
      [
        'an unbuilt TypeScript project given --entry',
        { 'package.json': '{"scripts":{"build":"tsc"}}', 'tsconfig.json': '{}', 'src/main.ts': '' },
        ['--entry', 'dist/main.js'],
        /^fc-runtime init: dist\/main\.js is not built yet: this is a TypeScript project; build first \(`npm run build`\), then run init again\.$/,
      ],
      [
        'unbuilt Next.js standalone output',
        { 'package.json': '{"scripts":{"build":"next build"}}', 'next.config.mjs': "export default { output: 'standalone' };" },
        [],
        /^fc-runtime init: next\.config asks for output: 'standalone', but \.next\/standalone\/server\.js is not there: build first \(`npm run build`\)/,
      ],
    ];
    for (const [what, files, args, message] of unmapped) {
      it(`says in one line what to do for ${what}`, async () => {
        const child = track(cli(['init', makeSite(files), ...args]));
        expect(await child.exited).to.equal(1);
        expectOneLine(child, message);
      });
    }

    it('says in one line when it cannot tell the entry, or the entry is missing', async () => {
      const none = track(cli(['init', makeSite({ 'package.json': '{"scripts":{"start":"nodemon"}}' })]));
      expect(await none.exited).to.equal(1);
      expectOneLine(none, /^fc-runtime init: could not tell the site's entry: .*pass --entry <file>\.$/);
      const missing = track(cli(['init', makeSite({}), '--entry', 'nope.js']));
      expect(await missing.exited).to.equal(1);
      expectOneLine(missing, /^fc-runtime init: no entry nope\.js in .*; pass --entry <file>\.$/);
    });

    it('writes the -r express-fc-runtime/start form with --start, for an entry that only exports its app', async () => {
      const dir = makeSite({ 'app.js': `module.exports = require('express')().get('/', (req, res) => res.send('exported'));` });
      expect(await track(cli(['init', dir, '--entry', 'app.js', '--start'])).exited).to.equal(0);
      expect(readFileSync(join(dir, 'bootstrap'), 'utf8')).to.include('\nexec node -r express-fc-runtime/start app.js\n');
      const [port] = await freePorts(1);
      const runtime = track(
        watch(
          spawn(join(dir, 'bootstrap'), [], {
            cwd: dir,
            env: { ...process.env, FC_CUSTOM_LISTEN_PORT: String(port) },
            stdio: ['ignore', 'pipe', 'pipe'],
          }),
        ),
      );
      await runtime.waitFor(/runtime inited/);
      expect(await (await fetch(`http://127.0.0.1:${port}/`, { headers: fcHeaders() })).text()).to.equal('exported');
    });
  });

  describe('-r express-fc-runtime/start', () => {
    it('serves the exports of a classic FC function, initializer included', async () => {
      const dir = makeSite({
        'index.js': `let ready = false;
exports.initializer = (context, callback) => { ready = true; callback(null, ''); };
exports.handler = (event, context, callback) => callback(null, { ready, id: context.requestId });`,
      });
      const [port] = await freePorts(1);
      const runtime = track(
        run('index.js', { FC_CUSTOM_LISTEN_PORT: String(port) }, [], { cwd: dir, execArgv: ['-r', 'express-fc-runtime/start'] }),
      );
      await runtime.waitFor(/runtime inited/);
      await fetch(`http://127.0.0.1:${port}/initialize`, { method: 'POST', headers: fcHeaders({ 'x-fc-control-path': '/initialize' }) });
      const headers = fcHeaders({ 'x-fc-control-path': '/invoke' });
      const res = await fetch(`http://127.0.0.1:${port}/invoke`, { method: 'POST', headers, body: '{}' });
      expect(await res.json()).to.deep.equal({ ready: true, id: headers['x-fc-request-id'] });
    });

    it('ends in one line and exit 1 when the entry neither listens nor exports anything to serve', async () => {
      const dir = makeSite({ 'index.js': 'module.exports = { version: 1 };' });
      const child = track(run('index.js', { FC_CUSTOM_LISTEN_PORT: '0' }, [], { cwd: dir, execArgv: ['-r', 'express-fc-runtime/start'] }));
      expect(await child.exited).to.equal(1);
      expectOneLine(
        child,
        /^fc-runtime: index\.js did not listen, and exports neither an app .* nor an FC handler \(exports\.handler\)\.$/,
      );
    });
  });

  describe('start', () => {
    /** `fc-runtime start <entry>` in `dir` on a free port; resolves once the runtime is up. */
    async function start(dir: string, entry: string): Promise<{ child: Child; port: number }> {
      const [port] = await freePorts(1);
      const child = track(cli(['start', entry], { cwd: dir, env: { FC_CUSTOM_LISTEN_PORT: String(port) } }));
      await child.waitFor(/^FunctionCompute \S+ runtime inited\.$/);
      return { child, port };
    }

    const entries: [string, Record<string, string>][] = [
      [
        'an entry that listens itself',
        {
          'server.js': `const app = require('express')(); app.get('/', (req, res) => res.send('id ' + req.fc.requestId)); app.listen(3000);`,
        },
      ],
      [
        'module.exports = app',
        {
          'server.js': `const app = require('express')(); app.get('/', (req, res) => res.send('id ' + req.fc.requestId)); module.exports = app;`,
        },
      ],
      [
        'export default app, compiled to CommonJS',
        {
          'server.js': `"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
const express_1 = require("express4");
const app = (0, express_1)();
app.get('/', (req, res) => res.send('id ' + req.fc.requestId));
exports.default = app;`,
        },
      ],
      [
        'an app that listens only when run directly',
        {
          'server.js': `const app = require('express')(); app.get('/', (req, res) => res.send('id ' + req.fc.requestId)); module.exports = app; if (require.main === module) app.listen(3000);`,
        },
      ],
    ];
    for (const [what, files] of entries) {
      it(`serves ${what}, with fcRuntime in front`, async () => {
        const { child, port } = await start(makeSite(files), 'server.js');
        const headers = fcHeaders();
        expect(await (await fetch(`http://127.0.0.1:${port}/`, { headers })).text()).to.equal(`id ${headers['x-fc-request-id']}`);
        await expectOneInvocation(logOf(child), 'Invoke', headers['x-fc-request-id']);
      });
    }

    // Node 18 cannot require() an ES module, and no Node one with top-level await: these are import()ed.
    const esModules: [string, string, Record<string, string>][] = [
      [
        'an ES module with top-level await that listens',
        'app.mjs',
        {
          'app.mjs': `import express from 'express';
const greeting = await Promise.resolve('id ');
const app = express();
app.get('/', (req, res) => res.send(greeting + req.fc.requestId));
app.listen(3000);`,
        },
      ],
      [
        'app.js of a "type": "module" package exporting its app after top-level await',
        'app.js',
        {
          'package.json': '{ "type": "module" }',
          'app.js': `import express from 'express';
const app = express();
await new Promise((resolve) => setImmediate(resolve));
app.get('/', (req, res) => res.send('id ' + req.fc.requestId));
export default app;`,
        },
      ],
      [
        'an .mjs exporting its app',
        'server.mjs',
        { 'server.mjs': `export default function app(req, res) { res.end('id ' + req.fc.requestId); }` },
      ],
    ];
    for (const [what, entry, files] of esModules) {
      it(`serves ${what}, with fcRuntime in front`, async () => {
        const { child, port } = await start(makeSite(files), entry);
        const headers = fcHeaders();
        expect(await (await fetch(`http://127.0.0.1:${port}/`, { headers })).text()).to.equal(`id ${headers['x-fc-request-id']}`);
        await expectOneInvocation(logOf(child), 'Invoke', headers['x-fc-request-id']);
        expect(child.stderr).to.equal('');
      });
    }

    it('runs a function of FC’s classic Node.js runtime unchanged: exports.handler and exports.initializer', async () => {
      const dir = makeSite({
        'index.js': `let greeting;
exports.initializer = (context, callback) => { greeting = 'hello'; callback(null, ''); };
exports.handler = (event, context, callback) => {
  const { name } = JSON.parse(event.toString());
  callback(null, { message: greeting + ' ' + name, requestId: context.requestId });
};`,
      });
      const { child, port } = await start(dir, 'index.js');
      const init = await fetch(`http://127.0.0.1:${port}/initialize`, {
        method: 'POST',
        headers: fcHeaders({ 'x-fc-control-path': '/initialize' }),
      });
      expect(init.status).to.equal(200);
      const headers = fcHeaders({ 'x-fc-control-path': '/invoke' });
      const res = await fetch(`http://127.0.0.1:${port}/invoke`, { method: 'POST', headers, body: '{"name":"FC"}' });
      expect(res.headers.get('x-fc-status')).to.equal('200');
      expect(await res.json()).to.deep.equal({ message: 'hello FC', requestId: headers['x-fc-request-id'] });
      await expectOneInvocation(logOf(child), 'Invoke', headers['x-fc-request-id']);
      const page = await fetch(`http://127.0.0.1:${port}/`, { headers: fcHeaders() });
      expect(page.status).to.equal(404);
      expect(await page.text()).to.match(/handles events/);
    });

    const failures: [string, Record<string, string>, string, RegExp][] = [
      ['a missing entry', {}, 'server.js', /^fc-runtime start: no entry file server\.js$/],
      [
        'an entry that exports no handler and never listens',
        { 'server.js': 'module.exports = { port: 3000 };' },
        'server.js',
        /^fc-runtime start: server\.js did not listen, and exports neither an app .* nor an FC handler \(exports\.handler\)\.$/,
      ],
      [
        'a broken config file',
        { 'server.js': 'module.exports = () => {};', 'fc-runtime.config.js': 'module.exports = { port: "nine" };' },
        'server.js',
        /^fc-runtime start: fc-runtime\.config\.js: option "port" must be a port number/,
      ],
    ];
    for (const [what, files, entry, message] of failures) {
      it(`ends in one line and exit 1 for ${what}`, async () => {
        const child = track(cli(['start', entry], { cwd: makeSite(files), env: { FC_CUSTOM_LISTEN_PORT: '0' } }));
        expect(await child.exited).to.equal(1);
        expectOneLine(child, message);
      });
    }
  });
});
