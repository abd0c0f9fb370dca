// Writes the selection as a ZIP with yazl: Unix modes kept (bootstrap 755), links as links, compressed formats stored, each file counted as it goes in.
import { createReadStream, createWriteStream, statSync } from 'fs';
import { ZipFile } from 'yazl';
import type { Selection } from './files';
import type { Progress } from './progress';

const FOLDER_MODE = 0o40755;
const LINK_MODE = 0o120777;
// Formats that are compressed already: deflate would spend time to gain nothing, so they are stored.
const COMPRESSED = /\.(png|jpe?g|gif|webp|avif|woff2?|gz|tgz|br|zst|xz|bz2|7z|zip|jar|mp3|mp4|m4a|webm|mov|ogg)$/i;

/** Writes the ZIP to `path`; resolves with its size. Rejects with the first read or write error. */
export function writeZip(selection: Selection, path: string, progress: Progress): Promise<number> {
  const zip = new ZipFile();
  const out = createWriteStream(path);
  /** The entry yazl is reading: its errors do not say which. */
  let current = '';
  const written = new Promise<number>((resolve, reject) => {
    const fail = (error: Error) => {
      out.destroy();
      reject(error);
    };
    zip.once('error', (error: Error) => fail(new Error(`${current}: ${error.message}`)));
    out.once('error', fail);
    out.once('close', () => resolve(statSync(path).size));
  });
  zip.outputStream.pipe(out);
  for (const folder of selection.emptyFolders) zip.addEmptyDirectory(folder, { mode: FOLDER_MODE });
  for (const file of selection.files) {
    zip.addReadStreamLazy(
      file.zipPath,
      { mode: file.mode, mtime: file.mtime, size: file.size, compress: !COMPRESSED.test(file.zipPath) },
      (callback) => {
        current = file.zipPath;
        const stream = createReadStream(file.realPath);
        stream.once('error', (error) => zip.emit('error', error));
        stream.once('end', () => progress.add(file.size));
        callback(null, stream);
      },
    );
  }
  for (const link of selection.links)
    zip.addBuffer(Buffer.from(link.target), link.zipPath, { mode: LINK_MODE, mtime: link.mtime, compress: false });
  zip.end();
  return written;
}
