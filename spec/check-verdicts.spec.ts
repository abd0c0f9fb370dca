import { expect } from 'chai';
import { PassThrough } from 'stream';
import { CHECKS } from '../lib/cli/check/checks';
import { reservedEnvVerdict, sYamlVerdict } from '../lib/cli/check/config';
import { connectionVerdict, type ConnectionEvidence } from '../lib/cli/check/connection';
import { forbiddenHeadersVerdict, headerSizeVerdict, type Answer } from '../lib/cli/check/headers';
import {
  coldStartVerdict,
  hookFailed,
  initializerFailed,
  listensVerdict,
  requestVerdict,
  sigtermVerdict,
  stillRunningVerdict,
  type Outcome,
} from '../lib/cli/check/protocol';
import { Report } from '../lib/cli/check/report';
import { BOOTSTRAP_RULES, SPAWN_REFUSALS, type BootstrapFile, type BootstrapVerdict } from '../lib/cli/fc/bootstrap';
import { bootstrapFunction, type FunctionConfig } from '../lib/cli/fc/function-config';
import { nodeUse, type NodeUse } from '../lib/cli/fc/node-use';
import { line, serverRecord } from './helpers/verdicts';

const ID = '3f2a6c1e-0d4b-4c55-9a0e-7b1f2d3c4e5f';
const FC_PATH = 'export PATH=/opt/nodejs20/bin:/var/fc/lang/nodejs20/bin:$PATH';
const MAJOR = process.versions.node.split('.')[0];

/** A verdict in one line, as the doctor prints it. */

/** A readable, executable bootstrap with this text (or these bytes). */
function bootstrapFile(content: string | Buffer, mode = 0o100755): BootstrapFile {
  return { stats: { isFile: true, mode }, content: Buffer.isBuffer(content) ? content : Buffer.from(content) };
}

function judge(file: BootstrapFile): BootstrapVerdict[] {
  return BOOTSTRAP_RULES.map((rule) => rule(file)).filter((verdict): verdict is BootstrapVerdict => verdict !== undefined);
}

function failures(file: BootstrapFile): BootstrapVerdict[] {
  return judge(file).filter((verdict) => !verdict.ok);
}

/** The local FC's refusal: the first rule's, in order, as the preflight takes it. */
function refusal(file: BootstrapFile): string | undefined {
  return judge(file).find((verdict) => verdict.refusal !== undefined)?.refusal;
}

function answer(what: string, headers: Answer['headers'] = {}, extra: Partial<Answer> = {}): Answer & { ms: number } {
  return { what, requestId: ID, status: 200, headers, ms: 12.4, ...extra };
}

const server = serverRecord;

