import { expect } from 'chai';
import { readFileSync, statSync } from 'fs';
import { join } from 'path';
import { sampleDir } from './local-fc';

const SAMPLES = ['classic-site', 'json-api', 'classic-fc-function', 'streaming', 'chat'];

/** The lines a README's ```diff block adds to `file` (a new file: `--- /dev/null`, `+++ b/<file>`). */
function addedLines(readme: string, file: string): string[] {
  const lines = readme.split('\n');
  const start = lines.indexOf(`+++ b/${file}`);
  expect(start, `a diff that adds ${file}`).to.be.above(0);
  expect(lines[start - 1]).to.equal('--- /dev/null');
  const added: string[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('+') || line.startsWith('+++ ')) break;
    added.push(line.slice(1));
  }
  return added;
}

describe('the samples as their READMEs show them', () => {
  for (const name of SAMPLES) {
    describe(`samples/${name}`, () => {
      const dir = sampleDir(name);

      it('has a bootstrap FC can run (shebang, LF, mode 755), shown in full in its README migration diff', () => {
        const bootstrap = readFileSync(join(dir, 'bootstrap'), 'utf8');
        expect(bootstrap.startsWith('#!/bin/bash\n')).to.equal(true);
        expect(bootstrap).not.to.contain('\r');
        expect(statSync(join(dir, 'bootstrap')).mode & 0o777).to.equal(0o755);
        const readme = readFileSync(join(dir, 'README.md'), 'utf8');
        expect(addedLines(readme, 'bootstrap')).to.deep.equal(bootstrap.trimEnd().split('\n'));
        expect(readme).to.match(/@@ -0,0 \+1,(\d+) @@/);
        expect(Number(/@@ -0,0 \+1,(\d+) @@/.exec(readme)![1])).to.equal(bootstrap.trimEnd().split('\n').length);
      });

      it('deploys with an s.yaml for fc3: custom.debian10, ./bootstrap on port 9000, the packed ZIP', () => {
        const yaml = readFileSync(join(dir, 's.yaml'), 'utf8');
        expect(yaml).to.match(/^edition: 3\.0\.0$/m);
        expect(yaml).to.match(/^ {4}component: fc3$/m);
        expect(yaml).to.match(/^ {6}runtime: custom\.debian10$/m);
        expect(yaml).to.match(/^ {6}code: \.\/code\.zip$/m);
        expect(yaml).to.match(/^ {6}customRuntimeConfig:\n {8}command:\n {10}- \.\/bootstrap\n {8}port: 9000$/m);
        expect(yaml).not.to.contain('\t');
      });

      it('is an npm workspace that takes express-fc-runtime from this repository', () => {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
          private: boolean;
          dependencies: Record<string, string>;
        };
        expect(pkg.private).to.equal(true);
        expect(pkg.dependencies['express-fc-runtime']).to.equal('file:../..');
      });
    });
  }
});
