// FC's asynchronous HTTP invocation (`x-fc-invocation-type: Async`): the body read whole within FC's 128 KB, and an answer nobody reads.
import type { IncomingMessage } from 'http';
import { Writable } from 'stream';
import { MAX_ASYNC_BODY_BYTES } from '../fc/limits';

/** Whether the client asked FC to run its request later. */
export function isAsync(req: IncomingMessage): boolean {
  return (
    String(req.headers['x-fc-invocation-type'] ?? '')
      .trim()
      .toLowerCase() === 'async'
  );
}

/**
 * The whole body, or undefined once it passes 128 KB (the rest is read and dropped, so the client
 * can still be answered on its connection). Rejects if the client goes away first.
 */
export function readAsyncBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_ASYNC_BODY_BYTES) return void chunks.push(chunk);
      req.off('data', onData);
      req.resume();
      resolve(undefined);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('close', () => req.complete || reject(new Error('the client went away before its body was read')));
  });
}

/** Where the function's answer to an asynchronous invocation goes: FC keeps its status for the log and drops the body. */
export class Discard extends Writable {
  statusCode = 0;
  headersSent = false;

  writeHead(status: number): this {
    this.statusCode = status;
    this.headersSent = true;
    return this;
  }

  override _write(_chunk: unknown, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    done();
  }
}
