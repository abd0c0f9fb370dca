import { expect } from 'chai';
import { hooksLine, parseHooksLine, PRINT_HOOKS_ENV } from '../lib/hooks-line';
import { fixture, run } from './helpers/child';

/** What serve() prints at start with these hooks and this environment, up to the fixture's LISTENING line. */
async function startLines(hooks: string[], env: Record<string, string>): Promise<string[]> {
  const child = run(fixture('serve-hooks.js'), { FC_CUSTOM_LISTEN_PORT: '', FC_SERVER_PORT: '', ...env }, hooks);
  expect(await child.exited, child.stderr).to.equal(0);
  return child.stdout.split('\n').filter((line) => line !== '');
}

describe('the hooks line (EXPRESS_FC_PRINT_HOOKS)', () => {
  it('is printed once, after the cold-start line, when EXPRESS_FC_PRINT_HOOKS is set: the hooks the app has and its Node', async () => {
    const lines = await startLines(['initialize'], { [PRINT_HOOKS_ENV]: '1' });
    const at = lines.indexOf('FunctionCompute express runtime inited.');
    expect(at, lines.join('\n')).to.be.above(-1);
    expect(lines[at + 1]).to.equal(`express-fc-runtime hooks: initialize=yes preStop=no node=${process.versions.node}`);
    expect(lines.filter((line) => line.startsWith('express-fc-runtime hooks:'))).to.have.length(1);
    expect(parseHooksLine(lines[at + 1])).to.deep.equal({ initialize: true, preStop: false, node: process.versions.node });
  });

  it('names preStop too, and says no for each hook the app lacks', async () => {
    const both = await startLines(['initialize', 'preStop'], { [PRINT_HOOKS_ENV]: 'true' });
    expect(both).to.include(`express-fc-runtime hooks: initialize=yes preStop=yes node=${process.versions.node}`);
    const none = await startLines([], { [PRINT_HOOKS_ENV]: '1' });
    expect(none).to.include(`express-fc-runtime hooks: initialize=no preStop=no node=${process.versions.node}`);
  });

  it('is not printed without the setting, nor when it is 0', async () => {
    for (const env of [{}, { [PRINT_HOOKS_ENV]: '0' }] as Record<string, string>[]) {
      const lines = await startLines(['initialize', 'preStop'], env);
      expect(lines).to.include('FunctionCompute express runtime inited.');
      expect(lines.filter((line) => line.includes('hooks:'))).to.deep.equal([]);
    }
  });

  it('reads back what it writes, and nothing else', () => {
    const hooks = { initialize: false, preStop: true, node: '22.3.0' };
    expect(parseHooksLine(hooksLine(hooks).trimEnd())).to.deep.equal(hooks);
    expect(parseHooksLine('FunctionCompute express runtime inited.')).to.equal(undefined);
    expect(parseHooksLine('express-fc-runtime hooks: initialize=maybe preStop=no node=1')).to.equal(undefined);
  });
});
