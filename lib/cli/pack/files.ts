// What goes into the code ZIP: the site's files without VCS and dev-only ones, and the production packages.
import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync, type Stats } from 'fs';
import { join, posix, relative, resolve, dirname, sep } from 'path';
import type { Package } from './dependencies';

/** A file to store: where it is read from, and its name and mode in the ZIP. */
export interface FileEntry {
  zipPath: string;
  realPath: string;
  size: number;
  mode: number;
  mtime: Date;
}

/** A symbolic link stored as one (node_modules/.bin): its target, relative as npm writes it. */
export interface LinkEntry {
  zipPath: string;
  target: string;
  mtime: Date;
}

export interface Selection {
  files: FileEntry[];
  links: LinkEntry[];
  emptyFolders: string[];
  /** What of the site's own was left out, in the ZIP's terms (`test/`, `npm-debug.log`). */
  leftOut: string[];
  /** Things the user should hear about (broken links, a .env file packed). */
  notes: string[];
}

// Never useful on FC, anywhere in the tree: version control, OS and editor litter.
const NOWHERE = new Set(['.git', '.svn', '.hg', '.bzr', 'CVS', '.DS_Store', 'Thumbs.db', 'desktop.ini', '.idea', '.vscode']);
// At the top of the site only: tests, coverage, CI, tool configs, deployment descriptors, local secrets
// of tools (.npmrc may hold a registry token). `.env` stays: dotenv loads it at run time.
const TOP_FOLDERS = new Set([
  'test',
  'tests',
  'spec',
  '__tests__',
  'coverage',
  '.nyc_output',
  '.github',
  '.gitlab',
  '.circleci',
  '.husky',
  '.s',
  '.serverless',
  '.fun',
]);
const TOP_FILES = new Set([
  '.gitignore',
  '.gitattributes',
  '.gitmodules',
  '.editorconfig',
  '.npmrc',
  '.yarnrc',
  '.yarnrc.yml',
  '.nvmrc',
  '.node-version',
  '.travis.yml',
  '.gitlab-ci.yml',
  '.dockerignore',
  '.fcignore',
  '.signore',
  '.eslintignore',
  '.prettierignore',
  's.yaml',
  's.yml',
  'template.yml',
  'template.yaml',
  'tsconfig.tsbuildinfo',
  'code.zip',
]);
const TOP_PATTERNS = [
  /^\.eslintrc/,
  /^eslint\.config\./,
  /^\.prettierrc/,
  /^prettier\.config\./,
  /^jest\.config\./,
  /^vitest\.config\./,
  /^\.mocharc/,
  /^karma\.conf/,
  /^\.env\.(development|test)(\.|$)/,
];
// In the site's own folders: logs and editor swap files.
const OWN_PATTERNS = [/\.log$/, /\.sw[op]$/, /~$/];

/** What the walk is in: the site's own files (the dev-only rules apply) or an installed package's (kept whole). */
interface Walk {
  own: boolean;
  /** Real paths of the folders above, so a link back up cannot loop. */
  above: Set<string>;
  /** For a linked package: the names at its top that npm would publish; undefined for all. */
  published?: (name: string) => boolean;
}

// npm publishes these whatever `files` says.
const ALWAYS_PUBLISHED = /^(package\.json|readme|license|licence|copying|changelog|changes|history)(\.|$)/i;

/**
 * A package installed as a link (npm link, a `file:` dependency) is the author's whole working folder:
 * keep what `files` in its package.json publishes, by top-level name, as an installed copy would have.
 */
