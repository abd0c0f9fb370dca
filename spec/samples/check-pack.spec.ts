import { expect } from 'chai';
import { execFileSync } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { cli, ROOT } from '../helpers/sites';
import { readZip } from '../helpers/zip';
import { sampleDir } from './local-fc';

const SAMPLES = ['classic-site', 'json-api', 'classic-fc-function', 'streaming', 'chat'];

/** Every entry of a ZIP by name, with the Unix mode of its external attributes. */
async function zipModes(path: string): Promise<Map<string, number>> {
  return new Map([...(await readZip(path))].map(([name, { mode }]) => [name, mode]));
}

/** The sample's own files, as git has them. */
function trackedFiles(name: string): string[] {
  return execFileSync('git', ['ls-files'], { cwd: sampleDir(name), encoding: 'utf8' })
    .split('\n')
    .filter((file) => file !== '');
}

describe('the samples pass fc-runtime check and fc-runtime pack', () => {
  let out: string;

  before(() => {
    out = mkdtempSync(join(tmpdir(), 'sample-zips-'));
  });

  after(() => {
    // Unset when before() failed.
    if ((out as string | undefined) !== undefined) rmSync(out, { recursive: true, force: true });
  });

  for (const name of SAMPLES) {
    describe(`samples/${name}`, () => {
      it('passes every check of fc-runtime check', async () => {
        const run = cli(['check', sampleDir(name)], { cwd: ROOT });
        const code = await run.exited;
        expect(run.stdout, run.stderr).not.to.contain('✖');
        expect(run.stdout).to.match(/^All \d+ checks passed\.$/m);
        expect(code).to.equal(0);
      });

      it('packs its ZIP: its files, bootstrap executable, s.yaml left out', async () => {
        const zip = join(out, `${name}.zip`);
        const run = cli(['pack', sampleDir(name), '-o', zip], { cwd: ROOT });
        expect(await run.exited, run.stderr).to.equal(0);
        expect(run.stdout + run.stderr).to.match(/^Wrote .*\.zip \(/m);
        const modes = await zipModes(zip);
        expect(modes.get('bootstrap')).to.equal(0o100755);
        for (const file of trackedFiles(name)) {
          if (file === 's.yaml') expect(modes.has(file), file).to.equal(false);
          else expect(modes.has(file), `${file} in the ZIP`).to.equal(true);
        }
      });
    });
  }
});
