import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { PassThrough } from 'stream';
import { fcNodeUse, fcNodeVerdict, nodeLayerArn, type FcNodeEvidence } from '../lib/cli/check/fc-node';
import {
  commandVerdict,
  environmentSizeVerdict,
  functionTimeoutVerdict,
  hooksVerdict,
  htmlDomainVerdict,
  logConfigVerdict,
  readCommand,
  triggerMethodsVerdict,
} from '../lib/cli/check/function';
import { Report } from '../lib/cli/check/report';
import { bootstrapFunction, type FunctionConfig } from '../lib/cli/fc/function-config';
import { line, serverRecord } from './helpers/verdicts';

/** A verdict in one line, as the doctor prints it. */

/** A function of s.yaml: FC 3.0's defaults over a folder, with these settings. */
function fn(settings: Partial<FunctionConfig> = {}): FunctionConfig {
  return {
    ...bootstrapFunction('/code'),
    resource: 'web',
    timeoutS: 3,
    concurrency: 1,
    initializer: undefined,
    preStop: undefined,
    ...settings,
  };
}

const INIT_PATH =
  'export PATH=/opt/nodejs24/bin:/opt/nodejs22/bin:/opt/nodejs20/bin:/opt/nodejs18/bin:/var/fc/lang/nodejs24/bin:/var/fc/lang/nodejs22/bin:/var/fc/lang/nodejs20/bin:/var/fc/lang/nodejs18/bin:$PATH';
const BOOTSTRAP = `#!/bin/bash\n${INIT_PATH}\nexec node -r express-fc-runtime/register server.js\n`;

