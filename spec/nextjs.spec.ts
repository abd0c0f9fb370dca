// A real Next.js site with `output: 'standalone'`: built once with `next build`, packed by
// `fc-runtime pack`, unpacked as FC unpacks the ZIP, and served under register through the local FC.
//
// The build takes about 10 s, so the spec runs on the Node that runs npm test only:
// scripts/test-versions.sh sets NEXTJS_SPEC=off for the other versions.
import { expect } from 'chai';
import { execFileSync } from 'child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { performance } from 'perf_hooks';
import { run } from './helpers/child';
import { makeSite, removeSites, ROOT, runCli } from './helpers/sites';
import { unzip } from './helpers/zip';
import { logLine, startLocalAt, type LocalFc } from './samples/local-fc';

const SKIPPED = process.env.NEXTJS_SPEC === 'off';

// The site's own files, as `create-next-app` would lay out a small Pages Router site.
const SITE = {
  'package.json': JSON.stringify({
    name: 'next-site',
    private: true,
    scripts: { build: 'next build' },
    dependencies: { next: '15', react: '19', 'react-dom': '19', 'express-fc-runtime': 'file:../express-fc-runtime' },
  }),
  'next.config.js': "module.exports = { output: 'standalone', outputFileTracingRoot: __dirname };\n",
  'pages/index.js': [
    'export async function getServerSideProps({ req }) {',
    '  console.log(`page of Next.js ${req.url}`);',
    '  return { props: { method: req.method } };',
    '}',
    'export default function Home({ method }) {',
    '  return <h1>Hello from Next.js ({method})</h1>;',
    '}',
    '',
  ].join('\n'),
  'pages/boom.js': [
    'export async function getServerSideProps() {',
    "  throw new Error('Next.js broke on purpose');",
    '}',
    'export default function Boom() {',
    '  return null;',
    '}',
    '',
  ].join('\n'),
  'pages/api/echo.js': 'export default function echo(req, res) {\n  res.status(200).json({ received: req.body });\n}\n',
  'public/hello.txt': 'hello from public/\n',
};

/**
 * Hard links of the installed packages `names` and all they depend on into `dir`/node_modules: real
 * folders inside the site, as `npm install` makes them, so Next traces and copies only what its
 * server needs (links to folders outside the site would be copied as links), in a second.
 */
function installPackages(dir: string, names: string[]): void {
  const seen = new Set<string>();
  for (let name = names.shift(); name !== undefined; name = names.shift()) {
    if (seen.has(name)) continue;
    seen.add(name);
    const source = join(ROOT, 'node_modules', name);
    let manifest: Record<string, Record<string, string> | undefined>;
    try {
      manifest = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as typeof manifest;
    } catch {
      continue; // An optional or peer dependency that is not installed.
    }
    mkdirSync(dirname(join(dir, 'node_modules', name)), { recursive: true });
    execFileSync('cp', ['-al', source, join(dir, 'node_modules', name)]);
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) names.push(...Object.keys(manifest[field] ?? {}));
  }
}

