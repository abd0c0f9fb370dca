// Which installed packages the site needs in production: followed from package.json's dependencies the way Node resolves them.
import { readdirSync, readFileSync, realpathSync, statSync } from 'fs';
import { basename, dirname, join, posix, sep } from 'path';
import { UserError } from '../../user-error';

interface Manifest {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** One package as the ZIP will hold it: where it goes, and the folder its files are read from. */
export interface Package {
  /** Relative to the code folder, `node_modules/a/node_modules/b`: where Node will find it on FC. */
  folder: string;
  /** Absolute and with links resolved: a pnpm store entry, a workspace's package, a folder above the code folder. */
  real: string;
}

/** The packages of node_modules as the ZIP will hold them. */
export interface Dependencies {
  /** Package folders to pack, each without its own node_modules (its dependencies are listed apart). */
  production: Package[];
  /** Top-level packages left out: devDependencies and what only they need. */
  dev: string[];
  /** Top-level packages in neither tree (installed without --save): left out too. */
  unlisted: string[];
  /** Dependencies nothing provides: `name` for the site's own, `name (for parent)` for a package's. */
  missing: string[];
  /** Production packages Node finds outside the code folder (a workspace's hoisting, beside a linked package): packed from there. */
  outside: string[];
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

/** The ZIP's folders Node looks in for `name` from package folder `from` once unpacked: its node_modules, then each ancestor's. */
function* slots(from: string, name: string): Generator<string> {
  let base = from;
  for (;;) {
    if (posix.basename(base) !== 'node_modules') yield base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (base === '') return;
    base = posix.dirname(base) === '.' ? '' : posix.dirname(base);
  }
}

/** Where Node finds `name` from the real folder `from` on this machine: the path it found, and its real folder. */
function resolveFrom(from: string, name: string): { path: string; real: string } | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const path = join(dir, 'node_modules', name);
    if (basename(dir) !== 'node_modules' && isFolder(path)) return { path, real: realpathSync(path) };
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Every package reachable from `seeds`, resolved as Node resolves it here — from the real folder of
 * the package that needs it, so pnpm's links, workspaces and folders above the code folder all
 * count — and each placed in the ZIP where Node will find it from the package that needs it: where
 * npm put it when that still holds, else at the top, else beside the package that needs it.
 */
function closure(root: string, seeds: [string, boolean][]): { found: Map<string, string>; missing: string[]; outside: string[] } {
  const realRoot = realpathSync(root);
  /** ZIP folder → real folder. */
  const found = new Map<string, string>();
  const missing: string[] = [];
  const outside: string[] = [];
  const place = (from: string, name: string, real: string): { folder: string; added: boolean } => {
    const chain = [...slots(from, name)];
    const taken = chain.findIndex((slot) => found.has(slot));
    if (taken !== -1 && found.get(chain[taken]) === real) return { folder: chain[taken], added: false };
    // Free slots only up to one that holds another version: a shallower one would never be reached.
    const free = taken === -1 ? chain : chain.slice(0, taken);
    const onDisk = free.find((slot) => isFolder(join(root, slot)) && realpathSync(join(root, slot)) === real);
    const top = `node_modules/${name}`;
    const folder = onDisk ?? (taken === -1 ? top : free[0]);
    found.set(folder, real);
    return { folder, added: true };
  };
  const queue: [string, string, [string, boolean][]][] = [['', realRoot, seeds]];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const [from, fromReal, needs] = next;
    for (const [name, optional] of needs) {
      const resolved = resolveFrom(fromReal, name);
      if (resolved === undefined) {
        if (!optional) missing.push(from === '' ? name : `${name} (for ${from.replace(/^.*node_modules\//, '')})`);
        continue;
      }
      const { real } = resolved;
      const { folder, added } = place(from, name, real);
      if (!added) continue;
      if (!resolved.path.startsWith(`${realRoot}${sep}`)) outside.push(name);
      const manifest = readManifest(real);
      if (manifest !== undefined) queue.push([folder, real, runtimeDependencies(manifest)]);
    }
  }
  return { found, missing, outside };
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
 * exactly as Node resolves them here, so a lock file that says otherwise, or packages installed
 * without saving, cannot put the ZIP out of step with what runs; `skip` names packages the site's own
 * files already hold (a Next.js standalone build's node_modules).
 */
export function dependencies(root: string, skip: ReadonlySet<string> = new Set()): Dependencies | undefined {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`package.json could not be read: ${(error as Error).message.split('\n', 1)[0]}`);
  }
  const production = closure(
    root,
    runtimeDependencies(manifest).filter(([name]) => !skip.has(name)),
  );
  const outside = [...new Set(production.outside)].sort();
  const packages = [...production.found].map(([folder, real]) => ({ folder, real })).sort((a, b) => (a.folder < b.folder ? -1 : 1));
  if (!isFolder(join(root, 'node_modules'))) return { production: packages, dev: [], unlisted: [], missing: production.missing, outside };
  const dev = closure(
    root,
    Object.keys(manifest.devDependencies ?? {}).map((name): [string, boolean] => [name, true]),
  ).found;
  const top = topLevel(root).filter((name) => !production.found.has(`node_modules/${name}`) && !skip.has(name));
  return {
    production: packages,
    dev: top.filter((name) => dev.has(`node_modules/${name}`)),
    unlisted: top.filter((name) => !dev.has(`node_modules/${name}`)),
    missing: production.missing,
    outside,
  };
}
