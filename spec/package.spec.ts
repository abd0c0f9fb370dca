import { expect } from 'chai';
import { execFile } from 'child_process';
import { copyFileSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { promisify } from 'util';
import { fixture } from './helpers/child';

const exec = promisify(execFile);
const root = join(__dirname, '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

describe('the published package', function () {
  this.timeout(120_000);
  let project: string;

  before(async () => {
    project = mkdtempSync(join(tmpdir(), 'fc-runtime-consumer-'));
    const { stdout } = await exec(npm, ['pack', '--silent', '--pack-destination', project], { cwd: root });
    const tarball = join(project, stdout.trim().split('\n').pop()!);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    // The project's own code, so that it resolves express-fc-runtime from the project's node_modules.
    copyFileSync(fixture('consumer.js'), join(project, 'consumer.js'));
    // Everything here is already in npm's cache from the project's own install.
    await exec(
      npm,
      ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball, 'express@5', '@types/express@5', '@types/node@20'],
      {
        cwd: project,
      },
    );
  });

  after(() => rmSync(project, { recursive: true, force: true }));

  it('is required from CommonJS with its whole public surface', async () => {
    const { stdout } = await exec(process.execPath, ['consumer.js', 'surface'], { cwd: project });
    expect(stdout.trim()).to.equal('currentContext,fcRuntime,logger,requestIdMixin,serve');
  });

  it('installs the fc-runtime command and the register hook', async () => {
    // The bin link runs through the compiled CLI's own shebang, as `npx fc-runtime` does.
    const { stdout: version } = await exec(join(project, 'node_modules', '.bin', 'fc-runtime'), ['--version'], { cwd: project });
    expect(version.trim()).to.equal(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
    const { stdout: hook } = await exec(process.execPath, ['consumer.js', 'register'], { cwd: project });
    expect(hook.trim()).to.equal(join(realpathSync(project), 'node_modules', 'express-fc-runtime', 'dist', 'register.js'));
  });

  it('ships only the compiled library', async () => {
    const { stdout } = await exec(npm, ['pack', '--dry-run', '--json'], { cwd: root });
    const files: string[] = JSON.parse(stdout)[0].files.map((f: { path: string }) => f.path);
    expect(files).to.include.members([
      'dist/index.js',
      'dist/index.d.ts',
      'dist/express-request.d.ts',
      'package.json',
      'README.md',
      'CHANGELOG.md',
    ]);
    expect(
      files.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE'].includes(f)),
    ).to.deep.equal([]);
  });

  it('types req.fc and the handlers for a TypeScript consumer', async () => {
    writeFileSync(
      join(project, 'app.ts'),
      `
      import express from 'express';
      import { fcRuntime, serve, currentContext, type FcContext } from 'express-fc-runtime';
      const app = express();
      app.use(fcRuntime({ invoke: async (event, context) => ({ bytes: event.byteLength, memory: context.function.memory }) }));
      app.get('/', (req, res) => {
        const id: string | undefined = req.fc?.requestId;
        const memory: number | undefined = currentContext()?.function.memory;
        res.json({ id, memory });
      });
      const context: FcContext | undefined = currentContext();
      export const server = context ? serve(app, { port: 0 }) : undefined;
      `,
    );
    writeFileSync(join(project, 'bad.ts'), `import { fcRuntime } from 'express-fc-runtime';\nfcRuntime({ limit: true });\n`);
    const options = ['--noEmit', '--strict', '--esModuleInterop', '--module', 'commonjs', '--target', 'es2022', '--skipLibCheck'];
    await exec(process.execPath, [tsc, ...options, 'app.ts'], { cwd: project });
    const bad = await exec(process.execPath, [tsc, ...options, 'bad.ts'], { cwd: project }).then(
      () => '',
      (error: unknown) => (error as { stdout: string }).stdout,
    );
    expect(bad).to.match(/bad\.ts\(2,13\): error TS2322/);
  });
});
