import { expect } from 'chai';
import { randomBytes } from 'crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { sizeVerdict } from '../lib/cli/pack/limits';
import { sizeText } from '../lib/cli/size-text';
import { makeSite, removeSites, runCli, symlink, type Finished, type SiteFile } from './helpers/sites';
import { readZip, type Stored } from './helpers/zip';

// The two specs that write large trees and ZIPs (tens of MB, several seconds) test nothing that
// depends on the Node version: scripts/test-versions.sh sets PACK_LARGE_SPECS=off for the other versions.
const large = process.env.PACK_LARGE_SPECS === 'off' ? it.skip : it;

/** A folder of real files only: pack must not follow the test links of makeSite()'s node_modules. */
const makeFolder = (files: Record<string, SiteFile>) => makeSite(files, { modules: false });

const outputs: string[] = [];
/** A fresh path outside the site for the ZIP. */
function zipPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fc-zip-'));
  outputs.push(dir);
  return join(dir, 'code.zip');
}

async function packed(dir: string): Promise<{ run: Finished; zip: Map<string, Stored> }> {
  const output = zipPath();
  const run = await runCli(['pack', dir, '-o', output]);
  expect(run.code, run.stdout + run.stderr).to.equal(0);
  return { run, zip: await readZip(output) };
}

const BOOTSTRAP = '#!/bin/bash\nexport PATH=/opt/nodejs20/bin:$PATH\nexec node -r express-fc-runtime/register server.js\n';
const BLOB = randomBytes(20_000);
/** A bootstrap without express-fc-runtime, for the cases where pack should say nothing at all. */
const PLAIN_BOOTSTRAP = '#!/bin/bash\nexec node server.js\n';

/** A site with what a real one has lying around: VCS, tests, editor and tool files, a production and a dev tree of packages. */
function site(extra: Record<string, SiteFile> = {}): string {
  const json = (value: object) => JSON.stringify(value);
  return makeFolder({
    bootstrap: { content: BOOTSTRAP, mode: 0o755 },
    'server.js': "require('prod-a');\n",
    'public/blob.bin': BLOB,
    'public/index.html': '<h1>hello</h1>\n',
    'uploads/': '',
    '.env': 'GREETING=hello\n',
    '.env.test': 'GREETING=test\n',
    '.git/HEAD': 'ref: refs/heads/main\n',
    '.git/objects/ab/cdef': 'x',
    '.svn/entries': '12\n',
    'lib/.DS_Store': 'x',
    'test/app.spec.js': "it('works', () => {});\n",
    'coverage/lcov.info': 'TN:\n',
    '.vscode/settings.json': '{}\n',
    '.npmrc': '//registry.npmjs.org/:_authToken=npm_secret\n',
    'npm-debug.log': 'debug\n',
    'lib/routes.js': 'module.exports = {};\n',
    'lib/trace.log': 'trace\n',
    's.yaml': 'edition: 3.0.0\n',
    'package.json': json({ dependencies: { 'prod-a': '^1.0.0', '@scope/prod-b': '^1.0.0' }, devDependencies: { 'dev-c': '^1.0.0' } }),
    'node_modules/prod-a/package.json': json({
      name: 'prod-a',
      dependencies: { 'nested-d': '2', 'hoisted-f': '1' },
      optionalDependencies: { 'absent-opt': '1' },
      bin: { 'prod-a': 'bin.js' },
    }),
    'node_modules/prod-a/index.js': 'module.exports = 1;\n',
    'node_modules/prod-a/bin.js': { content: '#!/usr/bin/env node\n', mode: 0o755 },
    'node_modules/prod-a/test/unit.js': 'kept: a package is packed whole\n',
    'node_modules/prod-a/node_modules/nested-d/package.json': json({ name: 'nested-d', version: '2.0.0' }),
    'node_modules/nested-d/package.json': json({ name: 'nested-d', version: '1.0.0' }),
    'node_modules/hoisted-f/package.json': json({ name: 'hoisted-f' }),
    'node_modules/@scope/prod-b/package.json': json({ name: '@scope/prod-b' }),
    'node_modules/dev-c/package.json': json({ name: 'dev-c', dependencies: { 'nested-d': '1', 'shared-e': '1' } }),
    'node_modules/dev-c/cli.js': '#!/usr/bin/env node\n',
    'node_modules/shared-e/package.json': json({ name: 'shared-e' }),
    'node_modules/extra-g/package.json': json({ name: 'extra-g' }),
    'node_modules/.bin/prod-a': symlink('../prod-a/bin.js'),
    'node_modules/.bin/dev-c': symlink('../dev-c/cli.js'),
    'node_modules/.package-lock.json': '{}',
    ...extra,
  });
}

