import { expect } from 'chai';
import { delimiter, dirname } from 'path';
import { makeSite, removeSites, runCli, type SiteFile } from './helpers/sites';

/** The Node major these specs run on: the one the runtime runs on too (PATH below), and the layer s.yaml gives FC. */
const MAJOR = process.versions.node.split('.')[0];
/** This Node first on PATH: the bootstrap's `node` is then the one the specs run on, whatever the machine's own is. */
const PATH = [dirname(process.execPath), process.env.PATH].join(delimiter);

/** One `fc-runtime check` run, its ✔, ⚠ and ✖ lines apart. */
async function check(dir: string): Promise<{ code: number | null; stdout: string; stderr: string; warned: string[]; failed: string[] }> {
  const result = await runCli(['check', dir], { env: { PATH } });
  const lines = result.stdout.split('\n');
  return { ...result, warned: lines.filter((line) => line.startsWith('⚠ ')), failed: lines.filter((line) => line.startsWith('✖ ')) };
}

const REGISTER: SiteFile = {
  content: `#!/bin/bash\nexport PATH=/opt/nodejs${MAJOR}/bin:$PATH\nexec node -r express-fc-runtime/register server.js\n`,
  mode: 0o755,
};
const HTML_SITE: SiteFile =
  "const app = require('express')();\napp.get('/', (req, res) => res.send('<h1>hello</h1>'));\napp.listen(3000);\n";
const LAYER = `acs:fc:\${vars.region}:official:layers/Nodejs${MAJOR}/versions/3`;

/** An fc3 function in s.yaml with these extra props (YAML lines under props, indented by 6). */
function sYaml(props: string, runtime = 'custom.debian10'): string {
  return `edition: 3.0.0
name: site
vars:
  region: cn-hangzhou
resources:
  web:
    component: fc3
    props:
      region: \${vars.region}
      functionName: web
      runtime: ${runtime}
      code: ./
      handler: index.handler
      customRuntimeConfig:
        command:
          - ./bootstrap
        port: 9000
${props}`;
}

describe("fc-runtime check: the function's configuration in s.yaml", () => {
  after(removeSites);

  it('warns, and still exits 0, about what FC would run differently: an unconfigured initializer, HTML without a custom domain, a trigger without OPTIONS, no logConfig', async () => {
    const dir = makeSite({
      bootstrap: REGISTER,
      'server.js': HTML_SITE,
      'fc-runtime.config.js': 'module.exports = { initialize: async () => {} };\n',
      's.yaml': sYaml(`      layers:
        - ${LAYER}
      triggers:
        - triggerName: http
          triggerType: http
          triggerConfig:
            authType: anonymous
            methods: [GET, POST, HEAD]
`),
    });
    const result = await check(dir);
    expect(result.failed, result.stdout).to.deep.equal([]);
    expect(result.code).to.equal(0);
    expect(result.warned, result.stdout).to.have.length(4);
    expect(result.warned[0]).to.match(/^⚠ HTTP trigger http \(no OPTIONS\): FC answers those methods 403/);
    expect(result.warned[1]).to.match(/^⚠ s\.yaml has no logConfig/);
    expect(result.warned[2]).to.match(
      /^⚠ the app has an initializer that s\.yaml does not configure, so FC never calls it — add instanceLifecycleConfig\.initializer/,
    );
    expect(result.warned[3]).to.match(/^⚠ GET \/ answers HTML and s\.yaml routes no custom domain to the function/);
    expect(result.stdout).to.match(/^✔ FC runs Node \d+ \(\/opt\/nodejs\d+\/bin, layer Nodejs\d+\), the major this run used/m);
    expect(result.stdout).to.match(/^All \d+ checks passed \(4 with a warning\)\.$/m);
  });

  it('fails what FC rejects or cannot start: no Node on custom.debian12 without a layer, an FC_ name, over 4 KB of environment', async () => {
    const dir = makeSite({
      bootstrap: REGISTER,
      'server.js': HTML_SITE,
      's.yaml': sYaml(
        `      logConfig: auto
      environmentVariables:
        FC_LOG_LEVEL: debug
        CERT: ${'x'.repeat(4100)}
`,
        'custom.debian12',
      ),
    });
    const result = await check(dir);
    expect(result.code, result.stdout).to.equal(1);
    expect(result.failed, result.stdout).to.have.length(3);
    expect(result.failed[0]).to.match(/^✖ s\.yaml sets FC_LOG_LEVEL \(web\) in environmentVariables/);
    expect(result.failed[1]).to.match(/^✖ environmentVariables take 4\.\d KB, over FC's 4 KB/);
    expect(result.failed[2]).to.match(
      /^✖ custom\.debian12 has no Node\.js and s\.yaml adds no Node\.js layer \(FC: CAFileNotFound\) — .*official:layers\/Nodejs\d+/,
    );
  });

  it('fails a configured command whose file is not in the code folder, and does not start it', async () => {
    const dir = makeSite({
      'server.js': HTML_SITE,
      's.yaml': sYaml('      logConfig: auto\n').replace('- ./bootstrap', '- ./start.sh'),
    });
    const result = await check(dir);
    expect(result.code).to.equal(1);
    expect(result.failed[0]).to.match(
      /^✖ customRuntimeConfig\.command runs \.\/start\.sh, which is not in the code folder \(FC: CAFileNotFound\)/,
    );
    expect(result.stdout).not.to.match(/^✖ no bootstrap/m);
    expect(result.stdout).to.match(/^✖ the server was not started/m);
  });

  it('passes, without a warning, what `fc-runtime init` writes: bootstrap and s.yaml', async () => {
    const dir = makeSite({ 'server.js': HTML_SITE, 'fc-runtime.config.js': 'module.exports = { preStop: async () => {} };\n' });
    const init = await runCli(['init', dir, '--entry', 'server.js']);
    expect(init.code, init.stderr).to.equal(0);
    const result = await check(dir);
    expect(result.failed, result.stdout).to.deep.equal([]);
    expect(result.warned, result.stdout).to.deep.equal([]);
    expect(result.stdout).to.match(/^✔ s\.yaml configures the app's preStop$/m);
    expect(result.stdout).to.match(/^✔ GET \/ answers HTML, served through s\.yaml's custom domain$/m);
    expect(result.code).to.equal(0);
  });
});
