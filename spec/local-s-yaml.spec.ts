import { expect } from 'chai';
import { createServer, type Server } from 'net';
import { dirname } from 'path';
import { freePorts } from './helpers/apps';
import type { Child } from './helpers/child';
import { selectFunction } from '../lib/cli/fc/selection';
import { call } from './helpers/http';
import { cli, makeSite, removeSites, runCli, type SiteFile } from './helpers/sites';

/** The s.yaml of one fc3 function, FC 3.0's shape, `props` as given. */
function sYaml(props: string, more = ''): string {
  return `edition: 3.0.0
name: shop
access: default
vars:
  region: cn-shanghai
  memory: 1024
resources:
  web:
    component: fc3
    props:
      region: \${vars.region}
      functionName: shop-web
      runtime: custom.debian10
${props
  .split('\n')
  .map((line) => `      ${line}`)
  .join('\n')}
${more}`;
}

/** FC's own Express template: no bootstrap, `node server.js <port>` on a fixed port, PATH set in the function's environment. */
function templateSite(port: number, props = '', files: Record<string, SiteFile> = {}): string {
  return makeSite({
    'code/server.js': { fixture: 'sites/fc-template-server.js' },
    's.yaml': sYaml(`code: ./code
memorySize: \${vars.memory}
timeout: 60
customRuntimeConfig:
  command:
    - node
  args:
    - server.js
    - '${port}'
  port: ${port}
environmentVariables:
  PATH: /var/fc/lang/nodejs20/bin:/usr/local/bin:/usr/bin:/bin
  GREETING: hello from \${this.props.functionName} in \${vars.region}
  FROM_SHELL: \${env('SHOP_SECRET')}
  FROM_DOTENV: \${env.DOTENV_VALUE}
  OVERRIDDEN: from s.yaml
${props}`),
    '.env': 'DOTENV_VALUE=read from .env beside s.yaml\n',
    'local.env': 'LOCAL_ONLY=from the env file\nOVERRIDDEN=from the env file\n',
    ...files,
  });
}

interface Seen {
  env: Record<string, string | undefined>;
  cwd: string;
  nodeOnPath: boolean;
  path: string[];
  headers: Record<string, string>;
}

