// Which installed packages the site needs in production: followed from package.json's dependencies the way Node resolves them.
import { readdirSync, readFileSync, statSync } from 'fs';
import { join, posix } from 'path';
import { UserError } from '../../user-error';

interface Manifest {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** The packages of node_modules as the ZIP will hold them: folders relative to the code folder, `node_modules/a/node_modules/b`. */
export interface Dependencies {
  /** Package folders to pack, each without its own node_modules (its dependencies are listed apart). */
  production: string[];
  /** Top-level packages left out: devDependencies and what only they need. */
  dev: string[];
  /** Top-level packages in neither tree (installed without --save): left out too. */
  unlisted: string[];
  /** Dependencies nothing provides: `name` for the site's own, `name (for parent)` for a package's. */
  missing: string[];
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function readManifest(folder: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** A manifest's runtime dependencies: name and whether the package works without it. */
function runtimeDependencies(manifest: Manifest): [string, boolean][] {
  const required = Object.keys(manifest.dependencies ?? {});
  const optional = [...Object.keys(manifest.optionalDependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})];
  return [
    ...required.map((name): [string, boolean] => [name, false]),
    ...optional.filter((name) => !required.includes(name)).map((name): [string, boolean] => [name, true]),
  ];
}

/** The folders Node looks in for `name` from package folder `from`: its node_modules, then each ancestor's. */
function* lookups(from: string, name: string): Generator<string> {
  let base = from;
  for (;;) {
    if (posix.basename(base) !== 'node_modules') yield base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (base === '') return;
    base = posix.dirname(base) === '.' ? '' : posix.dirname(base);
  }
}

/** Every package reachable from `seeds`, each where the package that needs it will find it; the ones nothing provides. */
function closure(root: string, seeds: [string, boolean][]): { found: Set<string>; missing: string[] } {
  const found = new Set<string>();
  const missing: string[] = [];
  const queue: [string, [string, boolean][]][] = [['', seeds]];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const [from, needs] = next;
    for (const [name, optional] of needs) {
      let folder: string | undefined;
      for (const candidate of lookups(from, name)) {
        if (isFolder(join(root, candidate))) {
          folder = candidate;
          break;
        }
      }
      if (folder === undefined) {
        if (!optional) missing.push(from === '' ? name : `${name} (for ${from.replace(/^.*node_modules\//, '')})`);
        continue;
      }
      if (found.has(folder)) continue;
      found.add(folder);
      const manifest = readManifest(join(root, folder));
      if (manifest !== undefined) queue.push([folder, runtimeDependencies(manifest)]);
    }
  }
  return { found, missing };
}

/** The packages installed at the top of node_modules: `a`, `@scope/b`. */
function topLevel(root: string): string[] {
  const names: string[] = [];
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) {
      if (!isFolder(join(root, 'node_modules', entry))) continue;
      for (const scoped of readdirSync(join(root, 'node_modules', entry))) if (!scoped.startsWith('.')) names.push(`${entry}/${scoped}`);
    } else {
      names.push(entry);
    }
  }
  return names.sort();
}

/**
 * The production packages of the code folder `root`, from its package.json (undefined when it has
 * none: then nothing tells production from dev). Follows dependencies, optional and peer dependencies
 * through node_modules exactly as Node will resolve them from the unpacked ZIP, so a lock file that
 * says otherwise, or packages installed without saving, cannot put the ZIP out of step with what runs.
 */
export function dependencies(root: string): Dependencies | undefined {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`package.json could not be read: ${(error as Error).message.split('\n', 1)[0]}`);
  }
  const production = closure(root, runtimeDependencies(manifest));
  if (!isFolder(join(root, 'node_modules'))) return { production: [], dev: [], unlisted: [], missing: production.missing };
  const dev = closure(
    root,
    Object.keys(manifest.devDependencies ?? {}).map((name): [string, boolean] => [name, true]),
  ).found;
  const top = topLevel(root).filter((name) => !production.found.has(`node_modules/${name}`));
  return {
    production: [...production.found].sort(),
    dev: top.filter((name) => dev.has(`node_modules/${name}`)),
    unlisted: top.filter((name) => !dev.has(`node_modules/${name}`)),
    missing: production.missing,
  };
}