function publishedNames(folder: string): ((name: string) => boolean) | undefined {
  let manifest: { files?: unknown; main?: unknown };
  try {
    manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as typeof manifest;
  } catch {
    return undefined;
  }
  if (!Array.isArray(manifest.files)) return undefined;
  const tops = new Set<string>();
  for (const entry of [...(manifest.files as unknown[]), manifest.main]) {
    if (typeof entry !== 'string') continue;
    const top = entry.replace(/^\.\//, '').split('/')[0];
    if (/[*?[{!]/.test(top) || top === '') return undefined;
    tops.add(top);
  }
  return (name) => tops.has(name) || ALWAYS_PUBLISHED.test(name);
}

export class Selector {
  readonly selection: Selection = { files: [], links: [], emptyFolders: [], leftOut: [], notes: [] };

  private readonly skipNames: Set<string>;
  /** Whether the site runs Next's standalone server: then the rest of .next/ is build output it never reads. */
  nextStandalone = false;

  /** @param skip absolute paths never to pack (the ZIP being written). */
  constructor(
    private readonly root: string,
    private readonly skip: ReadonlySet<string>,
  ) {
    this.skipNames = new Set([...skip].map((path) => posix.basename(path)));
  }

  private leaveOut(zipPath: string, folder: boolean, own: boolean): void {
    if (own) this.selection.leftOut.push(folder ? `${zipPath}/` : zipPath);
  }

  private excluded(name: string, zipPath: string, folder: boolean, own: boolean): boolean {
    if (NOWHERE.has(name)) return true;
    if (!own) return false;
    // Next's build cache: `next build` reads it, no server does.
    if (zipPath === '.next/cache') return true;
    if (this.nextStandalone && zipPath.startsWith('.next/') && zipPath.split('/').length === 2 && name !== 'standalone') return true;
    const top = !zipPath.includes('/');
    if (top && (folder ? TOP_FOLDERS.has(name) : TOP_FILES.has(name) || TOP_PATTERNS.some((p) => p.test(name)))) return true;
    return !folder && OWN_PATTERNS.some((p) => p.test(name));
  }

  /** The site's own files: everything but node_modules at the top, which addPackage() fills. */
  addSite(): void {
    this.walk(this.root, '', { own: true, above: new Set([realpathSync(this.root)]) });
  }

  /**
   * One package, without its own node_modules (each dependency is added where Node finds it), read
   * from its real folder. A folder outside any node_modules is a working folder linked in (npm link,
   * a `file:` dependency, a workspace's package): only what it would publish is kept.
   */
  addPackage(pkg: Package): void {
    const installed = pkg.real.split(sep).includes('node_modules');
    this.walk(pkg.real, pkg.folder, {
      own: false,
      above: new Set([pkg.real]),
      published: installed ? undefined : publishedNames(pkg.real),
    });
  }

  /** A folder of the site stored under another name (`public` as `.next/standalone/public`), kept whole. */
  addCopy(from: string, to: string): void {
    const absolute = join(this.root, from);
    this.walk(absolute, to, { own: false, above: new Set([realpathSync(absolute)]) });
  }

  /** A whole node_modules as it is, when nothing says which packages are production ones. */
  addAllPackages(): void {
    const absolute = join(this.root, 'node_modules');
    this.walk(absolute, 'node_modules', { own: false, above: new Set([realpathSync(absolute)]) });
  }

  /** node_modules/.bin links into packages that are packed, kept as links: a copy would break their relative requires. */
  addBinLinks(packages: readonly Package[]): void {
    const packed = packages.map((pkg) => pkg.folder);
    const bin = join(this.root, 'node_modules', '.bin');
    let names: string[];
    try {
      names = readdirSync(bin).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(bin, name);
      let stats: Stats;
      try {
        stats = lstatSync(path);
      } catch {
        continue;
      }
      if (!stats.isSymbolicLink()) continue;
      const target = readlinkSync(path);
      const inside = relative(this.root, resolve(bin, target)).split('\\').join('/');
      if (target.startsWith('/') || !packed.some((folder) => inside.startsWith(`${folder}/`))) continue;
      this.selection.links.push({ zipPath: `node_modules/.bin/${name}`, target, mtime: stats.mtime });
    }
  }

  /** Adds what is under `folder` (stored as `zipFolder`), following links; returns how many entries it added. */
  private walk(folder: string, zipFolder: string, walk: Walk): number {
    let added = 0;
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      const zipPath = zipFolder === '' ? name : `${zipFolder}/${name}`;
      if (name === 'node_modules' && (!walk.own || zipFolder === '')) continue;
      if (this.skipNames.has(name) && (this.skip.has(path) || this.skip.has(realpathSync(path)))) continue;
      if (walk.published !== undefined && !walk.published(name)) continue;
      let stats: Stats;
      try {
        stats = statSync(path);
      } catch {
        if (walk.own) this.selection.notes.push(`${zipPath} is a broken link; left out.`);
        continue;
      }
      const isFolder = stats.isDirectory();
      if (this.excluded(name, zipPath, isFolder, walk.own)) {
        this.leaveOut(zipPath, isFolder, walk.own);
        continue;
      }
      if (isFolder) {
        const real = realpathSync(path);
        if (walk.above.has(real)) {
          this.selection.notes.push(`${zipPath} links back to a folder above it; left out.`);
          continue;
        }
        const inner = this.walk(path, zipPath, { own: walk.own, above: new Set([...walk.above, real]) });
        if (inner === 0) this.selection.emptyFolders.push(zipPath);
        added += 1;
      } else if (stats.isFile()) {
        this.selection.files.push({
          zipPath,
          realPath: path,
          size: stats.size,
          mode: 0o100000 | (stats.mode & 0o7777),
          mtime: stats.mtime,
        });
        added += 1;
      }
    }
    return added;
  }
}

/** The ZIP's own path and its temporary sibling, as the walk will meet them (links resolved). */
export function zipPaths(output: string, temporary: string): Set<string> {
  const paths = new Set([output, temporary]);
  try {
    const realFolder = realpathSync(dirname(output));
    paths.add(join(realFolder, posix.basename(output)));
    paths.add(join(realFolder, posix.basename(temporary)));
  } catch {
    // The folder does not exist: the ZIP cannot be inside the site.
  }
  return paths;
}
