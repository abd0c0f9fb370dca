// The framework matrix: each framework's small site, unchanged, under `node -r express-fc-runtime/register`
// behind the local FC's HTTP trigger. Each site is started once and every check runs on it.
// The sites run on the Node that runs the spec, so scripts/test-versions.sh checks each framework on
// every supported version; all seven together take about 6 s. FRAMEWORK_MATRIX=off skips the matrix.
import { expect } from 'chai';
import { bootstrap, makeSite, removeSites, type SiteFile } from './helpers/sites';
import { logLine, startLocalAt, type LocalFc } from './samples/local-fc';

interface Framework {
  name: string;
  /** The compiled fixtures of spec/fixtures/frameworks/ the site is made of, by their path in the site. */
  files: Record<string, string>;
  /** The devDependencies the site's node_modules links to. */
  packages: string[];
  /** What the framework's own 404 answer holds. */
  notFound: RegExp;
}

const FRAMEWORKS: Framework[] = [
  { name: 'Express 5', files: { 'server.js': 'express5.js' }, packages: [], notFound: /Cannot GET \/missing/ },
  { name: 'Express 4', files: { 'server.js': 'express4.js' }, packages: [], notFound: /Cannot GET \/missing/ },
  { name: 'Koa', files: { 'server.js': 'koa.js' }, packages: ['koa'], notFound: /^Not Found$/ },
  {
    name: 'Fastify',
    files: { 'server.js': 'fastify.js' },
    packages: ['fastify'],
    notFound: /"message":"Route GET:\/missing not found"/,
  },
  {
    name: 'NestJS (Express platform)',
    files: { 'server.js': 'nest.js' },
    packages: ['@nestjs/core', '@nestjs/common', '@nestjs/platform-express', 'reflect-metadata', 'rxjs'],
    notFound: /"message":"Cannot GET \/missing"/,
  },
  {
    name: 'Hono (@hono/node-server)',
    files: { 'server.js': 'hono.js' },
    packages: ['hono', '@hono/node-server'],
    notFound: /404 Not Found/,
  },
  {
    name: 'Egg (single process)',
    files: {
      'server.js': 'egg/server.js',
      'app/router.js': 'egg/app/router.js',
      'config/config.default.js': 'egg/config/config.default.js',
    },
    packages: ['egg'],
    notFound: /404|Not Found/i,
  },
];

const SKIPPED = process.env.FRAMEWORK_MATRIX === 'off';

(SKIPPED ? describe.skip : describe)('the framework matrix: each site unchanged under register, through the local FC', () => {
  after(removeSites);

  for (const framework of FRAMEWORKS) {
    describe(framework.name, () => {
      let fc: LocalFc;

      before(async function () {
        this.timeout(60_000);
        const files: Record<string, SiteFile> = {
          // The Node that runs the spec, whatever PATH holds: scripts/test-versions.sh checks each version.
          bootstrap: bootstrap(`exec '${process.execPath}' -r express-fc-runtime/register server.js`),
          'package.json': JSON.stringify({ name: 'framework-site', private: true }),
        };
        for (const [path, fixture] of Object.entries(framework.files)) files[path] = { fixture: `frameworks/${fixture}` };
        fc = await startLocalAt(makeSite(files, { packages: framework.packages }));
      });

      after(async () => {
        // Unset when before() failed.
        await (fc as LocalFc | undefined)?.stop();
      });

      it("serves a page; the handler's console.log is tagged with the request id, between the markers", async () => {
        const res = await fetch(`${fc.base}/`);
        expect(res.status).to.equal(200);
        expect(res.headers.get('x-fc-status')).to.equal('200');
        expect(res.headers.get('content-type')).to.match(/^text\/html/);
        expect(await res.text()).to.contain(`<h1>Hello from ${framework.name.replace(/ \(.*/, '')}</h1>`);
        const id = fc.requestIdOf(res);
        const lines = await fc.linesOf(id);
        expect(lines.filter((line) => line.includes('page of'))).to.have.length(1);
        expect(lines.find((line) => line.includes('page of'))).to.match(
          logLine(id, 'INFO', `page of ${framework.name.replace(/ \(.*/, '')}`),
        );
      });

      it('echoes a JSON POST', async () => {
        const sent = { text: 'héllo, 世界', list: [1, 2, 3], nested: { ok: true } };
        const res = await fetch(`${fc.base}/echo`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(sent),
        });
        expect(res.status).to.equal(200);
        expect(res.headers.get('x-fc-status')).to.equal('200');
        expect(await res.json()).to.deep.equal({ received: sent });
        await fc.invocation(fc.requestIdOf(res));
      });

      it("answers with the framework's own 404, which FC counts as a success", async () => {
        const res = await fetch(`${fc.base}/missing`);
        expect(res.status).to.equal(404);
        expect(res.headers.get('x-fc-status')).to.equal('200');
        expect(await res.text()).to.match(framework.notFound);
        await fc.invocation(fc.requestIdOf(res));
      });

      it('answers an error with its 500, which FC counts as a failure (x-fc-status 404)', async () => {
        const res = await fetch(`${fc.base}/boom`);
        expect(res.status).to.equal(500);
        expect(res.headers.get('x-fc-status')).to.equal('404');
        const id = fc.requestIdOf(res);
        await fc.invocation(id);
        expect(await fc.summaryOf(id)).to.match(/^FC GET \/boom: 500, x-fc-status 404, .* \(failed\)$/);
      });

      it("warns of no second server: the app's one server is the one served", () => {
        expect(fc.child.stdout + fc.child.stderr).not.to.match(/only the first server is served/);
      });

      it('stops on Ctrl-C: /pre-stop, then the runtime ends and the CLI exits 0', async () => {
        expect(await fc.stop()).to.equal(0);
        const stdout = fc.child.stdout;
        const preStop = /^FC PreStop Start RequestId: (\S+)$/m.exec(stdout);
        expect(preStop, 'a PreStop Start marker').to.not.equal(null);
        expect(stdout).to.match(new RegExp(`^FC PreStop End RequestId: ${preStop![1]}$`, 'm'));
        expect(stdout).to.match(/^fc-runtime local: stopped\.$/m);
      });
    });
  }
});
