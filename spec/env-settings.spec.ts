// Settings from the environment: EXPRESS_FC_ + the option's name in upper snake case; the old FC_ names still work in a shell, with a warning.
import { expect } from 'chai';
import { join } from 'path';
import { envName } from '../lib/env-settings';
import { freePorts } from './helpers/apps';
import { fixture, run, type Child } from './helpers/child';
import { ROOT } from './helpers/sites';

const REGISTER = ['-r', join(ROOT, 'dist', 'register.js')];
// Every setting name, new and old, that the process running the specs might have.
const CLEAN = Object.fromEntries(
  Object.keys(process.env)
    .filter((name) => name.startsWith('EXPRESS_FC_') || name.startsWith('FC_RUNTIME_') || name === 'FC_LOG_LEVEL')
    .map((name) => [name, '']),
);

describe('settings from the environment', () => {
  describe('envName()', () => {
    const cases: [string, string][] = [
      ['logLevel', 'EXPRESS_FC_LOG_LEVEL'],
      ['eventPath', 'EXPRESS_FC_EVENT_PATH'],
      ['runtime', 'EXPRESS_FC_RUNTIME'],
      ['keepCredentialHeaders', 'EXPRESS_FC_KEEP_CREDENTIAL_HEADERS'],
      ['keepAliveOnCrash', 'EXPRESS_FC_KEEP_ALIVE_ON_CRASH'],
      ['drainTimeout', 'EXPRESS_FC_DRAIN_TIMEOUT'],
      ['trustFcHeaders', 'EXPRESS_FC_TRUST_FC_HEADERS'],
    ];
    for (const [option, name] of cases) {
      it(`names option ${option} ${name}, which FC does not reserve`, () => {
        expect(envName(option)).to.equal(name);
        expect(name).not.to.match(/^FC_/);
      });
    }
  });

  describe('under register', () => {
    const children: Child[] = [];
    afterEach(async () => {
      for (const child of children.splice(0)) {
        if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
        await child.exited;
      }
    });

    async function start(env: Record<string, string>): Promise<Child> {
      const [port] = await freePorts(1);
      const child = run(fixture('env-site.js'), { ...CLEAN, FC_CUSTOM_LISTEN_PORT: String(port), ...env }, [], { execArgv: REGISTER });
      children.push(child);
      await child.waitFor(/^listening$/);
      return child;
    }

    it('reads EXPRESS_FC_RUNTIME and EXPRESS_FC_LOG_LEVEL, without a word on stderr', async () => {
      const child = await start({ EXPRESS_FC_RUNTIME: 'new-names', EXPRESS_FC_LOG_LEVEL: 'debug' });
      expect(child.stdout).to.match(/^FunctionCompute new-names runtime inited\.$/m);
      expect(child.stderr).to.equal('');
    });

    it('still reads the old FC_ names from a shell, and warns once for each, naming the new one and why', async () => {
      const child = await start({ FC_RUNTIME_NAME: 'old-names', FC_LOG_LEVEL: 'warn' });
      expect(child.stdout).to.match(/^FunctionCompute old-names runtime inited\.$/m);
      const lines = child.stderr.trimEnd().split('\n');
      expect(lines).to.have.length(2);
      expect(lines.find((line) => line.includes('FC_RUNTIME_NAME '))).to.match(
        /FC_RUNTIME_NAME is read as EXPRESS_FC_RUNTIME; rename it: FC reserves every name that starts with FC_/,
      );
      expect(lines.find((line) => line.includes('FC_LOG_LEVEL '))).to.match(/FC_LOG_LEVEL is read as EXPRESS_FC_LOG_LEVEL; rename it/);
    });

    it('takes the new name over the old one when both are set', async () => {
      const child = await start({ FC_RUNTIME_NAME: 'old-name', EXPRESS_FC_RUNTIME: 'new-name' });
      expect(child.stdout).to.match(/^FunctionCompute new-name runtime inited\.$/m);
      expect(child.stderr).to.equal('');
    });

    it('names the old name a bad value was set under, in one line, exit 1', async () => {
      const [port] = await freePorts(1);
      const child = run(fixture('env-site.js'), { ...CLEAN, FC_CUSTOM_LISTEN_PORT: String(port), FC_RUNTIME_CONSOLE: 'maybe' }, [], {
        execArgv: REGISTER,
      });
      children.push(child);
      expect(await child.exited).to.equal(1);
      expect(child.stderr).to.match(/^fc-runtime: FC_RUNTIME_CONSOLE must be true or false, got "maybe"\.$/m);
    });
  });
});