describe('fc-runtime pack', () => {
  after(() => {
    removeSites();
    for (const dir of outputs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  describe('bootstrap', () => {
    it('is stored with mode 755', async () => {
      const { zip, run } = await packed(site());
      expect(zip.get('bootstrap')?.mode).to.equal(0o100755);
      expect(zip.get('bootstrap')?.content.toString()).to.equal(BOOTSTRAP);
      expect(run.stdout).to.match(/^ {2}bootstrap +mode 755$/m);
    });

    it('is stored with mode 755 even when it lost its x bits on disk, and the summary says so', async () => {
      const { zip, run } = await packed(site({ bootstrap: { content: BOOTSTRAP, mode: 0o644 } }));
      expect(zip.get('bootstrap')?.mode).to.equal(0o100755);
      expect(run.stdout).to.match(/^ {2}bootstrap +mode 755 \(it was 644 on disk; FC must be able to run it\)$/m);
    });

    it('missing: the ZIP is written with a warning', async () => {
      const dir = makeFolder({ 'server.js': '' });
      const { zip, run } = await packed(dir);
      expect([...zip.keys()]).to.deep.equal(['server.js']);
      expect(run.stderr).to.match(/^warning: no bootstrap in the code folder: .*run `fc-runtime init`\.$/m);
    });
  });

  describe("the site's own files", () => {
    it('are stored byte for byte with their modes, empty folders too', async () => {
      const { zip } = await packed(site());
      expect(zip.get('public/blob.bin')?.content.equals(BLOB)).to.equal(true);
      expect(zip.get('public/index.html')?.content.toString()).to.equal('<h1>hello</h1>\n');
      expect(zip.get('server.js')?.mode).to.equal(0o100644);
      expect(zip.get('uploads/')?.mode).to.equal(0o40755);
      expect(zip.has('lib/routes.js')).to.equal(true);
    });

    it('leave out VCS folders, tests, coverage, editor and tool files, logs and dev-only env files; .env stays, with a note', async () => {
      const { zip, run } = await packed(site());
      const names = [...zip.keys()];
      for (const gone of [
        '.git/',
        '.svn/',
        'lib/.DS_Store',
        'test/',
        'coverage/',
        '.vscode/',
        '.npmrc',
        'npm-debug.log',
        'lib/trace.log',
        's.yaml',
        '.env.test',
      ]) {
        expect(
          names.filter((name) => name.startsWith(gone)),
          gone,
        ).to.deep.equal([]);
      }
      expect(zip.get('.env')?.content.toString()).to.equal('GREETING=hello\n');
      expect(run.stdout).to.match(
        /^ {2}left out +\.env\.test, \.git\/, \.npmrc, \.svn\/, \.vscode\/, coverage\/, lib\/\.DS_Store, lib\/trace\.log and 3 more$/m,
      );
      expect(run.stderr).to.match(/^note: \.env is packed/m);
    });

    it('are read through symbolic links: a linked file or folder is stored as what it points to', async () => {
      const shared = makeFolder({ 'config.json': '{"shared":true}\n', 'views/home.html': '<p>home</p>\n' });
      const { zip } = await packed(site({ 'config.json': symlink(join(shared, 'config.json')), views: symlink(join(shared, 'views')) }));
      expect(zip.get('config.json')).to.deep.include({ mode: 0o100644 });
      expect(zip.get('config.json')?.content.toString()).to.equal('{"shared":true}\n');
      expect(zip.get('views/home.html')?.content.toString()).to.equal('<p>home</p>\n');
    });

    it('never include the ZIP itself when it is written inside the site', async () => {
      const dir = site();
      const first = await runCli(['pack'], { cwd: dir });
      expect(first.code, first.stderr).to.equal(0);
      const second = await runCli(['pack'], { cwd: dir });
      expect(second.code, second.stderr).to.equal(0);
      expect(second.stdout).to.match(/^Wrote code\.zip \(/);
      const names = [...(await readZip(join(dir, 'code.zip'))).keys()];
      expect(names.filter((name) => name.includes('.zip'))).to.deep.equal([]);
    });
  });

  describe('node_modules', () => {
    it('holds the production packages where Node finds them, and not devDependencies nor packages installed without saving', async () => {
      const { zip, run } = await packed(site());
      const packages = [
        ...new Set([...zip.keys()].filter((name) => name.endsWith('/package.json')).map((name) => name.replace(/\/package\.json$/, ''))),
      ].sort();
      expect(packages).to.deep.equal([
        'node_modules/@scope/prod-b',
        'node_modules/hoisted-f',
        'node_modules/prod-a',
        'node_modules/prod-a/node_modules/nested-d',
      ]);
      expect(JSON.parse(zip.get('node_modules/prod-a/node_modules/nested-d/package.json')!.content.toString())).to.deep.include({
        version: '2.0.0',
      });
      expect(zip.has('node_modules/prod-a/test/unit.js')).to.equal(true);
      expect(zip.has('node_modules/.package-lock.json')).to.equal(false);
      expect(run.stdout).to.match(/^ {2}node_modules +4 production packages in; 4 left out \(3 dev-only, 1 unlisted\)$/m);
      expect(run.stderr).to.match(/^warning: left out, as in neither dependencies nor devDependencies: extra-g;/m);
      expect(run.stderr, 'a missing optional dependency is no problem').not.to.match(/absent-opt/);
    });

    it('keeps .bin links of production packages as links, and leaves out the dev ones', async () => {
      const { zip } = await packed(site());
      const link = zip.get('node_modules/.bin/prod-a');
      expect(link?.mode).to.equal(0o120777);
      expect(link?.content.toString()).to.equal('../prod-a/bin.js');
      expect(zip.get('node_modules/prod-a/bin.js')?.mode).to.equal(0o100755);
      expect(zip.has('node_modules/.bin/dev-c')).to.equal(false);
    });

    it("keeps of a linked package (npm link, file:) only what its package.json's files publishes", async () => {
      const working = makeFolder({
        'package.json': JSON.stringify({ name: 'linked-pkg', main: 'dist/index.js', files: ['dist/'] }),
        'dist/index.js': 'module.exports = 2;\n',
        'src/index.ts': 'export = 2;\n',
        'spec/index.spec.js': '\n',
        'README.md': '# linked\n',
      });
      const dir = site({
        'package.json': JSON.stringify({ dependencies: { 'prod-a': '1', 'linked-pkg': `file:${working}` } }),
        'node_modules/linked-pkg': symlink(working),
      });
      const { zip } = await packed(dir);
      const names = [...zip.keys()].filter((name) => name.startsWith('node_modules/linked-pkg/')).sort();
      expect(names).to.deep.equal([
        'node_modules/linked-pkg/README.md',
        'node_modules/linked-pkg/dist/index.js',
        'node_modules/linked-pkg/package.json',
      ]);
    });

    it('warns about a dependency that is not installed', async () => {
      const { run } = await packed(site({ 'package.json': JSON.stringify({ dependencies: { 'prod-a': '1', 'absent-h': '1' } }) }));
      expect(run.stderr).to.match(/^warning: not installed: absent-h; run `npm install --omit=dev` in the code folder/m);
    });

    it('warns when the bootstrap loads express-fc-runtime but it is not a production dependency', async () => {
      const { run } = await packed(site());
      expect(run.stderr).to.match(/^warning: bootstrap uses express-fc-runtime but it is not packed/m);
    });
  });

  describe('linked packages (pnpm, workspaces)', () => {
    const json = (value: object) => JSON.stringify(value);

    it("stores pnpm's linked layout as real folders where Node finds each version, and no link that points outside", async () => {
      // pnpm: the site's direct dependencies link into node_modules/.pnpm, where each package's own
      // dependencies are its siblings; app needs lib@1, lib needs dep@2 while the site has dep@1.
      const store = (name: string, version: string) => `node_modules/.pnpm/${name}@${version}/node_modules/${name}`;
      const dir = makeFolder({
        bootstrap: { content: PLAIN_BOOTSTRAP, mode: 0o755 },
        'server.js': "require('lib');\n",
        'package.json': json({ dependencies: { lib: '1', dep: '1' } }),
        [`${store('lib', '1.0.0')}/package.json`]: json({ name: 'lib', version: '1.0.0', dependencies: { dep: '2' } }),
        [`${store('lib', '1.0.0')}/index.js`]: "module.exports = require('dep');\n",
        'node_modules/.pnpm/lib@1.0.0/node_modules/dep': symlink('../../dep@2.0.0/node_modules/dep'),
        [`${store('dep', '2.0.0')}/package.json`]: json({ name: 'dep', version: '2.0.0' }),
        [`${store('dep', '1.0.0')}/package.json`]: json({ name: 'dep', version: '1.0.0' }),
        'node_modules/lib': symlink('.pnpm/lib@1.0.0/node_modules/lib'),
        'node_modules/dep': symlink('.pnpm/dep@1.0.0/node_modules/dep'),
      });
      const { zip, run } = await packed(dir);
      const version = (path: string) => (JSON.parse(zip.get(path)!.content.toString()) as { version: string }).version;
      expect(version('node_modules/lib/package.json')).to.equal('1.0.0');
      expect(version('node_modules/dep/package.json')).to.equal('1.0.0');
      expect(version('node_modules/lib/node_modules/dep/package.json')).to.equal('2.0.0');
      expect(zip.get('node_modules/lib/index.js')?.mode).to.equal(0o100644);
      expect([...zip.keys()].filter((name) => name.includes('.pnpm'))).to.deep.equal([]);
      expect([...zip.values()].filter((entry) => entry.mode === 0o120777)).to.deep.equal([]);
      expect(run.stderr).to.equal('');
      expect(run.stdout).to.match(/^ {2}node_modules +3 production packages in; 0 left out \(0 dev-only\)$/m);
    });

    it("packs a workspace's app with what the workspace hoisted above it, and its sibling package as npm would publish it", async () => {
      const root = makeFolder({
        'package.json': json({ private: true, workspaces: ['packages/*'] }),
        'packages/app/bootstrap': { content: PLAIN_BOOTSTRAP, mode: 0o755 },
        'packages/app/server.js': "require('@acme/util');\n",
        'packages/app/package.json': json({ name: 'app', dependencies: { '@acme/util': '*', hoisted: '1' } }),
        'packages/util/package.json': json({
          name: '@acme/util',
          main: 'dist/index.js',
          files: ['dist'],
          dependencies: { 'util-dep': '1' },
        }),
        'packages/util/dist/index.js': 'module.exports = 1;\n',
        'packages/util/src/index.ts': 'export = 1;\n',
        'node_modules/@acme/util': symlink('../../packages/util'),
        'node_modules/hoisted/package.json': json({ name: 'hoisted' }),
        'node_modules/util-dep/package.json': json({ name: 'util-dep' }),
        'node_modules/@acme/app': symlink('../../packages/app'),
      });
      const { zip, run } = await packed(join(root, 'packages', 'app'));
      expect([...zip.keys()].filter((name) => name.startsWith('node_modules/')).sort()).to.deep.equal([
        'node_modules/@acme/util/dist/index.js',
        'node_modules/@acme/util/package.json',
        'node_modules/hoisted/package.json',
        'node_modules/util-dep/package.json',
      ]);
      expect(run.stderr, run.stderr).to.match(
        /^note: packed from outside the code folder, where Node finds them \(a workspace's hoisting, links\): @acme\/util, hoisted, util-dep\.$/m,
      );
      expect(run.stderr).not.to.match(/not installed/);
    });
  });

  describe('native modules', () => {
    /** The first bytes of a native module: an ELF (machine 0x3e x86-64, 0xb7 aarch64) or a 64-bit Mach-O (CPU x86-64 or arm64). */
    const elf = (machine: number) => {
      const header = Buffer.alloc(64);
      header.write('\x7fELF', 0, 'latin1');
      header[4] = 2; // 64-bit
      header[5] = 1; // little-endian
      header.writeUInt16LE(machine, 18);
      return header;
    };
    const machO = (cpu: number) => {
      const header = Buffer.alloc(32);
      header.writeUInt32LE(0xfeedfacf, 0);
      header.writeUInt32LE(cpu, 4);
      return header;
    };
    const json = (value: object) => JSON.stringify(value);
    const native = (name: string, files: Record<string, SiteFile>): Record<string, SiteFile> => ({
      [`node_modules/${name}/package.json`]: json({ name }),
      ...Object.fromEntries(Object.entries(files).map(([path, file]) => [`node_modules/${name}/${path}`, file])),
    });
    const REAL_LINUX_X64 = join(__dirname, '..', '..', 'node_modules', '@img', 'sharp-linux-x64', 'lib');

    it("names the packages built for another platform than FC's linux-x64, with the fix; linux-x64 ones pass", async () => {
      const realNode = readdirSync(REAL_LINUX_X64).find((name) => name.endsWith('.node'))!;
      const { run } = await packed(
        makeFolder({
          bootstrap: { content: PLAIN_BOOTSTRAP, mode: 0o755 },
          'package.json': json({
            dependencies: { bcrypt: '5', 'arm-only': '1', 'fine-x64': '1', 'real-sharp': '1', leveldown: '6', 'prebuilt-ok': '1' },
          }),
          ...native('bcrypt', { 'lib/binding/napi-v3/bcrypt_lib.node': machO(0x0100000c) }),
          ...native('arm-only', { 'build/Release/addon.node': elf(0xb7) }),
          ...native('fine-x64', { 'build/Release/addon.node': elf(0x3e) }),
          ...native('real-sharp', { [`lib/${realNode}`]: readFileSync(join(REAL_LINUX_X64, realNode)) }),
          ...native('leveldown', {
            'prebuilds/darwin-x64+arm64/node.napi.node': machO(0x01000007),
            'prebuilds/win32-x64/node.napi.node': Buffer.from('MZ'),
          }),
          ...native('prebuilt-ok', {
            'prebuilds/darwin-arm64/node.napi.node': machO(0x0100000c),
            'prebuilds/linux-x64/node.napi.glibc.node': elf(0x3e),
          }),
        }),
      );
      expect(run.stderr).to.match(
        /^warning: native modules built for another platform than FC's linux-x64: arm-only \(linux-arm64\), bcrypt \(darwin-arm64\), leveldown \(prebuilds for darwin-x64\+arm64, win32-x64 only\); install on linux-x64 before packing \(`npm ci` in Docker, e\.g\. `docker run --rm -v "\$PWD":\/app -w \/app node:20 npm ci --omit=dev`\), or `npm install --os=linux --cpu=x64` for packages that ship prebuilt binaries\.$/m,
      );
    });

    it('says nothing when every native module is built for linux-x64', async () => {
      const { run } = await packed(
        makeFolder({
          bootstrap: { content: PLAIN_BOOTSTRAP, mode: 0o755 },
          'package.json': json({ dependencies: { 'fine-x64': '1' } }),
          ...native('fine-x64', { 'build/Release/addon.node': elf(0x3e) }),
        }),
      );
      expect(run.stderr).to.equal('');
    });
  });

  describe("the ZIP's size against FC 3.0's limits", () => {
    const MB = 1024 * 1024;
    for (const [zip, line, warned] of [
      [2 * MB, "within the API's 100 MB (Base64) and the 500 MB of the console, Serverless Devs and OSS", false],
      [62 * MB, "close to the API's 100 MB (Base64 82.7 MB); the console, Serverless Devs and OSS take 500 MB", false],
      [76 * MB, "over the API's 100 MB (Base64 101.3 MB): deploy through the console, Serverless Devs or OSS (500 MB)", false],
      [420 * MB, "close to FC's 500 MB for a code ZIP; over the API's 100 MB (Base64 560.0 MB)", true],
      [501 * MB, "over FC's 500 MB for a code ZIP (and the API's 100 MB)", true],
    ] as const) {
      it(`a ZIP of ${sizeText(zip)}: ${line}`, () => {
        const verdict = sizeVerdict(zip);
        expect(verdict.line).to.equal(line);
        expect(verdict.close).to.equal(zip > 60 * MB);
        expect(verdict.warning !== undefined).to.equal(warned);
      });
    }

    large('prints the verdict under the summary; past the API limit, the largest packages by unpacked size', async () => {
      const small = await packed(site());
      expect(small.run.stdout).to.match(
        /^ {2}FC limits +within the API's 100 MB \(Base64\) and the 500 MB of the console, Serverless Devs and OSS$/m,
      );
      expect(small.run.stdout).not.to.match(/largest/);

      // Random bytes do not compress: 77 MB of them make a ZIP whose Base64 is over the API's 100 MB
      // (as .gz, stored as they are: deflating them again would only take time).
      const json = (value: object) => JSON.stringify(value);
      const big = await packed(
        makeFolder({
          bootstrap: { content: BOOTSTRAP, mode: 0o755 },
          'package.json': json({ dependencies: { 'huge-model': '1', small: '1' } }),
          'node_modules/huge-model/package.json': json({ name: 'huge-model' }),
          'node_modules/huge-model/weights.bin.gz': randomBytes(77 * MB),
          'node_modules/small/package.json': json({ name: 'small' }),
          'public/logo.png': randomBytes(3 * 1024),
        }),
      );
      expect(big.run.stdout).to.match(
        /^ {2}FC limits +over the API's 100 MB \(Base64 10\d\.\d MB\): deploy through the console, Serverless Devs or OSS \(500 MB\)$/m,
      );
      expect(big.run.stdout).to.match(/^ {2}largest +huge-model 77\.0 MB, small \d+ B; the site's own files [\d.]+ KB \(unpacked\)$/m);
    });
  });

  describe('a Next.js standalone build', () => {
    const json = (value: object) => JSON.stringify(value);
    /** What `next build` with `output: 'standalone'` leaves, in small: the server, its traced packages, the static files beside it. */
    const nextSite = (bootstrapLine: string, extra: Record<string, SiteFile> = {}) =>
      makeFolder({
        bootstrap: { content: `#!/bin/bash\nexec ${bootstrapLine}\n`, mode: 0o755 },
        'package.json': json({ dependencies: { next: '15', react: '19' } }),
        'pages/index.js': 'export default () => null;\n',
        'public/favicon.ico': 'icon',
        'public/images/hero.svg': '<svg/>',
        '.next/BUILD_ID': 'abc',
        '.next/cache/webpack/client.pack': BLOB,
        '.next/server/pages/index.js': 'server page',
        '.next/static/abc/_buildManifest.js': 'manifest',
        '.next/static/chunks/main.js': 'chunk',
        '.next/standalone/server.js': "require('next');\n",
        '.next/standalone/package.json': json({ private: true }),
        '.next/standalone/.next/BUILD_ID': 'abc',
        '.next/standalone/.next/server/pages/index.js': 'server page',
        '.next/standalone/node_modules/next/package.json': json({ name: 'next' }),
        '.next/standalone/node_modules/react/package.json': json({ name: 'react' }),
        'node_modules/next/package.json': json({ name: 'next', version: 'whole' }),
        'node_modules/next/dist/huge.js': BLOB,
        'node_modules/react/package.json': json({ name: 'react' }),
        ...extra,
      });

    it('recognises the bootstrap `fc-runtime init` writes for it', async () => {
      const dir = nextSite('true', { 'next.config.js': "module.exports = { output: 'standalone' };\n" });
      const init = await runCli(['init', dir, '--force']);
      expect(init.code, init.stderr).to.equal(0);
      const { zip } = await packed(dir);
      expect(zip.get('.next/standalone/public/favicon.ico')?.content.toString()).to.equal('icon');
      expect(zip.has('.next/standalone/.next/static/chunks/main.js')).to.equal(true);
    });

    it('puts public/ and .next/static/ where the standalone server looks, and leaves out the rest of .next/ and the packages the build holds', async () => {
      const { zip, run } = await packed(nextSite('node -r express-fc-runtime/register .next/standalone/server.js'));
      const names = [...zip.keys()];
      expect(zip.get('.next/standalone/public/favicon.ico')?.content.toString()).to.equal('icon');
      expect(zip.has('.next/standalone/public/images/hero.svg')).to.equal(true);
      expect(zip.get('.next/standalone/.next/static/chunks/main.js')?.content.toString()).to.equal('chunk');
      expect(zip.has('.next/standalone/.next/static/abc/_buildManifest.js')).to.equal(true);
      expect(zip.has('.next/standalone/server.js')).to.equal(true);
      expect(zip.has('.next/standalone/node_modules/next/package.json')).to.equal(true);
      expect(names.filter((name) => name.startsWith('.next/') && !name.startsWith('.next/standalone/'))).to.deep.equal([]);
      expect(names.filter((name) => name.startsWith('node_modules/'))).to.deep.equal([]);
      expect(run.stdout).to.match(
        /^ {2}next\.js +standalone server; public\/ → \.next\/standalone\/public\/, \.next\/static\/ → \.next\/standalone\/\.next\/static\/$/m,
      );
      expect(run.stdout).to.match(
        /^ {2}node_modules +0 production packages in; 0 left out \(0 dev-only\); 2 packages in \.next\/standalone\/node_modules, as Next traced them$/m,
      );
      expect(run.stdout).to.match(/^ {2}left out +\.next\/BUILD_ID, \.next\/cache\/, \.next\/server\/, \.next\/static\/$/m);
    });

    it('keeps copies the user already made', async () => {
      const { zip, run } = await packed(
        nextSite('node .next/standalone/server.js', {
          '.next/standalone/public/favicon.ico': 'copied by hand',
          '.next/standalone/.next/static/chunks/main.js': 'copied by hand',
        }),
      );
      expect(zip.get('.next/standalone/public/favicon.ico')?.content.toString()).to.equal('copied by hand');
      expect(zip.has('.next/standalone/public/images/hero.svg')).to.equal(false);
      expect(run.stdout).to.match(/^ {2}next\.js +standalone server; public\/ and \.next\/static\/ already in place$/m);
    });

    it('packs all of .next/ but its cache, and node_modules as usual, for a bootstrap that runs next start', async () => {
      const { zip, run } = await packed(nextSite('node_modules/.bin/next start'));
      expect(zip.has('.next/server/pages/index.js')).to.equal(true);
      expect(zip.has('.next/static/chunks/main.js')).to.equal(true);
      expect([...zip.keys()].filter((name) => name.startsWith('.next/cache/'))).to.deep.equal([]);
      expect(zip.get('node_modules/next/package.json')?.content.toString()).to.contain('whole');
      expect(zip.has('.next/standalone/public/favicon.ico')).to.equal(false);
      expect(run.stdout).not.to.match(/next\.js/);
    });
  });

  describe('a large tree', () => {
    large('gets a progress line on stderr; a small one none', async () => {
      const files: Record<string, SiteFile> = {};
      for (let i = 0; i < 1200; i++) files[`data/${i}.json`] = `{"n":${i}}\n`;
      const { run, zip } = await packed(site(files));
      expect(zip.get('data/1199.json')?.content.toString()).to.equal('{"n":1199}\n');
      const lines = run.stderr.split('\n').filter((line) => line.startsWith('packing: '));
      expect(lines.map((line) => line.replace(/ \(.*/, ''))).to.deep.equal([
        'packing: 25%',
        'packing: 50%',
        'packing: 75%',
        'packing: 100%',
      ]);
      expect(lines[3]).to.match(/^packing: 100% \(1214 of 1214 files, [\d.]+ KB of [\d.]+ KB\)$/);
      const small = await packed(site());
      expect(small.run.stderr).not.to.match(/packing:/);
    });
  });

  describe('the command', () => {
    it('prints its help and exits 0', async () => {
      const run = await runCli(['pack', '--help']);
      expect(run.code).to.equal(0);
      expect(run.stdout).to.match(/^Usage: fc-runtime pack \[options\] \[dir\]/);
      expect(run.stdout).to.match(/-o, --output <file>/);
    });

    for (const [what, args, message] of [
      ['a missing folder', ['pack', '/nonexistent/site'], 'fc-runtime pack: no code folder /nonexistent/site'],
      [
        'an output folder that does not exist',
        ['pack', '.', '-o', '/nonexistent/out/code.zip'],
        'fc-runtime pack: cannot write /nonexistent/out/code.zip: no folder /nonexistent/out',
      ],
      [
        'an output that is a folder',
        ['pack', '.', '-o', tmpdir()],
        `fc-runtime pack: ${tmpdir()} is a folder; give the ZIP's file name, e.g. -o code.zip`,
      ],
      ['an unknown flag', ['pack', '--zip'], "fc-runtime: unknown option '--zip' (see --help)"],
    ] as const) {
      it(`ends ${what} in one line and exit 1`, async () => {
        const run = await runCli([...args], { cwd: makeFolder({ bootstrap: { content: BOOTSTRAP, mode: 0o755 } }) });
        expect(run.code).to.equal(1);
        expect(run.stderr).to.equal(`${message}\n`);
        expect(run.stdout).to.equal('');
      });
    }

    it('leaves no ZIP and no temporary file behind when a file cannot be read as it was listed', async () => {
      // /proc files say they are empty and then give bytes: the ZIP cannot be written consistently.
      const dir = makeFolder({
        bootstrap: { content: '#!/bin/bash\nexec node server.js\n', mode: 0o755 },
        status: symlink('/proc/self/status'),
      });
      const run = await runCli(['pack', '.', '-o', 'out.zip'], { cwd: dir });
      expect(run.code).to.equal(1);
      expect(run.stderr).to.match(/^fc-runtime pack: could not write the ZIP: status: .+\n$/);
      expect(readdirSync(dir).sort()).to.deep.equal(['bootstrap', 'status']);
    });
  });
});
