// The site's entry, found as `npm start` and Node would find it: the start script's `node` command, Next.js standalone output, main, usual names.
import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import { join, normalize, relative } from 'path';
import { UserError } from '../../user-error';
import { readStartScript, type NodeCommand } from './start-script';

/** How the bootstrap runs the site: from which folder, with which environment and Node options, which file. */
export interface Launch {
  /** The entry as a path relative to the code folder, a file that exists. */
  entry: string;
  env: string[];
  nodeArgs: string[];
  args: string[];
}

interface PackageJson {
  main?: unknown;
  scripts?: Record<string, unknown>;
}

const ENTRY_CANDIDATES = ['server.js', 'app.js', 'index.js'];
// Scripts that start the site, in the order init reads them: NestJS's `start` runs its CLI, `start:prod` runs node.
const START_SCRIPTS = ['start', 'start:prod'];
const NEXT_STANDALONE = join('.next', 'standalone');

const isFile = (path: string): boolean => existsSync(path) && statSync(path).isFile();

function readPackage(dir: string): PackageJson {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
  } catch (error) {
    throw new UserError(`package.json is not valid JSON (${(error as Error).message}); fix it or pass --entry <file>.`);
  }
}

/**
 * The file Node runs for `node <entry>` in `dir`, as its CommonJS loader finds it: the file, the file
 * with `.js`, a folder's package.json main, the folder's index.js. Relative to `dir`; undefined when none exists.
 */
export function resolveEntry(dir: string, entry: string): string | undefined {
  const path = join(dir, entry);
  for (const file of [path, `${path}.js`]) if (isFile(file)) return normalize(relative(dir, file));
  if (!existsSync(path) || !statSync(path).isDirectory()) return undefined;
  const { main } = readPackage(path);
  const inFolder = typeof main === 'string' ? resolveEntry(path, main) : undefined;
  const found = inFolder ?? (isFile(join(path, 'index.js')) ? 'index.js' : undefined);
  return found === undefined ? undefined : normalize(join(entry, found));
}

/** The build script's command, `npm run build`, if package.json has one. */
function buildCommand(pkg: PackageJson): string | undefined {
  return typeof pkg.scripts?.build === 'string' ? 'npm run build' : undefined;
}

/**
 * The one line for an entry that is missing: on a TypeScript project (tsconfig.json) an entry that
 * is not there yet is a build output, so the fix is to build, not to pick another file.
 */
export function missingEntry(dir: string, entry: string): UserError {
  if (existsSync(join(dir, 'tsconfig.json')) && !/\.tsx?$/.test(entry)) {
    const build = buildCommand(readPackage(dir));
    const how = build === undefined ? 'compile it first (tsc)' : `build first (\`${build}\`)`;
    return new UserError(`${entry} is not built yet: this is a TypeScript project; ${how}, then run init again.`);
  }
  return new UserError(`no entry ${entry} in ${dir}; pass --entry <file>.`);
}

/** Whether next.config.* asks for standalone output. */
function nextStandalone(dir: string): boolean {
  if (existsSync(join(dir, NEXT_STANDALONE))) return true;
  const config = readdirSync(dir).find((name) => /^next\.config\.(js|cjs|mjs|ts)$/.test(name));
  return config !== undefined && /output\s*:\s*['"`]standalone['"`]/.test(readFileSync(join(dir, config), 'utf8'));
}

const simple = (entry: string): Launch => ({ entry, env: [], nodeArgs: [], args: [] });

/** The Launch of a start script's node command, when its entry exists. */
function launchOf(dir: string, node: NodeCommand): Launch | undefined {
  const entry = resolveEntry(dir, node.entry);
  return entry === undefined ? undefined : { ...node, entry };
}

/**
 * How to run the site in `dir`: `--entry` when given (resolved as Node would), else Next.js standalone
 * output, else the start script's `node` command with the words around its entry, else main, else a
 * usual file name. Throws a UserError of one line saying what to do when none will run.
 */
export function detectLaunch(dir: string, given: string | undefined): Launch {
  const pkg = readPackage(dir);
  const scripts = START_SCRIPTS.map((name) => pkg.scripts?.[name]).filter((script) => typeof script === 'string');
  const read = scripts.map(readStartScript);
  const commands = read.flatMap((script) => (script !== undefined && 'node' in script ? [script.node] : []));
  if (given !== undefined) {
    const entry = resolveEntry(dir, given);
    if (entry === undefined) throw missingEntry(dir, given);
    // The start script's environment and Node options still apply when it runs that same file.
    const same = commands.map((node) => launchOf(dir, node)).find((launch) => launch?.entry === entry);
    return same ?? simple(entry);
  }
  if (nextStandalone(dir)) {
    const server = join(NEXT_STANDALONE, 'server.js');
    if (!isFile(join(dir, server))) {
      const build = buildCommand(pkg) ?? 'next build';
      throw new UserError(
        `next.config asks for output: 'standalone', but ${server} is not there: build first (\`${build}\`), then run init again.`,
      );
    }
    // The server.js Next writes changes to its own folder itself (process.chdir(__dirname)); and this
    // is the line `fc-runtime pack` recognises to put public/ and .next/static/ beside it.
    return simple(server);
  }
  for (const node of commands) {
    const launch = launchOf(dir, node);
    if (launch !== undefined) return launch;
    if (existsSync(join(dir, 'tsconfig.json'))) throw missingEntry(dir, node.entry);
  }
  const main = typeof pkg.main === 'string' ? resolveEntry(dir, pkg.main) : undefined;
  const found = main ?? ENTRY_CANDIDATES.find((file) => isFile(join(dir, file)));
  if (found !== undefined) return simple(found);
  const hint = read.find((script) => script !== undefined && 'hint' in script);
  if (hint !== undefined && 'hint' in hint) throw new UserError(hint.hint);
  throw new UserError("could not tell the site's entry: no `node <file>` start script, main or server.js; pass --entry <file>.");
}