describe("fc-runtime check: the function's configuration", () => {
  describe("FC's Node (fcNodeVerdict)", () => {
    const judge = (config: FunctionConfig, localNode: string, bootstrap: string | undefined = BOOTSTRAP) =>
      line(fcNodeVerdict({ config, use: fcNodeUse(config, bootstrap), localNode } satisfies FcNodeEvidence));

    it('passes custom.debian10 with its own Node 20 found by the bootstrap, when this run used Node 20', () => {
      expect(judge(fn({ runtime: 'custom.debian10' }), '20.20.2')).to.equal(
        '✔ FC runs Node 20 (/var/fc/lang/nodejs20/bin, custom.debian10), the major this run used (20.20.2)',
      );
    });

    it("prefers a layer's Node, as the PATH init writes does", () => {
      const config = fn({ runtime: 'custom.debian10', layers: ['acs:fc:cn-hangzhou:official:layers/Nodejs18/versions/3'] });
      expect(judge(config, '18.19.0')).to.match(/^✔ FC runs Node 18 \(\/opt\/nodejs18\/bin, layer Nodejs18\)/);
    });

    it('warns when FC will run another major than this run, with the layer that gives the same one', () => {
      expect(judge(fn({ runtime: 'custom.debian10' }), '22.3.0')).to.equal(
        '⚠ this run used Node 22.3.0, FC will run Node 20 (/var/fc/lang/nodejs20/bin, custom.debian10) — use runtime custom.debian12, add acs:fc:${vars.region}:official:layers/Nodejs22/versions/3 under layers and put /opt/nodejs22/bin first on PATH',
      );
      expect(judge(fn({ runtime: 'custom.debian10' }), '18.20.1')).to.match(
        /^⚠ this run used Node 18\.20\.1, FC will run Node 20 .* — add acs:fc:\$\{vars\.region\}:official:layers\/Nodejs18\/versions\/3 under layers/,
      );
    });

    it('fails custom.debian11/12 without a Node.js layer: FC has no Node at all', () => {
      expect(judge(fn({ runtime: 'custom.debian12' }), '22.3.0')).to.equal(
        '✖ custom.debian12 has no Node.js and s.yaml adds no Node.js layer (FC: CAFileNotFound) — add acs:fc:${vars.region}:official:layers/Nodejs22/versions/3 under layers and put /opt/nodejs22/bin first on PATH',
      );
      const layered = fn({ runtime: 'custom.debian12', layers: [nodeLayerArn(22, 'cn-hangzhou')] });
      expect(judge(layered, '22.3.0')).to.match(/^✔ FC runs Node 22 \(\/opt\/nodejs22\/bin, layer Nodejs22\)/);
    });

    it("fails a command `node` whose PATH (environmentVariables.PATH, or FC's) has no Node of FC's, and passes the official template's", () => {
      const command = ['node', 'server.js'];
      const bare = fn({ runtime: 'custom.debian10', command });
      expect(judge(bare, '20.1.0', undefined)).to.match(
        /^✖ the function runs `node` from a PATH without FC's Node \(FC: CAFileNotFound\): PATH=\/usr\/local\/bin/,
      );
      const template = fn({
        runtime: 'custom.debian10',
        command,
        layers: ['acs:fc:${vars.region}:official:layers/Nodejs20/versions/1'],
        environment: { PATH: '/opt/nodejs20/bin:/usr/local/bin:/usr/bin:/bin' },
      });
      expect(judge(template, '20.1.0', undefined)).to.match(/^✔ FC runs Node 20 \(\/opt\/nodejs20\/bin, layer Nodejs20\)/);
    });

    it('fails a Node run by a path FC does not have for the runtime and layers', () => {
      const config = fn({ runtime: 'custom.debian12', command: ['/opt/nodejs20/bin/node', 'server.js'], layers: [nodeLayerArn(22)] });
      expect(judge(config, '22.1.0', undefined)).to.equal(
        '✖ the function runs /opt/nodejs20/bin/node, which FC does not have for custom.debian12 and these layers (FC: CAFileNotFound) — FC has Node in /opt/nodejs22/bin',
      );
    });

    it('judges nothing without a runtime it knows, or a command that runs no Node', () => {
      expect(judge(bootstrapFunction('/code'), '20.1.0')).to.equal(undefined);
      expect(judge(fn({ runtime: 'custom-container' }), '20.1.0')).to.equal(undefined);
      expect(judge(fn({ runtime: 'custom.debian12', command: ['./server'] }), '20.1.0')).to.equal(undefined);
    });
  });

  describe('the command (commandVerdict)', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'check-command-'));
      writeFileSync(join(dir, 'server.js'), '');
      writeFileSync(join(dir, 'start.sh'), '#!/bin/bash\n', { mode: 0o755 });
      writeFileSync(join(dir, 'private.sh'), '#!/bin/bash\n', { mode: 0o700 });
    });
    after(() => rmSync(dir, { recursive: true, force: true }));
    const judge = (command: string[] | undefined) => {
      const verdict = commandVerdict(readCommand(fn({ codeDir: dir, command })));
      return verdict === undefined ? undefined : { line: line(verdict), unstartable: verdict.unstartable === true };
    };

    it('passes a command whose files are in the code folder', () => {
      expect(judge(['node', 'server.js'])).to.deep.equal({ line: '✔ FC runs `node server.js` in the code folder', unstartable: false });
      expect(judge(['./start.sh'])?.line).to.equal('✔ FC runs `./start.sh` in the code folder');
      expect(judge(['/code/start.sh', '--port', '9000'])?.line).to.equal('✔ FC runs `/code/start.sh --port 9000` in the code folder');
    });

    it('fails, and skips the start, when the command or its script is missing or not executable by all', () => {
      expect(judge(['./run.sh'])).to.deep.equal({
        line: '✖ customRuntimeConfig.command runs ./run.sh, which is not in the code folder (FC: CAFileNotFound) — fix the command, or add the file',
        unstartable: true,
      });
      expect(judge(['./private.sh'])?.line).to.match(
        /^✖ customRuntimeConfig\.command runs \.\/private\.sh, which is not executable by all/,
      );
      expect(judge(['node', 'dist/main.js'])).to.deep.equal({
        line: '✖ customRuntimeConfig.args name dist/main.js, which is not in the code folder — fix args, or build it first (FC runs the command in the code folder)',
        unstartable: true,
      });
    });

    it('leaves the bootstrap to its own rules', () => {
      expect(judge(undefined)).to.equal(undefined);
      expect(judge(['./bootstrap'])).to.equal(undefined);
    });
  });

  describe('what s.yaml configures', () => {
    it('warns about an HTTP trigger without HEAD or OPTIONS, naming what it lacks', () => {
      const trigger = (methods: string[]) => fn({ httpTriggers: [{ name: 'http', methods, authType: 'anonymous' }] });
      expect(line(triggerMethodsVerdict(trigger(['GET', 'POST', 'HEAD'])))).to.equal(
        "⚠ HTTP trigger http (no OPTIONS): FC answers those methods 403, so browsers' CORS preflight and health checks fail — add HEAD and OPTIONS to triggerConfig.methods",
      );
      expect(line(triggerMethodsVerdict(trigger(['GET', 'HEAD', 'OPTIONS'])))).to.equal('✔ the HTTP trigger allows HEAD and OPTIONS');
      expect(triggerMethodsVerdict(fn())).to.equal(undefined);
    });

    it("fails environmentVariables over FC's 4 KB, counted as the JSON FC is sent", () => {
      expect(line(environmentSizeVerdict(fn({ environment: { NODE_ENV: 'production' } })))).to.equal(
        "✔ environmentVariables take 25 B of FC's 4 KB",
      );
      const big = fn({ environment: { CERT: 'x'.repeat(4090) } });
      expect(line(environmentSizeVerdict(big))).to.match(
        /^✖ environmentVariables take 4\.0 KB, over FC's 4 KB for all of them \(FC rejects the deploy\)/,
      );
      expect(environmentSizeVerdict(bootstrapFunction('/code'))).to.equal(undefined);
    });

    it('warns when no logConfig sends the log to Log Service', () => {
      expect(line(logConfigVerdict(fn()))).to.equal(
        '⚠ s.yaml has no logConfig, so no line of the log reaches Log Service — add `logConfig: auto` to the function',
      );
      expect(line(logConfigVerdict(fn({ logConfig: true })))).to.equal('✔ logConfig is set: the log reaches Log Service');
    });
  });

  describe('what the run showed against s.yaml', () => {
    const hooks = (initialize: boolean, preStop: boolean) => ({ initialize, preStop, node: '20.1.0' });
    const hook = { handler: 'index.initializer', timeoutS: 10 };

    it('warns about a hook the app has and s.yaml does not configure, and the reverse', () => {
      expect(line(hooksVerdict({ config: fn(), hooks: hooks(true, false) }))).to.equal(
        '⚠ the app has an initializer that s.yaml does not configure, so FC never calls it — add instanceLifecycleConfig.initializer (handler: any name, timeout in seconds)',
      );
      expect(line(hooksVerdict({ config: fn({ preStop: hook }), hooks: hooks(false, false) }))).to.equal(
        '⚠ s.yaml configures instanceLifecycleConfig.preStop but the app has no preStop — remove instanceLifecycleConfig.preStop, or give the app its preStop',
      );
      expect(line(hooksVerdict({ config: fn({ initializer: hook }), hooks: hooks(true, false) }))).to.equal(
        "✔ s.yaml configures the app's initializer",
      );
    });

    it('judges no hooks without s.yaml or without the runtime saying which it has', () => {
      expect(hooksVerdict({ config: bootstrapFunction('/code'), hooks: hooks(true, true) })).to.equal(undefined);
      expect(hooksVerdict({ config: fn(), hooks: undefined })).to.equal(undefined);
    });

    it('warns about HTML pages without a custom domain', () => {
      const site = (type: string) => ({
        answer: { what: 'GET /', requestId: 'r', status: 200, headers: { 'content-type': type }, ms: 3 },
      });
      expect(line(htmlDomainVerdict({ config: fn(), site: site('text/html; charset=utf-8') }))).to.match(
        /^⚠ GET \/ answers HTML and s\.yaml routes no custom domain to the function: FC's default domain adds `content-disposition: attachment`.* — add an fc3-domain resource with `domainName: auto`/,
      );
      expect(line(htmlDomainVerdict({ config: fn({ customDomain: true }), site: site('text/html') }))).to.match(
        /^✔ GET \/ answers HTML, served through/,
      );
      expect(htmlDomainVerdict({ config: fn(), site: site('application/json') })).to.equal(undefined);
    });

    it("warns when the server's own timeouts cut a request the function's timeout allows", () => {
      const server = serverRecord;
      const long = fn({ timeoutS: 3600 });
      expect(line(functionTimeoutVerdict({ config: long, server: server({ requestTimeout: 1_800_000 }) }))).to.equal(
        "⚠ the server cuts requests before the function's timeout of 3600 s: requestTimeout 1800 s — set the server's requestTimeout and timeout to 0 (serve() and `node -r express-fc-runtime/register` do)",
      );
      expect(line(functionTimeoutVerdict({ config: long, server: server({}) }))).to.equal(
        "✔ the server cuts no request before the function's timeout of 3600 s",
      );
      expect(functionTimeoutVerdict({ config: long, server: undefined })).to.equal(undefined);
    });
  });

  describe('the report', () => {
    it('prints a warning as ⚠ with its fix, counts it as passed, and says how many warned', () => {
      const out = new PassThrough();
      let text = '';
      out.on('data', (chunk: Buffer) => (text += chunk.toString()));
      const report = new Report(out);
      report.judge([logConfigVerdict, environmentSizeVerdict], fn());
      expect(text).to.equal(
        "⚠ s.yaml has no logConfig, so no line of the log reaches Log Service — add `logConfig: auto` to the function\n✔ environmentVariables take 2 B of FC's 4 KB\n",
      );
      expect(report.failures).to.equal(0);
      expect(report.summary()).to.equal('All 2 checks passed (1 with a warning).\n');
    });
  });
});
