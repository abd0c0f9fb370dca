import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import { fcNodeMajor, functionName, sYamlText } from '../lib/cli/fc/s-yaml-template';
import { readSYaml } from '../lib/cli/fc/s-yaml';
import { makeSite, removeSites, runCli } from './helpers/sites';

const SERVER = "const app = require('express')();\napp.get('/', (req, res) => res.send('<h1>hello</h1>'));\napp.listen(3000);\n";
const MAJOR = Number(process.versions.node.split('.')[0]);

interface Props {
  runtime: string;
  layers: string[];
  customRuntimeConfig: { command: string[]; port: number };
  instanceLifecycleConfig?: { initializer?: { handler: string; timeout: number }; preStop?: { handler: string; timeout: number } };
  logConfig: string;
  triggers: { triggerType: string; triggerConfig: { authType: string; methods: string[] } }[];
}
interface Project {
  edition: string;
  resources: Record<
    string,
    { component: string; props: Props & { domainName?: string; routeConfig?: { routes: { path: string; functionName: string }[] } } }
  >;
}

describe('fc-runtime init: s.yaml', () => {
  after(removeSites);

  it("writes FC 3.0's shape for a Node web function beside the bootstrap, which the local FC reads as deployed", async () => {
    const dir = makeSite({ 'server.js': SERVER });
    const run = await runCli(['init', dir, '--entry', 'server.js']);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(
      /^Wrote .*s\.yaml: custom\.debian1[02] with the Nodejs\d+ layer, \.\/bootstrap on port 9000, .*; next: s deploy$/m,
    );
    const text = readFileSync(join(dir, 's.yaml'), 'utf8');
    expect(text).to.match(/^# Written by `fc-runtime init`/);
    const project = parse(text) as Project;
    expect(project.edition).to.equal('3.0.0');
    const [[key, fn], [, domain]] = Object.entries(project.resources);
    expect(fn.component).to.equal('fc3');
    expect(fn.props.customRuntimeConfig).to.deep.equal({ command: ['./bootstrap'], port: 9000 });
    expect(fn.props.layers).to.deep.equal([
      `acs:fc:\${vars.region}:official:layers/Nodejs${fcNodeMajor(MAJOR)}/versions/${fcNodeMajor(MAJOR) === 24 ? 1 : 3}`,
    ]);
    expect(fn.props.logConfig).to.equal('auto');
    expect(fn.props.instanceLifecycleConfig).to.equal(undefined);
    expect(fn.props.triggers).to.have.length(1);
    expect(fn.props.triggers[0].triggerConfig).to.deep.include({ authType: 'anonymous' });
    expect(fn.props.triggers[0].triggerConfig.methods).to.have.members(['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH']);
    expect(domain.component).to.equal('fc3-domain');
    expect(domain.props.domainName).to.equal('auto');
    expect(domain.props.routeConfig?.routes).to.deep.equal([{ path: '/*', functionName: `\${resources.${key}.props.functionName}` }]);

    const read = readSYaml(dir, {});
    expect(read.state).to.equal('read');
    if (read.state !== 'read') return;
    expect(read.unresolved).to.deep.equal([]);
    expect(read.functions).to.have.length(1);
    expect(read.functions[0]).to.deep.include({
      customDomain: true,
      logConfig: true,
      port: 9000,
      command: ['./bootstrap'],
      region: 'cn-hangzhou',
    });
    expect(read.functions[0].layers).to.deep.equal([
      `acs:fc:cn-hangzhou:official:layers/Nodejs${fcNodeMajor(MAJOR)}/versions/${fcNodeMajor(MAJOR) === 24 ? 1 : 3}`,
    ]);
  });

  it("configures the initializer and preStop the app's fc-runtime.config.js has, and only those", async () => {
    const dir = makeSite({
      'server.js': SERVER,
      'fc-runtime.config.js': 'module.exports = { initialize: async () => {}, preStop: async () => {} };\n',
    });
    const run = await runCli(['init', dir, '--entry', 'server.js']);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stdout).to.match(/, initializer and preStop; next: s deploy$/m);
    const props = Object.values((parse(readFileSync(join(dir, 's.yaml'), 'utf8')) as Project).resources)[0].props;
    expect(props.instanceLifecycleConfig).to.deep.equal({
      initializer: { handler: 'index.initializer', timeout: 30 },
      preStop: { handler: 'index.preStop', timeout: 30 },
    });
  });

  it('keeps an s.yaml that exists, and rewrites it with --force', async () => {
    const dir = makeSite({ 'server.js': SERVER, 's.yaml': 'edition: 3.0.0\n# mine\n' });
    const kept = await runCli(['init', dir, '--entry', 'server.js']);
    expect(kept.code, kept.stderr).to.equal(0);
    expect(kept.stdout).to.match(/^Kept .*s\.yaml \(it exists; --force rewrites it\)$/m);
    expect(readFileSync(join(dir, 's.yaml'), 'utf8')).to.equal('edition: 3.0.0\n# mine\n');
    writeFileSync(join(dir, 'bootstrap'), '#!/bin/bash\n');
    const forced = await runCli(['init', dir, '--entry', 'server.js', '--force']);
    expect(forced.code, forced.stderr).to.equal(0);
    expect(readFileSync(join(dir, 's.yaml'), 'utf8')).to.match(/component: fc3-domain/);
  });

  it("picks the runtime that has the local Node's layer: debian10 for 18 and 20, debian12 for 22 and 24", () => {
    const runtimeOf = (major: number) =>
      /runtime: (\S+)/.exec(sYamlText({ dir: '/x/site', nodeMajor: major, initializer: false, preStop: false }))?.[1];
    expect([18, 20, 22, 24].map(runtimeOf)).to.deep.equal(['custom.debian10', 'custom.debian10', 'custom.debian12', 'custom.debian12']);
    expect([19, 21, 25, 16].map(fcNodeMajor)).to.deep.equal([18, 20, 24, 18]);
    expect(sYamlText({ dir: '/x/site', nodeMajor: 22, initializer: false, preStop: false })).to.include(
      '- acs:fc:${vars.region}:official:layers/Nodejs22/versions/3',
    );
  });

  it('names the function after the folder, as FC allows names', () => {
    expect(['my site', '2048-game', 'café', '---'].map((name) => functionName(`/x/${name}`))).to.deep.equal([
      'my-site',
      'game',
      'caf-',
      'web',
    ]);
  });
});
