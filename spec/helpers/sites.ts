// Throwaway code folders for the CLI and register specs: real files in a temporary directory, with
// express-fc-runtime and Express reachable from node_modules as in a user's project.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { fixture, run, type Child, type RunOptions } from './child';

/** The repository root: its package.json is express-fc-runtime, with dist/ built by pretest. */
export const ROOT = join(__dirname, '..', '..', '..');
/** The compiled CLI, as `npx fc-runtime` runs it. */
export const CLI = join(ROOT, 'dist', 'cli', 'main.js');

/**
 * A file's text, its text and mode (bootstrap must be 0o755), a symbolic link to `link`, or a copy of
 * the compiled fixture `fixture` (`'sites/x.js'` for spec/fixtures/sites/x.ts): a site's own code,
 * type-checked with the specs, which finds Express and express-fc-runtime in the site's node_modules.
 */
export type SiteFile = string | Buffer | { content: string | Buffer; mode: number } | { link: string } | { fixture: string };

/** Packages the site's node_modules links to: this package, both Express majors and Fastify. */
const LINKED = {
  'express-fc-runtime': ROOT,
  express: join(ROOT, 'node_modules', 'express'),
  express4: join(ROOT, 'node_modules', 'express4'),
  fastify: join(ROOT, 'node_modules', 'fastify'),
};

const made: string[] = [];

/**
 * Writes `files` (paths relative to the folder; a path ending in `/` is an empty folder) into a new
 * temporary folder and returns its path. Its node_modules links to this package and Express, as
 * in a user's project, and to the devDependencies named in `packages` (`koa`, `@nestjs/core`),
 * unless `modules` is false (a folder of real files only, for pack).
 */
export function makeSite(
  files: Record<string, SiteFile>,
  { modules = true, packages = [] }: { modules?: boolean; packages?: readonly string[] } = {},
): string {
  const dir = mkdtempSync(join(tmpdir(), 'fc-site-'));
  made.push(dir);
  if (modules) {
    mkdirSync(join(dir, 'node_modules'));
    const links: [string, string][] = [
      ...Object.entries(LINKED),
      ...packages.filter((name) => !Object.hasOwn(LINKED, name)).map((name): [string, string] => [name, join(ROOT, 'node_modules', name)]),
    ];
    for (const [name, target] of links) {
      mkdirSync(dirname(join(dir, 'node_modules', name)), { recursive: true });
      symlinkSync(target, join(dir, 'node_modules', name), 'dir');
    }
  }
  for (const [path, file] of Object.entries(files)) {
    const full = join(dir, path);
    if (path.endsWith('/')) {
      mkdirSync(full, { recursive: true });
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    if (typeof file === 'object' && 'link' in file) {
      symlinkSync(file.link, full);
      continue;
    }
    if (typeof file === 'object' && 'fixture' in file) {
      writeFileSync(full, readFileSync(fixture(file.fixture)));
      chmodSync(full, 0o644);
      continue;
    }
    const { content, mode } = typeof file === 'object' && !Buffer.isBuffer(file) ? file : { content: file, mode: 0o644 };
    writeFileSync(full, content);
    chmodSync(full, mode);
  }
  return dir;
}

/** A symbolic link to `target`. (A `{ link }` literal typed as SiteFile reads to ESLint as string's deprecated link().) */
export function symlink(target: string): SiteFile {
  const file: { link: string } = { link: target };
  return file;
}

/** A bootstrap as `fc-runtime init` would write it, around any `exec` line. */
export function bootstrap(execLine: string): SiteFile {
  return { content: `#!/bin/bash\nexport PATH=/opt/nodejs20/bin:$PATH\n${execLine}\n`, mode: 0o755 };
}

/** Removes every folder makeSite() made; the specs call it in an after() hook. */
export function removeSites(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Runs `fc-runtime <args>` as a child process. */
export function cli(args: string[], options: RunOptions & { env?: Record<string, string> } = {}): Child {
  return run(CLI, options.env ?? {}, args, options);
}

/** How a command ended: its exit code and all it wrote. */
export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `fc-runtime <args>` and resolves once it exited and its output was read to the last byte. */
export function runCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Finished> {
  const child = cli(args, options);
  return new Promise((resolve) => child.process.once('close', (code) => resolve({ code, stdout: child.stdout, stderr: child.stderr })));
}
