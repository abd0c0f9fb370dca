// Which Node FC will run the function with: the runtime's own (custom.debian10 has 18 and 20 under /var/fc/lang),
// a Node.js layer's under /opt, found on the PATH the command runs with — and whether it is the major the local run used.
import { dirname } from 'path';
import type { FunctionConfig } from '../fc/function-config';
import { nodeUse } from '../fc/node-use';
import { fail, pass, warn, type Verdict } from '../fc/verdict';

/** FC's PATH when the function does not set one (the official Express template spells it out whole). */
export const FC_DEFAULT_PATH =
  '/usr/local/bin/apache-maven/bin:/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/ruby/bin';

/** The runtimes this check knows, and the Node majors each has by itself. */
const RUNTIME_NODE: Readonly<Partial<Record<string, readonly number[]>>> = {
  'custom.debian10': [18, 20],
  'custom.debian11': [],
  'custom.debian12': [],
};

/** FC's official Node.js layers: the current version of each and the runtimes it is built for (awesome-fc/awesome-layers). */
export const NODE_LAYERS: Readonly<Partial<Record<number, { version: number; runtimes: readonly string[] }>>> = {
  18: { version: 3, runtimes: ['custom.debian10'] },
  20: { version: 3, runtimes: ['custom.debian10', 'custom.debian11', 'custom.debian12'] },
  22: { version: 3, runtimes: ['custom.debian11', 'custom.debian12'] },
  24: { version: 1, runtimes: ['custom.debian11', 'custom.debian12'] },
};

/** The official layer's ARN, with s.yaml's own region variable unless a region is given. */
export function nodeLayerArn(major: number, region = '${vars.region}'): string {
  return `acs:fc:${region}:official:layers/Nodejs${major}/versions/${NODE_LAYERS[major]?.version ?? 1}`;
}

const LAYER = /:layers\/Nodejs(\d+)\/versions\/\d+$/;
const NODE_COMMANDS = new Set(['node', 'nodejs', 'npm', 'npx', 'yarn', 'pnpm']);

/** Where FC has a Node binary for this runtime and these layers: bin folder → its major and where it comes from. */
export function fcNodeDirs(runtime: string, layers: readonly string[]): Map<string, { major: number; from: string }> {
  const dirs = new Map<string, { major: number; from: string }>();
  for (const layer of layers) {
    const major = Number(LAYER.exec(layer)?.[1]);
    if (Number.isInteger(major) && major > 0) dirs.set(`/opt/nodejs${major}/bin`, { major, from: `layer Nodejs${major}` });
  }
  for (const major of RUNTIME_NODE[runtime] ?? []) dirs.set(`/var/fc/lang/nodejs${major}/bin`, { major, from: runtime });
  return dirs;
}

/** How the function's command finds Node on FC: not at all, on a PATH, or by its path. */
export type FcNodeUse = { kind: 'none' } | { kind: 'path'; command: string; path: string } | { kind: 'absolute'; program: string };

/** The PATH after the bootstrap's assignments up to `line`, from FC's. */
function bootstrapPath(text: string, line: number, initial: string): string {
  let path = initial;
  for (const code of text.split('\n').slice(0, line)) {
    for (const match of code.matchAll(/(?:^|[\s;])PATH=("[^"]*"|'[^']*'|\S*)/g)) {
      path = match[1].replace(/^(['"])(.*)\1$/, '$2').replace(/\$\{?PATH\}?/g, path);
    }
  }
  return path;
}

/** How the function's command, or its bootstrap (`text`), finds Node on FC. */
export function fcNodeUse(config: FunctionConfig, bootstrap: string | undefined): FcNodeUse {
  const initial = Object.hasOwn(config.environment, 'PATH') ? config.environment.PATH : FC_DEFAULT_PATH;
  const program = config.command?.[0];
  if (program === undefined || /(^|\/)bootstrap$/.test(program)) {
    if (bootstrap === undefined) return { kind: 'none' };
    const use = nodeUse(bootstrap);
    if (use.kind === 'none') return use;
    if (use.command.startsWith('/')) return { kind: 'absolute', program: use.command };
    return { kind: 'path', command: use.command, path: bootstrapPath(bootstrap, use.line, initial) };
  }
  const name = program.slice(program.lastIndexOf('/') + 1);
  if (!NODE_COMMANDS.has(name)) return { kind: 'none' };
  return program.includes('/') ? { kind: 'absolute', program } : { kind: 'path', command: program, path: initial };
}

export interface FcNodeEvidence {
  config: FunctionConfig;
  use: FcNodeUse;
  /** The Node version the local run used (the runtime's own, else this CLI's). */
  localNode: string;
}

/** What to do for FC to run `major`: the layer on this runtime, or the runtime that takes it. */
function layerFix(major: number, runtime: string): string {
  const layer = NODE_LAYERS[major];
  if (layer === undefined) return `test with Node ${[...Object.keys(NODE_LAYERS)].join(', ')} here: FC has no other`;
  const add = `add ${nodeLayerArn(major)} under layers and put /opt/nodejs${major}/bin first on PATH`;
  return layer.runtimes.includes(runtime) ? add : `use runtime ${layer.runtimes[layer.runtimes.length - 1]}, ${add}`;
}

/** The folder of FC's Node to point PATH at: the local major's, else the newest. */
function preferred(dirs: Map<string, { major: number }>, local: number): string {
  const sorted = [...dirs].sort(([, a], [, b]) => (a.major === local ? -1 : b.major === local ? 1 : b.major - a.major));
  return sorted[0][0];
}

/** FC has Node for the function's runtime, its PATH finds it, and it is the major the local run used. */
export function fcNodeVerdict({ config, use, localNode }: FcNodeEvidence): Verdict | undefined {
  const { runtime } = config;
  if (runtime === undefined || !(runtime in RUNTIME_NODE) || use.kind === 'none') return undefined;
  const local = Number(localNode.split('.')[0]);
  const dirs = fcNodeDirs(runtime, config.layers);
  if (dirs.size === 0) {
    return fail(`${runtime} has no Node.js and s.yaml adds no Node.js layer (FC: CAFileNotFound)`, layerFix(local, runtime));
  }
  const where = [...dirs.keys()].join(', ');
  let found: { dir: string; major: number; from: string };
  if (use.kind === 'absolute') {
    const dir = dirname(use.program);
    const node = dirs.get(dir);
    if (node === undefined) {
      return fail(
        `the function runs ${use.program}, which FC does not have for ${runtime} and these layers (FC: CAFileNotFound)`,
        `FC has Node in ${where}`,
      );
    }
    found = { dir, ...node };
  } else {
    const dir = use.path
      .split(':')
      .map((entry) => entry.replace(/\/$/, ''))
      .find((entry) => dirs.has(entry));
    const node = dir === undefined ? undefined : dirs.get(dir);
    if (dir === undefined || node === undefined) {
      return fail(
        `the function runs \`${use.command}\` from a PATH without FC's Node (FC: CAFileNotFound): PATH=${use.path}`,
        `put ${preferred(dirs, local)} first on PATH (environmentVariables.PATH, or the bootstrap's export)`,
      );
    }
    found = { dir, ...node };
  }
  if (found.major === local)
    return pass(`FC runs Node ${found.major} (${found.dir}, ${found.from}), the major this run used (${localNode})`);
  return warn(`this run used Node ${localNode}, FC will run Node ${found.major} (${found.dir}, ${found.from})`, layerFix(local, runtime));
}
