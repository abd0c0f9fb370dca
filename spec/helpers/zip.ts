// A ZIP the CLI wrote, read back with yauzl: every entry with its Unix mode and bytes, or unpacked as FC unpacks it.
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'fs';
import { dirname, join } from 'path';
import { open, type Entry } from 'yauzl';

/** One entry as stored. */
export interface Stored {
  /** The Unix mode from the entry's external attributes: 0o100755 for an executable file, 0o120777 for a link. */
  mode: number;
  content: Buffer;
}

/** The archive read back: every entry by name (a folder's with no bytes). */
export function readZip(path: string): Promise<Map<string, Stored>> {
  return new Promise((resolve, reject) =>
    open(path, { lazyEntries: true }, (error, zip) => {
      if (error) return reject(error);
      const entries = new Map<string, Stored>();
      zip.on('entry', (entry: Entry) => {
        const mode = entry.externalFileAttributes >>> 16;
        if (entry.fileName.endsWith('/')) {
          entries.set(entry.fileName, { mode, content: Buffer.alloc(0) });
          return zip.readEntry();
        }
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError) return reject(streamError);
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.once('end', () => {
            entries.set(entry.fileName, { mode, content: Buffer.concat(chunks) });
            zip.readEntry();
          });
        });
      });
      zip.once('end', () => resolve(entries));
      zip.once('error', reject);
      zip.readEntry();
    }),
  );
}

/** Unpacks a ZIP into `into` as FC does: files with their modes, links as links. */
export async function unzip(zipPath: string, into: string): Promise<void> {
  for (const [name, { mode, content }] of await readZip(zipPath)) {
    const target = join(into, name);
    if (name.endsWith('/')) {
      mkdirSync(target, { recursive: true });
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    if ((mode & 0o170000) === 0o120000) symlinkSync(content.toString(), target);
    else {
      writeFileSync(target, content);
      chmodSync(target, mode & 0o7777);
    }
  }
}
