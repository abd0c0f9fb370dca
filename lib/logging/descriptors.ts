// Writes straight to file descriptors 1 and 2 (pino's sonic-boom, fs.writeSync(1, …)): after our queued lines, in the order called, and redacted.
import fs from 'fs';
import { hasSecrets, isStreamWriting, redactChunk } from './redact';

type WriteSync = (fd: number, data: unknown, ...rest: unknown[]) => number;
type Write = (fd: number, data: unknown, ...rest: unknown[]) => void;
type WriteCallback = (error: Error | null, written?: number, data?: unknown) => void;

let installed = false;

/** What `data` (with writeSync's offset and length, or options) would write: a string, or the bytes in range. */
function written(data: unknown, rest: unknown[]): unknown {
  if (!(data instanceof Uint8Array)) return data;
  const [first, second] = rest;
  const options = typeof first === 'object' && first !== null ? (first as { offset?: number; length?: number }) : undefined;
  const offset = (options === undefined ? (first as number | undefined) : options.offset) ?? 0;
  const length = (options === undefined ? (second as number | undefined) : options.length) ?? data.byteLength - offset;
  return offset === 0 && length === data.byteLength ? data : data.subarray(offset, offset + length);
}

/** The byte length the caller asked to write: a logging library counts what was written against it. */
function byteLength(data: unknown, rest: unknown[]): number {
  if (typeof data === 'string') return Buffer.byteLength(data, typeof rest[1] === 'string' ? (rest[1] as BufferEncoding) : 'utf8');
  return (written(data, rest) as Uint8Array).byteLength;
}

/**
 * Wraps fs.writeSync and fs.write for descriptors 1 and 2: `before` runs first (stdout's queue is
 * written, so the Start marker precedes the line on either), then secrets are redacted; fs.write
 * writes at once, as fs.writeSync does, and calls back on the next tick. A write with a
 * secret goes out redacted in one piece and reports the length the caller gave, as if written
 * whole. Once per process; every other descriptor goes straight through.
 */
export function guardDescriptors(before: () => void): void {
  if (installed) return;
  installed = true;
  const writeSync = fs.writeSync as unknown as WriteSync;
  const write = fs.write as unknown as Write;

  const guardedWriteSync: WriteSync = function fcWriteSync(fd, data, ...rest) {
    if ((fd !== 1 && fd !== 2) || isStreamWriting()) return writeSync(fd, data, ...rest);
    before();
    if (!hasSecrets()) return writeSync(fd, data, ...rest);
    const chunk = written(data, rest);
    const redacted = redactChunk(chunk);
    if (redacted === chunk) return writeSync(fd, data, ...rest);
    writeSync(fd, redacted);
    return byteLength(data, rest);
  };
  (fs as { writeSync: WriteSync }).writeSync = guardedWriteSync;

  (fs as { write: Write }).write = function fcWrite(fd, data, ...rest) {
    if ((fd !== 1 && fd !== 2) || isStreamWriting()) return write(fd, data, ...rest);
    const callback = rest[rest.length - 1] as WriteCallback;
    // Without a callback fs.write throws its own error.
    if (typeof callback !== 'function') return write(fd, data, ...rest);
    // Written now, through guardedWriteSync (the queue first, then redacted), with the callback called as fs.write would:
    // an asynchronous write runs on libuv's thread pool and lands whenever it gets there — after
    // the End marker that process.stdout.write writes at once. pino's default destination (an
    // asynchronous sonic-boom on fd 1) had a request's lines follow its End marker (loggers.spec).
    // Node writes stdout to a file or a pipe synchronously for the same reason. A full pipe throws
    // EAGAIN here, which the callback gets, as it would have from fs.write.
    let length: number;
    try {
      length = guardedWriteSync(fd, data, ...rest.slice(0, -1));
    } catch (error) {
      process.nextTick(callback, error);
      return;
    }
    process.nextTick(callback, null, length, data);
  };
}