(SKIPPED ? describe.skip : describe)('a Next.js standalone site, packed and served under register through the local FC', () => {
  let fc: LocalFc;
  let packOutput: string;
  let unpacked: string;
  const scratch = mkdtempSync(join(tmpdir(), 'fc-next-'));

  before(async function () {
    this.timeout(240_000);
    const began = performance.now();
    const site = makeSite(
      {
        ...SITE,
        bootstrap: {
          // The app asks for PORT and HOSTNAME, as a Dockerfile would set them; register serves FC's port instead.
          content: `#!/bin/bash\nexport PORT=3000 HOSTNAME=127.0.0.1\nexec '${process.execPath}' -r express-fc-runtime/register .next/standalone/server.js\n`,
          mode: 0o755,
        },
      },
      { modules: false },
    );
    installPackages(site, ['next', 'react', 'react-dom']);
    symlinkSync(ROOT, join(site, 'node_modules', 'express-fc-runtime'), 'dir');
    const build = run(join(site, 'node_modules', 'next', 'dist', 'bin', 'next'), { NEXT_TELEMETRY_DISABLED: '1' }, ['build'], {
      cwd: site,
    });
    const built = await build.exited;
    expect(built, build.stdout + build.stderr).to.equal(0);
    const buildMs = performance.now() - began;

    const zipPath = join(scratch, 'code.zip');
    const pack = await runCli(['pack', site, '-o', zipPath]);
    expect(pack.code, pack.stdout + pack.stderr).to.equal(0);
    packOutput = pack.stdout + pack.stderr;
    unpacked = join(scratch, 'code');
    await unzip(zipPath, unpacked);
    fc = await startLocalAt(unpacked);
    // The figure the suite's budget depends on, in every run's output.
    console.log(
      `      (next build ${Math.round(buildMs)} ms; packed, unpacked and serving after ${Math.round(performance.now() - began)} ms)`,
    );
  });

  after(async () => {
    // Unset when before() failed.
    await (fc as LocalFc | undefined)?.stop();
    removeSites();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('pack copies public/ and .next/static/ into the standalone build and leaves the rest of .next/ out', () => {
    expect(packOutput).to.match(
      /^ {2}next\.js +standalone server; public\/ → \.next\/standalone\/public\/, \.next\/static\/ → \.next\/standalone\/\.next\/static\/$/m,
    );
    expect(readdirSync(join(unpacked, '.next'))).to.deep.equal(['standalone']);
    expect(readFileSync(join(unpacked, '.next/standalone/public/hello.txt'), 'utf8')).to.equal('hello from public/\n');
    expect(readdirSync(join(unpacked, 'node_modules')).sort()).not.to.include('next');
  });

  it("serves a server-rendered page; getServerSideProps's console.log is tagged with the request id, between the markers", async () => {
    const res = await fetch(`${fc.base}/`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-fc-status')).to.equal('200');
    expect(res.headers.get('content-type')).to.match(/^text\/html/);
    expect(await res.text()).to.match(/<h1>Hello from Next\.js \(<!-- -->GET<!-- -->\)<\/h1>/);
    const id = fc.requestIdOf(res);
    expect(await fc.linesOf(id)).to.satisfy((lines: string[]) => lines.some((line) => logLine(id, 'INFO', 'page of Next.js /').test(line)));
  });

  it('serves public/ and the built JavaScript from .next/static/, where pack put them', async () => {
    const hello = await fetch(`${fc.base}/hello.txt`);
    expect(hello.status).to.equal(200);
    expect(await hello.text()).to.equal('hello from public/\n');
    const page = await (await fetch(`${fc.base}/`)).text();
    const script = /src="(\/_next\/static\/chunks\/main-[^"]+\.js)"/.exec(page);
    expect(script, 'the page loads main-*.js').to.not.equal(null);
    const chunk = await fetch(`${fc.base}${script![1]}`);
    expect(chunk.status).to.equal(200);
    expect(chunk.headers.get('content-type')).to.match(/javascript/);
    await fc.invocation(fc.requestIdOf(chunk));
  });

  it('echoes a JSON POST through an API route', async () => {
    const sent = { text: 'héllo, 世界', list: [1, 2, 3] };
    const res = await fetch(`${fc.base}/api/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(sent),
    });
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ received: sent });
    await fc.invocation(fc.requestIdOf(res));
  });

  it("answers with Next's own 404 page, which FC counts as a success", async () => {
    const res = await fetch(`${fc.base}/no/such/page`);
    expect(res.status).to.equal(404);
    expect(res.headers.get('x-fc-status')).to.equal('200');
    expect(await res.text()).to.contain('This page could not be found');
    await fc.invocation(fc.requestIdOf(res));
  });

  it('answers an error with its 500 page, which FC counts as a failure (x-fc-status 404)', async () => {
    const res = await fetch(`${fc.base}/boom`);
    expect(res.status).to.equal(500);
    expect(res.headers.get('x-fc-status')).to.equal('404');
    const id = fc.requestIdOf(res);
    expect(await fc.summaryOf(id)).to.match(/^FC GET \/boom: 500, x-fc-status 404, .* \(failed\)$/);
  });

  it('stops on Ctrl-C: /pre-stop, then the runtime ends cleanly and the CLI exits 0', async () => {
    expect(await fc.stop()).to.equal(0);
    const output = fc.child.stdout + fc.child.stderr;
    expect(output).to.match(/^FC PreStop End RequestId: \S+$/m);
    expect(output).to.match(/^fc-runtime local: stopped\.$/m);
    expect(output, "Next's own SIGTERM handler closes the server a second time").not.to.match(
      /ERR_SERVER_NOT_RUNNING|Server is not running/,
    );
  });
});
