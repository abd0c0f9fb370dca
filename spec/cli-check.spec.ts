import { expect } from 'chai';
import { bootstrap, makeSite, removeSites, runCli, type SiteFile } from './helpers/sites';

/** What one `fc-runtime check` run printed, its ✔ and ✖ lines apart. */
interface Checked {
  code: number | null;
  stdout: string;
  stderr: string;
  passed: string[];
  failed: string[];
}

async function check(dir: string, args: string[] = []): Promise<Checked> {
  const result = await runCli(['check', dir, ...args]);
  const lines = result.stdout.split('\n');
  return { ...result, passed: lines.filter((line) => line.startsWith('✔ ')), failed: lines.filter((line) => line.startsWith('✖ ')) };
}

/** Exit 1, and exactly these ✖ lines (so no other check failed along). */
function expectFailures(result: Checked, ...patterns: RegExp[]): void {
  expect(result.code, result.stdout + result.stderr).to.equal(1);
  expect(result.failed, result.stdout).to.have.length(patterns.length);
  patterns.forEach((pattern, i) => expect(result.failed[i], result.stdout).to.match(pattern));
  expect(result.stdout).to.match(new RegExp(`^${patterns.length} of \\d+ checks failed( \\(\\d+ with a warning\\))?\\.$`, 'm'));
  expect(result.stderr).to.equal('');
}

const REGISTER = bootstrap('exec node -r express-fc-runtime/register server.js');
const PLAIN = bootstrap('exec node server.js');
/** An Express app: GET / answers hello (spec/fixtures/sites/check-express-server.ts). */
const EXPRESS_SITE: SiteFile = { fixture: 'sites/check-express-server.js' };
/** REGISTER, with EXPRESS_SITE given one flaw by name. */
const registerWith = (flaw: string) => bootstrap(`exec node -r express-fc-runtime/register server.js ${flaw}`);
/**
 * A runtime written by hand, without this package, run as `node server.js [name [flags]]`: FC's markers and the
 * cold-start line for `name` (handmade), exits on SIGTERM; no timeouts unless its flags say so (spec/fixtures/sites/handmade-runtime.ts).
 */
const HANDMADE: SiteFile = { fixture: 'sites/handmade-runtime.js' };
const SKIPPED = /^✖ the server was not started — fix the bootstrap as above/;

const site = (files: Record<string, SiteFile>): string => makeSite(files);

