// The code folder is read-only on FC: the first write into it, noticed while the local FC runs, with the file it names.
import createDebug from 'debug';
import { watch, type FSWatcher } from 'fs';
import { readdir } from 'fs/promises';
import { join, relative } from 'path';

const debug = createDebug('express-fc-runtime:local');

/** Folders not watched: packages (FC has them read-only too, but nothing of the app's writes there) and VCS data. */
const SKIPPED = new Set(['node_modules', '.git']);
/** A bound on the watches one code folder takes (Linux allows 8192 per user by default, shared with editors). */
const MAX_FOLDERS = 2000;

export interface CodeWatch {
  /** Stops watching. */
  close(): void;
}

/**
 * Watches `dir` and each folder under it (Node 18 has no recursive fs.watch on Linux), and calls
 * `onWrite` once, with the path relative to `dir`, at the first file made, changed or removed there.
 * Watching starts at once and the folders are found in the background, so a large tree costs
 * startup nothing; nothing here keeps the process alive.
 */
export function watchCodeFolder(dir: string, onWrite: (file: string) => void): CodeWatch {
  const watchers: FSWatcher[] = [];
  let done = false;
  const close = () => {
    done = true;
    for (const watcher of watchers.splice(0)) watcher.close();
  };
  const add = (folder: string) => {
    if (done || watchers.length >= MAX_FOLDERS) return false;
    try {
      const watcher = watch(folder, { persistent: false }, (_event, name) => {
        if (done) return;
        close();
        onWrite(relative(dir, join(folder, name ?? '')) || '.');
      });
      // A folder removed under its watch, or a watch the system refuses: that folder is not watched.
      watcher.on('error', (error) => debug('watching %s: %s', folder, error.message));
      watchers.push(watcher);
      return true;
    } catch (error) {
      debug('cannot watch %s: %s', folder, (error as Error).message);
      return false;
    }
  };
  const walk = async (folder: string): Promise<void> => {
    if (!add(folder)) return;
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      return;
    }
    // Symbolic links are not followed: what they point to is not in the code folder.
    for (const entry of entries) if (entry.isDirectory() && !SKIPPED.has(entry.name)) await walk(join(folder, entry.name));
  };
  walk(dir).catch((error: unknown) => debug('watching %s: %s', dir, (error as Error).message));
  return { close };
}
