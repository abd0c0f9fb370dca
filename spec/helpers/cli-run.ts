// The CLI run to its end, for specs that judge a command by its whole output and exit code; plain temporary folders for it to work on.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { dirname, join } from 'path';
import { cli } from './sites';

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

/** A file for makeFolder(): its text, its text and mode, or a symbolic link to `link`. */
export type FolderEntry = string | Buffer | { content: string | Buffer; mode: number } | { link: string };

const folders: string[] = [];

/**
 * Writes `entries` (paths relative to the folder; a path ending in `/` is an empty folder) into a new
 * temporary folder of real files, with no node_modules of its own unless given.
 */
export function makeFolder(entries: Record<string, FolderEntry>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fc-pack-'));
  folders.push(dir);
  for (const [path, entry] of Object.entries(entries)) {
    const full = join(dir, path);
    if (path.endsWith('/')) {
      mkdirSync(full, { recursive: true });
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    if (typeof entry === 'object' && 'link' in entry) {
      symlinkSync(entry.link, full);
      continue;
    }
    const { content, mode } = typeof entry === 'object' && !Buffer.isBuffer(entry) ? entry : { content: entry, mode: 0o644 };
    writeFileSync(full, content);
    chmodSync(full, mode);
  }
  return dir;
}

/** Removes every folder makeFolder() made. */
export function removeFolders(): void {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
}