describe('fc-runtime check', () => {
  after(removeSites);

  describe('a correct site', () => {
    it('passes every check and exits 0: an Express app behind the register bootstrap', async () => {
      const result = await check(site({ bootstrap: REGISTER, 'server.js': EXPRESS_SITE }));
      expect(result.failed, result.stdout).to.deep.equal([]);
      expect(result.code).to.equal(0);
      expect(result.stderr).to.equal('');
      const passed = result.passed.join('\n');
      for (const what of [
        /^✔ bootstrap is executable \(mode 755\)$/m,
        /^✔ bootstrap starts with #!\/bin\/bash$/m,
        /^✔ bootstrap puts FC's Node on PATH before running node$/m,
        /^✔ the server listens on 0\.0\.0\.0:\d+ within 30 s/m,
        /^✔ cold-start line: FunctionCompute express runtime inited\.$/m,
        /^✔ POST \/initialize answered 200 .*between its FC Initialize Start\/End lines$/m,
        /^✔ POST \/invoke answered .*between its FC Invoke Start\/End lines$/m,
        /^✔ GET \/ via \/http-invoke answered 200 .*between its FC Invoke Start\/End lines$/m,
        /^✔ no timeout cuts FC's long-lived connections \(keepAliveTimeout 0, requestTimeout 0, headersTimeout 0, timeout 0\)$/m,
        /^✔ response headers within FC's 8 KB/m,
        /^✔ no response header FC reserves/m,
        /^✔ GET \/pre-stop answered 200 .*between its FC PreStop Start\/End lines$/m,
        /^✔ the runtime stopped \d+ ms after SIGTERM \(exit code 0\)$/m,
      ]) {
        expect(passed).to.match(what);
      }
      expect(result.stdout).to.match(new RegExp(`^All ${result.passed.length} checks passed\\.$`, 'm'));
    });

    it('passes a runtime written by hand that follows the protocol', async () => {
      const result = await check(site({ bootstrap: PLAIN, 'server.js': HANDMADE }));
      expect(result.failed, result.stdout).to.deep.equal([]);
      expect(result.code).to.equal(0);
    });
  });

  describe('the bootstrap', () => {
    it('finds no bootstrap, and does not start a server', async () => {
      const result = await check(site({ 'server.js': EXPRESS_SITE }));
      expectFailures(result, /^✖ no bootstrap in the code folder \(FC: CAFileNotFound\) — run `fc-runtime init`$/, SKIPPED);
    });

    it('finds it not executable', async () => {
      const file = REGISTER as { content: string };
      const result = await check(site({ bootstrap: { content: file.content, mode: 0o644 }, 'server.js': EXPRESS_SITE }));
      expectFailures(
        result,
        /^✖ bootstrap is not executable by all \(mode 644; FC: permission denied\) — run `chmod 755 bootstrap`$/,
        SKIPPED,
      );
    });

    it('finds no #!/bin/bash line', async () => {
      const result = await check(
        site({ bootstrap: { content: 'exec node -r express-fc-runtime/register server.js\n', mode: 0o755 }, 'server.js': EXPRESS_SITE }),
      );
      expectFailures(
        result,
        /^✖ bootstrap does not start with #!\/bin\/bash \(FC: CAExited, exec format error\) — make `#!\/bin\/bash` its first line/,
        /bootstrap runs `node` \(line 1\)/,
        SKIPPED,
      );
    });

    it('finds Windows line endings', async () => {
      const file = REGISTER as { content: string };
      const result = await check(
        site({ bootstrap: { content: file.content.replace(/\n/g, '\r\n'), mode: 0o755 }, 'server.js': EXPRESS_SITE }),
      );
      expectFailures(
        result,
        /^✖ bootstrap has Windows \(CRLF\) line endings on 3 lines \(FC: \/bin\/bash\^M: bad interpreter\) — convert it to LF/,
        SKIPPED,
      );
    });

    it('finds a byte-order mark', async () => {
      const file = REGISTER as { content: string };
      const result = await check(site({ bootstrap: { content: `\ufeff${file.content}`, mode: 0o755 }, 'server.js': EXPRESS_SITE }));
      expectFailures(
        result,
        /^✖ bootstrap starts with a byte-order mark, so FC finds no #! line \(FC: exec format error\) — save it as UTF-8 without BOM/,
        SKIPPED,
      );
    });

    it('finds a bare `node` that FC’s PATH will not find, and still runs the server checks', async () => {
      const result = await check(
        site({
          bootstrap: { content: '#!/bin/bash\nexec node -r express-fc-runtime/register server.js\n', mode: 0o755 },
          'server.js': EXPRESS_SITE,
        }),
      );
      expectFailures(
        result,
        /^✖ bootstrap runs `node` \(line 2\) from a PATH where FC has no Node \(FC: CAFileNotFound\) — put `export PATH=\/opt\/nodejs(\d+)\/bin:\/var\/fc\/lang\/nodejs\1\/bin:\$PATH` before it \(for Node \1\), or run `fc-runtime init --force`$/,
      );
      expect(result.passed.join('\n')).to.match(/^✔ the runtime stopped \d+ ms after SIGTERM \(exit code 0\)$/m);
    });
  });

  describe("s.yaml's function configuration", () => {
    const S_YAML = (env: string) =>
      `edition: 3.0.0\nname: app\nresources:\n  web:\n    component: fc3\n    props:\n      runtime: custom.debian10\n      layers: [acs:fc:cn-hangzhou:official:layers/Nodejs20/versions/3]\n      environmentVariables:\n${env}`;

    it('finds an environment variable named FC_…, which FC rejects the deploy for, naming it and the new name', async () => {
      const result = await check(
        site({
          bootstrap: REGISTER,
          'server.js': EXPRESS_SITE,
          's.yaml': S_YAML('        NODE_ENV: production\n        FC_LOG_LEVEL: debug\n'),
        }),
      );
      expectFailures(
        result,
        /^✖ s\.yaml sets FC_LOG_LEVEL \(web\) in environmentVariables: FC reserves every name that starts with FC_ and rejects the deploy \(InvalidArgument\) — rename it; this package reads EXPRESS_FC_\* \(FC_LOG_LEVEL → EXPRESS_FC_LOG_LEVEL/,
      );
    });

    it('passes EXPRESS_FC_* names', async () => {
      const result = await check(
        site({ bootstrap: REGISTER, 'server.js': EXPRESS_SITE, 's.yaml': S_YAML('        EXPRESS_FC_LOG_LEVEL: debug\n') }),
      );
      expect(result.failed, result.stdout).to.deep.equal([]);
      expect(result.passed.join('\n')).to.match(/^✔ no environmentVariables name starts with FC_$/m);
    });
  });

  describe('the server', () => {
    it('tells a server bound to 127.0.0.1 from one on 0.0.0.0', async () => {
      const result = await check(site({ bootstrap: PLAIN, 'server.js': { fixture: 'sites/loopback-server.js' } }));
      expectFailures(
        result,
        /^✖ the server listens on 127\.0\.0\.1 only, which FC cannot reach \(FC: FunctionNotStarted\) — listen on 0\.0\.0\.0$/,
      );
    });

    it('gives up on a server that never listens, within the start limit', async () => {
      const result = await check(site({ bootstrap: PLAIN, 'server.js': { fixture: 'sites/never-listens.js' } }), ['--start-timeout', '1']);
      expectFailures(
        result,
        /^✖ nothing listened on port \d+ within 1 s \(FC: FunctionNotStarted\) — listen on FC_CUSTOM_LISTEN_PORT \(customRuntimeConfig\.port, 9000 by default\)$/,
      );
    });

    it("finds Node's default keep-alive timeout, which cuts FC's connections after 5 s", async () => {
      const result = await check(site({ bootstrap: bootstrap('exec node server.js handmade node-timeouts'), 'server.js': HANDMADE }));
      expectFailures(
        result,
        /^✖ connections are cut before FC's 15 minutes: keepAliveTimeout 5 s, requestTimeout 300 s, headersTimeout 60 s, Keep-Alive: timeout=5 announced; FC sends the next request on a connection the server closed while idle: a GET is retried, a POST fails with 502 "Process exited unexpectedly before completing request" — set the server's keepAliveTimeout, requestTimeout, headersTimeout and timeout to 0/,
      );
    });

    it('finds a request timeout the app set after listening, which would cut a long invocation', async () => {
      const result = await check(site({ bootstrap: registerWith('request-timeout'), 'server.js': EXPRESS_SITE }));
      expectFailures(result, /^✖ connections are cut before FC's 15 minutes: requestTimeout 120 s — /);
    });

    it('finds an idle connection closed by the server even when its settings cannot be read from inside', async () => {
      const result = await check(
        site({ bootstrap: bootstrap('unset NODE_OPTIONS\nexec node server.js handmade idle-timeout'), 'server.js': HANDMADE }),
      );
      expectFailures(
        result,
        /^✖ connections are cut before FC's 15 minutes: an idle connection closed within 1(\.\d)? s; FC sends the next request .* — /,
      );
      expect(result.passed.join('\n')).to.match(
        /^✔ no response header FC reserves .*; Node's own connection and date could not be told from the app's$/m,
      );
    });

    it('finds invocations without FC log markers', async () => {
      const result = await check(site({ bootstrap: PLAIN, 'server.js': { fixture: 'sites/unmarked-server.js' } }));
      const markers = (what: string, kind: string) =>
        new RegExp(`^✖ ${what} answered 200 but logged no "FC ${kind} Start/End RequestId: [\\w-]+" lines — put fcRuntime\\(\\) in front`);
      expectFailures(
        result,
        markers('POST /initialize', 'Initialize'),
        markers('POST /invoke', 'Invoke'),
        markers('GET / via /http-invoke', 'Invoke'),
        markers('GET /pre-stop', 'PreStop'),
      );
    });

    it('finds a cold-start line that names an official runtime', async () => {
      const result = await check(site({ bootstrap: bootstrap('exec node server.js nodejs20'), 'server.js': HANDMADE }));
      expectFailures(result, /^✖ the cold-start line calls the runtime "nodejs20", a name FC reserves for its own — pick another/);
    });

    it('finds an initializer that fails, and shows the runtime’s log', async () => {
      const result = await check(
        site({
          bootstrap: REGISTER,
          'server.js': EXPRESS_SITE,
          'fc-runtime.config.js': { fixture: 'sites/failing-initializer-config.js' },
        }),
      );
      expectFailures(
        result,
        /^✖ POST \/initialize answered 404 \(x-fc-status 404\): the initializer failed, so FC would not start the instance — see the runtime's log below$/,
      );
      expect(result.stdout).to.match(/^ {4}│ .*\[ERROR\] Error: db down$/m);
    });

    it('finds response headers FC reserves, set by the app (Node’s own are not counted)', async () => {
      const result = await check(site({ bootstrap: registerWith('reserved-headers'), 'server.js': EXPRESS_SITE }));
      expectFailures(
        result,
        /^✖ the runtime sets response headers FC reserves: server, x-fc-trace, connection on GET \/ via \/http-invoke — remove them/,
      );
    });

    it('finds response headers over 8 KB', async () => {
      const result = await check(site({ bootstrap: registerWith('big-headers'), 'server.js': EXPRESS_SITE }));
      expectFailures(
        result,
        /^✖ GET \/ via \/http-invoke answered with 9\.\d KB of headers, over FC's 8 KB \(FC answers 502\) — send less in headers/,
      );
    });
  });

  describe('the command', () => {
    it('prints its help and exits 0', async () => {
      const child = await runCli(['check', '--help']);
      expect(child.code).to.equal(0);
      expect(child.stdout).to.match(/^Usage: fc-runtime check \[options\] \[dir\]/);
      expect(child.stdout).to.match(/--start-timeout <seconds>/);
    });

    it('ends a missing folder in one line and exit 1', async () => {
      const child = await runCli(['check', '/nonexistent/code']);
      expect(child.code).to.equal(1);
      expect(child.stderr).to.equal('fc-runtime check: no code folder /nonexistent/code\n');
      expect(child.stdout).to.equal('');
    });
  });
});
