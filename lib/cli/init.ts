// fc-runtime init: writes the bootstrap FC runs — the shebang, a PATH with FC's Node on it, one exec line — and an s.yaml when there is none.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'fs';
import { join, relative, resolve } from 'path';
import { UserError } from '../user-error';
import type { InitCommand, Io } from './args';
import { writeSYaml } from './fc/s-yaml-template';

// custom.debian10 has Node under /var/fc/lang but not on PATH, and a Node.js layer puts it under
// /opt: a bootstrap that only says `node` fails with CAFileNotFound. The layer, chosen by the user,
// comes first; newest versions first within each.
const NODE_VERSIONS = [24, 22, 20, 18];
export const FC_NODE_PATH = [
  ...NODE_VERSIONS.map((v) => `/opt/nodejs${v}/bin`),
  ...NODE_VERSIONS.map((v) => `/var/fc/lang/nodejs${v}/bin`),
].join(':');

const ENTRY_CANDIDATES = ['server.js', 'app.js', 'index.js'];

/** The file `npm start` runs (`node [flags] <file>`), if the start script is that simple. */
function startScriptEntry(script: string | undefined): string | undefined {
  const match = /(?:^|[\s;&|])node\s+(?:-\S+\s+)*([^\s;&|-][^\s;&|]*)/.exec(script ?? '');
  return match?.[1];
}

/** The site's entry: package.json's start script, else its main, else a usual file name. */
export function detectEntry(dir: string): string {
  let pkg: { main?: unknown; scripts?: { start?: unknown } } = {};
  const pkgFile = join(dir, 'package.json');
  if (existsSync(pkgFile)) {
    try {
      pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as typeof pkg;
    } catch (error) {
      throw new UserError(`package.json is not valid JSON (${(error as Error).message}); fix it or pass --entry <file>.`);
    }
  }
  const start = typeof pkg.scripts?.start === 'string' ? startScriptEntry(pkg.scripts.start) : undefined;
  const main = typeof pkg.main === 'string' ? pkg.main : undefined;
  const found = [start, main, ...ENTRY_CANDIDATES].find((file) => file !== undefined && existsSync(join(dir, file)));
  if (found === undefined) {
    throw new UserError("could not tell the site's entry: no `node <file>` start script, main or server.js; pass --entry <file>.");
  }
  return found.replace(/^\.\//, '');
}

/** A word bash reads back as exactly `text`. */
function shellWord(text: string): string {
  return /^[\w./@%+=:,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The bootstrap: `-r express-fc-runtime/register` for a site that listens, `-r express-fc-runtime/start` for one that exports its app. */
export function bootstrapText(entry: string, start: boolean): string {
  const command = `exec node -r express-fc-runtime/${start ? 'start' : 'register'} ${shellWord(entry)}`;
  return [
    '#!/bin/bash',
    '# Written by `fc-runtime init`. FC runs this file in the code folder to start the function.',
    "# FC's own Node and a Node.js layer's are not on PATH; these come before the system's.",
    `export PATH=${FC_NODE_PATH}:$PATH`,
    command,
    '',
  ].join('\n');
}

export function init(command: InitCommand, io: Io): number {
  const dir = resolve(command.dir);
  if (!existsSync(dir)) throw new UserError(`no such folder: ${command.dir}`);
  const entry = command.entry ?? detectEntry(dir);
  if (!existsSync(join(dir, entry))) throw new UserError(`no entry ${entry} in ${dir}; pass --entry <file>.`);
  const file = join(dir, 'bootstrap');
  const shown = relative(process.cwd(), file) || 'bootstrap';
  if (existsSync(file) && !command.force) throw new UserError(`${shown} already exists; pass --force to overwrite it.`);
  writeFileSync(file, bootstrapText(entry, command.start));
  // writeFileSync's mode applies only to a new file, and through the umask: set it outright.
  chmodSync(file, 0o755);
  io.stdout.write(`Wrote ${shown} (mode 755): node -r express-fc-runtime/${command.start ? 'start' : 'register'} ${entry}\n`);
  writeSYaml(dir, entry, command.force, io.stdout);
  return 0;
}