describe('fc-runtime check: the verdicts', () => {
  describe('nodeUse(bootstrap text)', () => {
    const cases: { name: string; text: string; use: NodeUse }[] = [
      {
        name: "FC's Node put on PATH first",
        text: `#!/bin/bash\n${FC_PATH}\nexec node server.js\n`,
        use: { kind: 'path', command: 'node', line: 3 },
      },
      {
        name: 'a bare node',
        text: '#!/bin/bash\nexec node -r express-fc-runtime/register server.js\n',
        use: { kind: 'bare', command: 'node', line: 2 },
      },
      {
        name: 'node on the #! line through env',
        text: '#!/usr/bin/env node\nconsole.log(1)\n',
        use: { kind: 'bare', command: 'node', line: 1 },
      },
      {
        name: "Node run by FC's path",
        text: '#!/bin/bash\nexec /opt/nodejs20/bin/node server.js\n',
        use: { kind: 'absolute', command: '/opt/nodejs20/bin/node', line: 2 },
      },
      {
        name: 'Node run by a path FC lacks',
        text: '#!/bin/bash\nexec /usr/local/bin/node server.js\n',
        use: { kind: 'elsewhere', command: '/usr/local/bin/node', line: 2 },
      },
      { name: 'no command that needs Node', text: '#!/bin/bash\n# node is not used here\nexec ./server\n', use: { kind: 'none' } },
      {
        name: "a PATH set again without FC's Node",
        text: `#!/bin/bash\n${FC_PATH}\nPATH=/usr/bin\nnode server.js\n`,
        use: { kind: 'bare', command: 'node', line: 4 },
      },
      {
        name: "a PATH that keeps FC's Node",
        text: '#!/bin/bash\nexport PATH=/var/fc/lang/nodejs18/bin\nexport PATH="/srv/bin:$PATH"\nnpm start\n',
        use: { kind: 'path', command: 'npm', line: 4 },
      },
      { name: 'npx after && on one line', text: '#!/bin/bash\ncd app && npx serve\n', use: { kind: 'bare', command: 'npx', line: 2 } },
      { name: 'Windows line endings', text: '#!/bin/bash\r\nexec node server.js\r\n', use: { kind: 'bare', command: 'node', line: 2 } },
    ];
    for (const { name, text, use } of cases) {
      it(`reads ${name}`, () => {
        expect(nodeUse(text)).to.deep.equal(use);
      });
    }
  });

  describe('the bootstrap rules', () => {
    it('pass a bootstrap that puts FC’s Node on PATH, in order, with nothing that stops a start', () => {
      const verdicts = judge(bootstrapFile(`#!/bin/bash\n${FC_PATH}\nexec node -r express-fc-runtime/register server.js\n`));
      expect(verdicts.map(line)).to.deep.equal([
        '✔ bootstrap exists',
        '✔ bootstrap is executable (mode 755)',
        '✔ bootstrap has no byte-order mark',
        '✔ bootstrap has LF line endings',
        '✔ bootstrap starts with #!/bin/bash',
        "✔ bootstrap puts FC's Node on PATH before running node",
      ]);
      expect(verdicts.some((verdict) => verdict.unstartable)).to.equal(false);
    });

    it('judge nothing after a missing bootstrap, which neither FC nor the local FC can start', () => {
      const verdicts = judge({ stats: undefined, content: undefined });
      expect(verdicts.map(line)).to.deep.equal(['✖ no bootstrap in the code folder (FC: CAFileNotFound) — run `fc-runtime init`']);
      expect(verdicts[0].unstartable).to.equal(true);
      expect(verdicts[0].refusal).to.equal(SPAWN_REFUSALS.ENOENT);
    });

    it('judge nothing after a bootstrap that is a folder', () => {
      const verdicts = judge({ stats: { isFile: false, mode: 0o40755 }, content: undefined });
      expect(verdicts.map(line)).to.deep.equal(['✖ bootstrap is not a file (FC: CAFileNotFound) — remove it and run `fc-runtime init`']);
      expect(verdicts[0].refusal).to.equal('bootstrap is not a file (FC: CAFileNotFound); run `fc-runtime init`.');
    });

    it('judge nothing in a bootstrap that could not be read', () => {
      const verdicts = judge({ stats: { isFile: true, mode: 0o100755 }, content: new Error('EACCES: permission denied') });
      expect(verdicts.map(line)).to.deep.equal([
        '✔ bootstrap exists',
        '✔ bootstrap is executable (mode 755)',
        '✖ bootstrap cannot be read: EACCES: permission denied — run `chmod 755 bootstrap`',
      ]);
      expect(refusal({ stats: { isFile: true, mode: 0o100755 }, content: new Error('EACCES: permission denied') })).to.equal(
        'bootstrap could not be read: EACCES: permission denied',
      );
    });

    const good = `#!/bin/bash\n${FC_PATH}\nexec node server.js\n`;
    const cases: { name: string; file: BootstrapFile; failure: RegExp; unstartable: boolean; refusal: string | undefined }[] = [
      {
        name: 'no execute bit at all: refused here too',
        file: bootstrapFile(good, 0o100644),
        failure: /^✖ bootstrap is not executable by all \(mode 644; FC: permission denied\) — run `chmod 755 bootstrap`$/,
        unstartable: true,
        refusal: SPAWN_REFUSALS.EACCES,
      },
      {
        name: "executable by its owner only: FC's failure, but it runs here",
        file: bootstrapFile(good, 0o100744),
        failure: /^✖ bootstrap is not executable by all \(mode 744;/,
        unstartable: true,
        refusal: undefined,
      },
      {
        name: 'a byte-order mark, which hides the #! line from the kernel',
        file: bootstrapFile(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(good)])),
        failure:
          /^✖ bootstrap starts with a byte-order mark, so FC finds no #! line \(FC: exec format error\) — save it as UTF-8 without BOM/,
        unstartable: true,
        refusal: SPAWN_REFUSALS.ENOEXEC,
      },
      {
        name: 'CRLF on the #! line',
        file: bootstrapFile(good.replace(/\n/g, '\r\n')),
        failure: /^✖ bootstrap has Windows \(CRLF\) line endings on 3 lines \(FC: \/bin\/bash\^M: bad interpreter\)/,
        unstartable: true,
        refusal: 'bootstrap has Windows (CRLF) line endings, so its #! line names no interpreter (FC: CAExited); save it with LF endings.',
      },
      {
        name: 'CRLF after the #! line only: the kernel still starts bash',
        file: bootstrapFile(`#!/bin/bash\n${FC_PATH}\r\nexec node server.js\r\n`),
        failure: /^✖ bootstrap has Windows \(CRLF\) line endings on 2 lines/,
        unstartable: true,
        refusal: undefined,
      },
      {
        name: 'no #! line',
        file: bootstrapFile(`${FC_PATH}\nexec node server.js\n`),
        failure:
          /^✖ bootstrap does not start with #!\/bin\/bash \(FC: CAExited, exec format error\) — make `#!\/bin\/bash` its first line, or run `fc-runtime init --force`$/,
        unstartable: true,
        refusal: SPAWN_REFUSALS.ENOEXEC,
      },
      {
        name: 'a #! that names nothing: spawning says so itself',
        file: bootstrapFile(`#!\n${FC_PATH}\nexec node server.js\n`),
        failure: /^✖ bootstrap does not start with #!\/bin\/bash/,
        unstartable: true,
        refusal: undefined,
      },
      {
        name: 'another interpreter than bash',
        file: bootstrapFile("#!/usr/bin/perl\nexec '/opt/nodejs20/bin/node', 'server.js';\n"),
        failure: /^✖ bootstrap starts with #!\/usr\/bin\/perl, not #!\/bin\/bash as FC documents — make `#!\/bin\/bash` its first line/,
        unstartable: false,
        refusal: undefined,
      },
      {
        name: 'a bare node',
        file: bootstrapFile('#!/bin/bash\nexec node server.js\n'),
        failure: new RegExp(
          `^✖ bootstrap runs \`node\` \\(line 2\\) from a PATH where FC has no Node \\(FC: CAFileNotFound\\) — put \`export PATH=/opt/nodejs${MAJOR}/bin:/var/fc/lang/nodejs${MAJOR}/bin:\\$PATH\` before it \\(for Node ${MAJOR}\\), or run \`fc-runtime init --force\`$`,
        ),
        unstartable: false,
        refusal: undefined,
      },
      {
        name: 'a node FC does not have',
        file: bootstrapFile('#!/bin/bash\nexec /usr/local/bin/node server.js\n'),
        failure:
          /^✖ bootstrap runs `\/usr\/local\/bin\/node` \(line 2\), a path FC does not have \(FC: CAFileNotFound\) — put `export PATH=.*` and run `node`/,
        unstartable: false,
        refusal: undefined,
      },
    ];
    for (const { name, file, failure, unstartable, refusal: refused } of cases) {
      it(`fail ${name}`, () => {
        const failed = failures(file);
        expect(failed.map(line), JSON.stringify(failed)).to.have.length(1);
        expect(line(failed[0])).to.match(failure);
        expect(failed[0].unstartable === true).to.equal(unstartable);
        expect(refusal(file)).to.equal(refused);
      });
    }

    it('refuse, like spawning would, a #! line missing before a CR at its end', () => {
      expect(refusal(bootstrapFile(`${FC_PATH}\r\nexec node server.js\r\n`))).to.equal(SPAWN_REFUSALS.ENOEXEC);
    });

    it('refuse what spawning would fail on first: no execute bit before a missing #! line', () => {
      expect(refusal(bootstrapFile('exec node server.js\n', 0o100644))).to.equal(SPAWN_REFUSALS.EACCES);
    });
  });

  describe("s.yaml's verdicts", () => {
    /** A function of s.yaml that sets these environment variables. */
    const fn = (resource: string, names: string[]): FunctionConfig => ({
      ...bootstrapFunction('/code'),
      resource,
      environment: Object.fromEntries(names.map((name) => [name, 'x'])),
    });

    it('judge nothing without an s.yaml', () => {
      expect([sYamlVerdict({ state: 'absent' }), reservedEnvVerdict({ state: 'absent' })]).to.deep.equal([undefined, undefined]);
    });

    it('fail an s.yaml that is not YAML, with the reason, and judge its variables no further', () => {
      const broken = { state: 'broken', file: 's.yaml', reason: 'Nested mappings are not allowed' } as const;
      expect(line(sYamlVerdict(broken))).to.equal(
        '✖ s.yaml is not valid YAML: Nested mappings are not allowed — fix s.yaml; `s deploy` reads it the same way',
      );
      expect(reservedEnvVerdict(broken)).to.equal(undefined);
    });

    it('fail every FC_ name, with the resource that sets it; pass EXPRESS_FC_ names and names that only contain FC_', () => {
      const functions = [fn('web', ['FC_LOG_LEVEL', 'NODE_ENV']), fn('jobs', ['FC_ENDPOINT'])];
      expect(line(reservedEnvVerdict({ state: 'read', file: 's.yaml', functions, unresolved: [] }))).to.match(
        /^✖ s\.yaml sets FC_LOG_LEVEL \(web\), FC_ENDPOINT \(jobs\) in environmentVariables/,
      );
      const fine = [fn('web', ['EXPRESS_FC_LOG_LEVEL', 'MY_FC_URL'])];
      expect(line(reservedEnvVerdict({ state: 'read', file: 's.yaml', functions: fine, unresolved: [] }))).to.equal(
        '✔ no environmentVariables name starts with FC_',
      );
    });
  });

  describe('connectionVerdict()', () => {
    const quiet: ConnectionEvidence = { server: server(), answers: [answer('GET /')], idle: { ms: 12, closed: false } };

    it('passes a server whose timeouts are all lifted, naming them', () => {
      expect(line(connectionVerdict(quiet))).to.equal(
        "✔ no timeout cuts FC's long-lived connections (keepAliveTimeout 0, requestTimeout 0, headersTimeout 0, timeout 0)",
      );
    });

    it("passes timeouts of FC's 15 minutes or more", () => {
      expect(connectionVerdict({ ...quiet, server: server({ keepAliveTimeout: 15 * 60 * 1000, timeout: 3_600_000 }) }).ok).to.equal(true);
    });

    it("fails Node's defaults, each named with its value", () => {
      const verdict = connectionVerdict({
        ...quiet,
        server: server({ keepAliveTimeout: 5000, requestTimeout: 300_000, headersTimeout: 60_000 }),
      });
      expect(line(verdict)).to.match(
        /^✖ connections are cut before FC's 15 minutes: keepAliveTimeout 5 s, requestTimeout 300 s, headersTimeout 60 s; .* — set the server's keepAliveTimeout/,
      );
    });

    it('names what an idle connection the server closes does on FC: a GET retried, a POST answered 502', () => {
      const expected =
        '; FC sends the next request on a connection the server closed while idle: a GET is retried, a POST fails with 502 ' +
        '"Process exited unexpectedly before completing request" — ';
      expect(line(connectionVerdict({ ...quiet, server: server({ keepAliveTimeout: 5000 }) }))).to.contain(
        `keepAliveTimeout 5 s${expected}`,
      );
      expect(line(connectionVerdict({ server: undefined, answers: [], idle: { ms: 1004, closed: true } }))).to.contain(expected);
      expect(line(connectionVerdict({ ...quiet, server: server({ requestTimeout: 300_000 }) }))).not.to.contain('a POST fails');
    });

    it('fails a cap on requests per connection', () => {
      expect(line(connectionVerdict({ ...quiet, server: server({ maxRequestsPerSocket: 100 }) }))).to.match(
        /: maxRequestsPerSocket 100 — /,
      );
    });

    it('fails an announced Keep-Alive timeout and Connection: close, once each', () => {
      const answers = [
        answer('POST /invoke', { 'keep-alive': 'timeout=5' }),
        answer('GET / via /http-invoke', { 'keep-alive': 'timeout=5', connection: 'close' }),
      ];
      expect(line(connectionVerdict({ ...quiet, answers }))).to.match(
        /: Keep-Alive: timeout=5 announced, Connection: close on GET \/ via \/http-invoke; FC sends the next request .* — /,
      );
    });

    it('fails an idle connection the server closed, when its settings could not be read', () => {
      expect(line(connectionVerdict({ server: undefined, answers: [], idle: { ms: 1004, closed: true } }))).to.match(
        /^✖ connections are cut before FC's 15 minutes: an idle connection closed within 1 s; FC sends the next request/,
      );
    });

    it("passes, saying so, when the server's settings could not be read but an idle connection stayed open", () => {
      expect(line(connectionVerdict({ server: undefined, answers: [], idle: { ms: 6000, closed: false } }))).to.equal(
        "✔ no Keep-Alive timeout announced; an idle connection stayed open 6 s (the server's own timeouts could not be read)",
      );
    });
  });

  describe('headerSizeVerdict()', () => {
    it('passes when there is no answer to measure', () => {
      expect(line(headerSizeVerdict([]))).to.equal('✔ no answer to measure response headers on');
    });

    it('passes headers within 8 KB, naming the largest', () => {
      const answers = [answer('POST /invoke', { 'x-a': 'a' }), answer('GET / via /http-invoke', { 'x-b': 'b'.repeat(100) })];
      expect(line(headerSizeVerdict(answers))).to.equal("✔ response headers within FC's 8 KB (largest 107 B, GET / via /http-invoke)");
    });

    it('fails the answer whose headers are over 8 KB', () => {
      const answers = [
        answer('POST /invoke'),
        answer('GET / via /http-invoke', {}, { rawHeaders: ['Content-Security-Policy', 'x'.repeat(9000)] }),
      ];
      expect(line(headerSizeVerdict(answers))).to.match(
        /^✖ GET \/ via \/http-invoke answered with 8\.8 KB of headers, over FC's 8 KB \(FC answers 502\) — send less in headers/,
      );
    });

    it('counts each value of a repeated header when only the parsed headers are known', () => {
      const answers = [answer('GET /', { 'set-cookie': ['a'.repeat(5000), 'b'.repeat(5000)] })];
      expect(headerSizeVerdict(answers).ok).to.equal(false);
    });
  });

  describe('forbiddenHeadersVerdict()', () => {
    const none = () => [];

    it("passes answers with x-fc-status only, and Node's own connection and date", () => {
      const answers = [answer('GET /', { 'x-fc-status': '200', connection: 'keep-alive', date: 'now' })];
      expect(line(forbiddenHeadersVerdict(answers, none))).to.equal(
        '✔ no response header FC reserves (x-fc-* but x-fc-status, connection, keep-alive, date, server, upgrade)',
      );
    });

    it('fails x-fc-* and server on the wire, per answer', () => {
      const answers = [answer('GET / via /http-invoke', {}, { rawHeaders: ['Server', 'mine', 'X-Fc-Trace', '1', 'X-Fc-Status', '200'] })];
      expect(line(forbiddenHeadersVerdict(answers, none))).to.match(
        /^✖ the runtime sets response headers FC reserves: server, x-fc-trace on GET \/ via \/http-invoke — remove them/,
      );
    });

    it('fails connection when the probe saw the app set it', () => {
      const answers = [answer('GET /', { connection: 'keep-alive' })];
      expect(line(forbiddenHeadersVerdict(answers, () => ['content-type', 'connection']))).to.match(/reserves: connection on GET \/ — /);
    });

    it("passes with a note when Node's own headers could not be told from the app's", () => {
      expect(line(forbiddenHeadersVerdict([answer('GET /')], () => undefined))).to.match(
        /; Node's own connection and date could not be told from the app's$/,
      );
    });
  });

  describe('the protocol verdicts', () => {
    it('listensVerdict: the addresses the server listens on, IPv6 in brackets', () => {
      expect(
        line(listensVerdict({ startTimeout: 30, state: 'listening', port: 9000, addresses: ['0.0.0.0', '::'], startMs: 310 })),
      ).to.equal('✔ the server listens on 0.0.0.0:9000, [::]:9000 within 30 s (after 310 ms)');
      expect(line(listensVerdict({ startTimeout: 30, state: 'listening', port: 9000, addresses: undefined, startMs: 5 }))).to.match(
        /on an address:9000 /,
      );
    });

    it("listensVerdict: a start that failed, the instance's message as problem — fix, the log pointed to", () => {
      const error = 'bootstrap exited (3) before listening on port 9000 (FC: CAExited); see its log above.';
      expect(line(listensVerdict({ startTimeout: 30, state: 'failed', error }))).to.equal(
        "✖ bootstrap exited (3) before listening on port 9000 (FC: CAExited) — see the runtime's log below",
      );
    });

    it('listensVerdict: a server not started because of the bootstrap', () => {
      expect(line(listensVerdict({ startTimeout: 30, state: 'skipped' }))).to.equal(
        '✖ the server was not started — fix the bootstrap as above, then run `fc-runtime check` again',
      );
    });

    it('coldStartVerdict: the inited line, missing, or naming an official runtime', () => {
      expect(line(coldStartVerdict(['x', 'FunctionCompute express runtime inited.']))).to.equal(
        '✔ cold-start line: FunctionCompute express runtime inited.',
      );
      expect(line(coldStartVerdict(['x']))).to.match(/^✖ no "FunctionCompute <name> runtime inited\." line at cold start/);
      expect(line(coldStartVerdict(['FunctionCompute nodejs20 runtime inited.']))).to.match(
        /^✖ the cold-start line calls the runtime "nodejs20", a name FC reserves/,
      );
    });

    it('requestVerdict: answered between its Start and End markers', () => {
      const lines = [`FC Invoke Start RequestId: ${ID}`, 'hello', `FC Invoke End RequestId: ${ID}`];
      expect(line(requestVerdict('POST /invoke', { answer: answer('POST /invoke') }, 'Invoke', lines))).to.equal(
        '✔ POST /invoke answered 200 in 12 ms, between its FC Invoke Start/End lines',
      );
    });

    it('requestVerdict: an End marker with an error still counts; a marker of another kind or request does not', () => {
      const ended = [`FC Invoke Start RequestId: ${ID}`, `FC Invoke End RequestId: ${ID}, Error: boom`];
      expect(requestVerdict('POST /invoke', { answer: answer('POST /invoke') }, 'Invoke', ended).ok).to.equal(true);
      const others = [`FC Initialize Start RequestId: ${ID}`, `FC Invoke End RequestId: other`];
      expect(line(requestVerdict('POST /invoke', { answer: answer('POST /invoke') }, 'Invoke', others))).to.equal(
        `✖ POST /invoke answered 200 but logged no "FC Invoke Start/End RequestId: ${ID}" lines — put fcRuntime() in front: run the site with \`node -r express-fc-runtime/register\` (\`fc-runtime init\` writes it)`,
      );
    });

    it('requestVerdict: no answer, or a hook that failed, points to the log', () => {
      const noAnswer: Outcome = { error: 'socket hang up' };
      expect(line(requestVerdict('POST /invoke', noAnswer, 'Invoke', []))).to.equal(
        "✖ POST /invoke got no answer: socket hang up — see the runtime's log below",
      );
      const failedInit = { answer: answer('POST /initialize', { 'x-fc-status': '404' }, { status: 404 }) };
      expect(line(requestVerdict('POST /initialize', failedInit, 'Initialize', [], initializerFailed))).to.equal(
        "✖ POST /initialize answered 404 (x-fc-status 404): the initializer failed, so FC would not start the instance — see the runtime's log below",
      );
    });

    it('initializerFailed and hookFailed: what FC counts as a failed hook', () => {
      expect(initializerFailed(answer('POST /initialize'))).to.equal(undefined);
      expect(initializerFailed(answer('POST /initialize', {}, { status: 500 }))).to.be.a('string');
      expect(hookFailed(answer('GET /pre-stop', { 'x-fc-status': '404' }))).to.equal(undefined);
      expect(hookFailed(answer('GET /pre-stop', {}, { status: 503 }))).to.be.a('string');
    });

    it('stillRunningVerdict: nothing to say while the runtime runs', () => {
      expect(stillRunningVerdict(undefined)).to.equal(undefined);
      expect(line(stillRunningVerdict(3))).to.equal("✖ the runtime exited (3) during the checks — see the runtime's log below");
    });

    it('sigtermVerdict: stopped in time, or killed', () => {
      expect(line(sigtermVerdict({ ms: 42, exitStatus: 0 }))).to.equal('✔ the runtime stopped 42 ms after SIGTERM (exit code 0)');
      expect(line(sigtermVerdict({ ms: 42, exitStatus: 'SIGTERM' }))).to.equal(
        '✔ the runtime stopped 42 ms after SIGTERM (ended by SIGTERM)',
      );
      expect(line(sigtermVerdict({ ms: 10_020, exitStatus: 'SIGKILL' }))).to.match(
        /^✖ the runtime was still running 10 s after SIGTERM and was killed — /,
      );
    });
  });

  describe('the ordered lists and the report', () => {
    it('judges FC’s requests in the order they print', () => {
      const answered = (what: string, kind: string): { outcome: Outcome; lines: string[] } => ({
        outcome: { answer: answer(what, { 'x-fc-status': '200' }) },
        lines: [`FC ${kind} Start RequestId: ${ID}`, `FC ${kind} End RequestId: ${ID}`],
      });
      const init = answered('POST /initialize', 'Initialize');
      const invoke = answered('POST /invoke', 'Invoke');
      const lines = ['FunctionCompute express runtime inited.', ...init.lines, ...invoke.lines];
      const verdicts = CHECKS.requests.map((check) =>
        line(check({ lines, initialize: init.outcome, invoke: invoke.outcome, site: { error: 'timeout' } })),
      );
      expect(verdicts).to.deep.equal([
        '✔ cold-start line: FunctionCompute express runtime inited.',
        '✔ POST /initialize answered 200 (x-fc-status 200) in 12 ms, between its FC Initialize Start/End lines',
        '✔ POST /invoke answered 200 (x-fc-status 200) in 12 ms, between its FC Invoke Start/End lines',
        "✖ GET / via /http-invoke got no answer: timeout — see the runtime's log below",
      ]);
    });

    it('prints each verdict as ✔ or ✖, skips the checks with nothing to judge, and tallies them', () => {
      const out = new PassThrough();
      let text = '';
      out.on('data', (chunk: Buffer) => (text += chunk.toString()));
      const report = new Report(out);
      const connections = {
        server: server(),
        answers: [answer('GET /')],
        idle: { ms: 1, closed: false },
        setByApp: new Map(),
        exitStatus: undefined,
      };
      const verdicts = report.judge(CHECKS.connections, connections);
      expect(verdicts).to.have.length(3);
      expect(text.split('\n').filter(Boolean)).to.have.length(3);
      expect(text).to.match(/^✔ no timeout cuts/);
      expect(report.summary()).to.equal('All 3 checks passed.\n');
      report.judge(CHECKS.sigterm, { ms: 10_000, exitStatus: 'SIGKILL' });
      expect(report.failures).to.equal(1);
      expect(report.summary()).to.equal('1 of 4 checks failed.\n');
    });
  });
});