describe('fc-runtime local runs the function s.yaml describes, as FC 3.0 does', function () {
  this.timeout(60_000);
  const running: Child[] = [];

  afterEach(async () => {
    await Promise.all(
      running.splice(0).map((child) => {
        if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGINT');
        return child.exited;
      }),
    );
  });
  after(removeSites);

  /** `fc-runtime local start` until its ready line. */
  async function start(args: string[], env: Record<string, string> = {}): Promise<{ child: Child; port: number; ready: string }> {
    const [port] = await freePorts(1);
    const child = cli(['local', 'start', ...args, '--port', String(port)], { env });
    running.push(child);
    const ready = await child.waitFor(/^fc-runtime local: http:/, 30_000);
    return { child, port, ready };
  }

  describe("FC's Express template: customRuntimeConfig command and args, a fixed port, PATH in environmentVariables", () => {
    let seen: Seen;
    let ready: string;
    let dir: string;
    let functionPort: number;

    before(async () => {
      [functionPort] = await freePorts(1);
      dir = templateSite(functionPort);
      const started = await start([dir, '--env-file', `${dir}/local.env`, '--env', 'OVERRIDDEN=from --env'], {
        SHOP_SECRET: 'from the shell',
      });
      running.splice(0);
      ready = started.ready;
      const answer = await call(started.port, { path: '/anything' });
      expect(answer.status).to.equal(200);
      seen = JSON.parse(answer.body.toString()) as Seen;
      started.child.process.kill('SIGINT');
      expect(await started.child.exited).to.equal(0);
    });

    it('runs `node server.js` in the code folder s.yaml names, on its port, and says so', () => {
      expect(seen.cwd).to.equal(`${dir}/code`);
      expect(seen.env.FC_CUSTOM_LISTEN_PORT).to.equal(String(functionPort));
      expect(seen.env.FC_FUNC_CODE_PATH).to.equal(`${dir}/code`);
      expect(ready).to.contain(
        `→ s.yaml web (node server.js ${functionPort} in code, port ${functionPort}, 1024 MB, timeout 60 s, concurrency 1)`,
      );
    });

    it("gives FC's variables the function's values, and the function's own environmentVariables with ${…} resolved", () => {
      expect(seen.env).to.include({
        FC_FUNCTION_NAME: 'shop-web',
        FC_FUNCTION_MEMORY_SIZE: '1024',
        FC_REGION: 'cn-shanghai',
        GREETING: 'hello from shop-web in cn-shanghai',
        FROM_SHELL: 'from the shell',
        FROM_DOTENV: 'read from .env beside s.yaml',
      });
    });

    it('puts --env-file over environmentVariables and --env over both', () => {
      expect(seen.env).to.include({ LOCAL_ONLY: 'from the env file', OVERRIDDEN: 'from --env' });
    });

    it("uses the function's PATH as FC would, with this machine's Node where FC's Node folder is", () => {
      expect(seen.path).to.deep.equal([dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin']);
      expect(seen.nodeOnPath).to.equal(true);
    });

    it("sends FC 3.0's common headers, memory and timeout from s.yaml, the ones FC has no value for empty", () => {
      expect(seen.headers).to.include({
        'x-fc-function-name': 'shop-web',
        'x-fc-function-memory': '1024',
        'x-fc-function-timeout': '60',
        'x-fc-region': 'cn-shanghai',
        'x-fc-control-path': '/http-invoke',
        'x-fc-retry-count': '0',
        'x-fc-service-logproject': '',
        'x-fc-tracing-opentracing-span-context': '',
      });
      expect(seen.headers['x-fc-client-ip']).to.be.a('string');
      for (const fc2Only of ['x-fc-function-initializer', 'x-fc-initialization-timeout', 'x-fc-instance-lifecycle-pre-stop-handler']) {
        expect(seen.headers).to.not.have.property(fc2Only);
      }
    });
  });

  it('says in one line what it cannot resolve in s.yaml, and runs the function with it empty', async () => {
    const [functionPort] = await freePorts(1);
    const dir = templateSite(functionPort, "  ACCOUNT: ${config('AccountID')}");
    const { child } = await start([dir]);
    expect(child.stderr).to.match(
      /^fc-runtime local: s\.yaml: \$\{env\('SHOP_SECRET'\)\} \(resources\.web\.props\.environmentVariables\.FROM_SHELL\): SHOP_SECRET is not set, so it is empty here; set it in the shell, in \.env beside s\.yaml \(as s reads it\) or with --env SHOP_SECRET=…$/m,
    );
    expect(child.stderr).to.match(
      /^fc-runtime local: s\.yaml: \$\{config\('AccountID'\)\} \(resources\.web\.props\.environmentVariables\.ACCOUNT\) cannot be resolved here: only vars, env, this and resources can be resolved locally; it is left as written\.$/m,
    );
  });

  it('answers a port s.yaml gives that is taken on this machine in one line, and starts nothing', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '0.0.0.0', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const result = await runCli(['local', 'invoke', templateSite(port)], { env: { SHOP_SECRET: 's' } });
      expect(result.code).to.equal(1);
      expect(result.stderr).to.equal(
        `fc-runtime local invoke: port ${port} (customRuntimeConfig.port) is in use on this machine; stop what listens there: the function needs it, as on FC.\n`,
      );
    } finally {
      taken.close();
    }
  });

  it('names a command FC would not find in one line (FC: CAFileNotFound)', async () => {
    const [functionPort] = await freePorts(1);
    const dir = makeSite({ 's.yaml': sYaml(`customRuntimeConfig:\n  command: [nodejs-nowhere, server.js]\n  port: ${functionPort}`) });
    const result = await runCli(['local', 'invoke', dir]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.equal(
      "fc-runtime local invoke: customRuntimeConfig.command nodejs-nowhere was not found on the function's PATH (FC: CAFileNotFound); give its path, or set PATH in environmentVariables.\n",
    );
  });

  describe('--function', () => {
    const two = (port: number) =>
      makeSite({
        'server.js': { fixture: 'sites/fc-template-server.js' },
        's.yaml': sYaml(
          `customRuntimeConfig:\n  command: [node, server.js, '${port}']\n  port: ${port}`,
          `  jobs:
    component: fc3
    props:
      functionName: shop-jobs
      customRuntimeConfig:
        command: [node, server.js, '${port}']
        port: ${port}
`,
        ),
      });

    it('is asked for, naming the functions, when s.yaml has several', async () => {
      const result = await runCli(['local', 'invoke', two(9)]);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.equal(
        'fc-runtime local invoke: s.yaml has 2 functions: web (shop-web), jobs (shop-jobs); choose one with --function NAME.\n',
      );
    });

    it('refuses a name s.yaml does not have, naming the ones it has', async () => {
      const result = await runCli(['local', 'start', two(9), '--function', 'mail']);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.equal('fc-runtime local start: --function mail: s.yaml has web (shop-web), jobs (shop-jobs).\n');
    });

    it('runs the one it names, by resource key or functionName', async () => {
      const [functionPort] = await freePorts(1);
      const dir = two(functionPort);
      for (const name of ['jobs', 'shop-jobs']) {
        const { child, port } = await start([dir, '--function', name]);
        const seen = JSON.parse((await call(port, { path: '/' })).body.toString()) as Seen;
        expect(seen.env.FC_FUNCTION_NAME).to.equal('shop-jobs');
        child.process.kill('SIGINT');
        expect(await child.exited).to.equal(0);
      }
    });
  });

  describe('lifecycle hooks: called only when s.yaml configures them', () => {
    /** An unchanged site under register with an initializer, a preStop and an event handler in its config file. */
    const hooked = (lifecycle: string) =>
      makeSite({
        'server.js': { fixture: 'sites/local-event-server.js' },
        'fc-runtime.config.js': { fixture: 'sites/local-event-config.js' },
        's.yaml': sYaml(`customRuntimeConfig:
  command: [node, -r, express-fc-runtime/register, server.js]
${lifecycle}`),
      });

    it('sends no /initialize and no /pre-stop when s.yaml configures neither, though the app has both', async () => {
      const result = await runCli(['local', 'invoke', hooked(''), '--function-port', '0']);
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stderr).to.not.match(/FC Initialize|initializer ran/);
      // The preStop that runs is the runtime's own, on SIGTERM: FC's /pre-stop would carry the qualifier.
      expect(result.stderr).to.contain('preStop ran, qualifier undefined');
      expect(result.stderr).to.not.contain('qualifier LATEST');
      expect((JSON.parse(result.stdout) as { env: object }).env).to.deep.include({ functionName: 'shop-web', region: 'cn-shanghai' });
    });

    it('sends /initialize before the event and /pre-stop at the end when s.yaml configures them', async () => {
      const dir = hooked(`instanceLifecycleConfig:
  initializer:
    handler: index.initializer
    timeout: 10
  preStop:
    handler: index.preStop
    timeout: 5`);
      const result = await runCli(['local', 'invoke', dir, '--function-port', '0']);
      expect(result.code, result.stderr).to.equal(0);
      const order = ['FC Initialize Start', 'initializer ran', 'FC Invoke Start', 'FC PreStop Start', 'preStop ran, qualifier LATEST'].map(
        (text) => result.stderr.indexOf(text),
      );
      expect(order.every((at) => at >= 0)).to.equal(true, result.stderr);
      expect([...order].sort((a, b) => a - b)).to.deep.equal(order);
    });
  });

  it("cuts an initializer at its own timeout: FC's answer, and the event is not sent", async () => {
    const dir = makeSite({
      'server.js': { fixture: 'sites/local-event-server.js' },
      'fc-runtime.config.js': "module.exports = { initialize: () => new Promise(() => {}), invoke: () => 'never' };\n",
      's.yaml': sYaml(`customRuntimeConfig:
  command: [node, -r, express-fc-runtime/register, server.js]
instanceLifecycleConfig:
  initializer:
    handler: index.initializer
    timeout: 1`),
    });
    const result = await runCli(['local', 'invoke', dir, '--function-port', '0']);
    expect(result.code).to.equal(1);
    expect(JSON.parse(result.stdout)).to.deep.equal({ errorMessage: 'Function initialization timed out after 1 seconds' });
    expect(result.stderr).to.match(/^FC Initialize: timed out, x-fc-status 404, .*cut at the initializer's timeout, 1 s/m);
    expect(result.stderr).to.not.contain('FC Invoke');
  });

  it("gives the server FC 3.0's 120 s to listen with s.yaml, and FC 2.0's 30 s to a bare bootstrap folder", () => {
    const selection = { functionName: undefined, env: {}, envFile: undefined, startTimeout: undefined, functionPort: undefined };
    expect(selectFunction(templateSite(9000), selection, {}).startTimeout).to.equal(120_000);
    expect(selectFunction(makeSite({}), selection, {}).startTimeout).to.equal(30_000);
    expect(selectFunction(makeSite({}), { ...selection, startTimeout: 2.5 }, {}).startTimeout).to.equal(2_500);
  });

  it("cuts an event at the function's timeout and answers it as FC does; the instance is stopped as usual", async () => {
    const dir = makeSite({
      'server.js': { fixture: 'sites/local-event-server.js' },
      'fc-runtime.config.js': 'module.exports = { invoke: () => new Promise(() => {}) };\n',
      's.yaml': sYaml('timeout: 1\ncustomRuntimeConfig:\n  command: [node, -r, express-fc-runtime/register, server.js]'),
    });
    const result = await runCli(['local', 'invoke', dir, '--function-port', '0']);
    expect(result.code).to.equal(1);
    expect(JSON.parse(result.stdout)).to.deep.equal({ errorMessage: 'Function timed out after 1 seconds' });
    expect(result.stderr).to.match(
      /^FC Invoke: timed out, x-fc-status 404, \d+\.\d ms, cut at the function's timeout, 1 s, RequestId: \S+ \(failed\)$/m,
    );
  });

  it('waits for the health check before the first request, and gives up on one that never passes (FC: FunctionNotStarted)', async () => {
    const [functionPort] = await freePorts(1);
    const server = (status: number) =>
      `require('http').createServer((q, s) => { s.statusCode = q.url === '/healthz' ? ${status} : 200; s.end(q.url); }).listen(${functionPort}, '0.0.0.0')`;
    const withCheck = (status: number) =>
      makeSite({
        's.yaml': sYaml(`customRuntimeConfig:
  command: [node, -e, "${server(status)}"]
  port: ${functionPort}
  healthCheckConfig:
    httpGetUrl: /healthz
    periodSeconds: 1
    timeoutSeconds: 1`),
      });
    const { child, port } = await start([withCheck(204)]);
    expect((await call(port, { path: '/page' })).body.toString()).to.equal('/page');
    child.process.kill('SIGINT');
    expect(await child.exited).to.equal(0);
    running.splice(0);

    const never = withCheck(503);
    const result = await runCli(['local', 'invoke', never, '--start-timeout', '2']);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.equal(
      'fc-runtime local invoke: the health check GET /healthz did not answer 200–399 within 2 s (last: 503) (FC: FunctionNotStarted); fix the route or customRuntimeConfig.healthCheckConfig.httpGetUrl.\n',
    );
  });
});
