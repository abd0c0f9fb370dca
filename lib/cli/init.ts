// fc-runtime init: writes the bootstrap FC runs — the shebang, a PATH with FC's Node on it, one exec line — and an s.yaml when there is none.
import { chmodSync, existsSync, writeFileSync } from 'fs';
import { join, relative, resolve } from 'path';
import { UserError } from '../user-error';
import type { InitCommand, Io } from './args';
import { writeSYaml } from './fc/s-yaml-template';
import { detectLaunch, type Launch } from './init/entry';

// custom.debian10 has Node under /var/fc/lang but not on PATH, and a Node.js layer puts it under
// /opt: a bootstrap that only says `node` fails with CAFileNotFound. The layer, chosen by the user,
// comes first; newest versions first within each.
const NODE_VERSIONS = [24, 22, 20, 18];
export const FC_NODE_PATH = [
  ...NODE_VERSIONS.map((v) => `/opt/nodejs${v}/bin`),
  ...NODE_VERSIONS.map((v) => `/var/fc/lang/nodejs${v}/bin`),
].join(':');

/** A word bash reads back as exactly `text`. */
function shellWord(text: string): string {
  return /^[\w./@%+=:,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The command that runs the site: the start script's environment and Node options, then the preload, the entry, its arguments. */
function commandLine(launch: Launch, start: boolean): string {
  const { env, nodeArgs, entry, args } = launch;
  // After the app's own preloads (-r dotenv/config): what they put in the environment is there when the options are read.
  return [...env, 'node', ...nodeArgs, '-r', `express-fc-runtime/${start ? 'start' : 'register'}`, entry, ...args].map(shellWord).join(' ');
}

/** The bootstrap: `-r express-fc-runtime/register` for a site that listens, `-r express-fc-runtime/start` for one that exports its app. */
export function bootstrapText(launch: Launch, start: boolean): string {
  const { env, ...rest } = launch;
  return [
    '#!/bin/bash',
    '# Written by `fc-runtime init`. FC runs this file in the code folder to start the function.',
    "# FC's own Node and a Node.js layer's are not on PATH; these come before the system's.",
    `export PATH=${FC_NODE_PATH}:$PATH`,
    ...env.map((assignment) => `export ${shellWord(assignment)}`),
    `exec ${commandLine({ ...rest, env: [] }, start)}`,
    '',
  ].join('\n');
}

export async function init(command: InitCommand, io: Io): Promise<number> {
  const dir = resolve(command.dir);
  if (!existsSync(dir)) throw new UserError(`no such folder: ${command.dir}`);
  const launch = detectLaunch(dir, command.entry);
  const file = join(dir, 'bootstrap');
  const shown = relative(process.cwd(), file) || 'bootstrap';
  if (existsSync(file) && !command.force) throw new UserError(`${shown} already exists; pass --force to overwrite it.`);
  writeFileSync(file, bootstrapText(launch, command.start));
  // writeFileSync's mode applies only to a new file, and through the umask: set it outright.
  chmodSync(file, 0o755);
  io.stdout.write(`Wrote ${shown} (mode 755): ${commandLine(launch, command.start)}\n`);
  await writeSYaml(dir, launch.entry, command.force, io.stdout);
  return 0;
}
