// Keeps the access key secret and security token out of every byte written to stdout and stderr.

/** Shorter values cannot be told apart from ordinary text, so they are not redacted. */
export const MIN_SECRET_LENGTH = 6;
export const REDACTED = '[redacted]';

// Credentials rotate: the newest few are kept, the oldest forgotten first.
const secrets: string[] = [];
const MAX_SECRETS = 16;

export function rememberSecret(value: string | undefined): void {
  if (value === undefined || value.length < MIN_SECRET_LENGTH || secrets.includes(value)) return;
  secrets.unshift(value);
  if (secrets.length > MAX_SECRETS) secrets.pop();
}

export function redact(text: string): string {
  for (const secret of secrets) {
    if (text.includes(secret)) text = text.replaceAll(secret, REDACTED);
  }
  return text;
}

function redactChunk(chunk: unknown): unknown {
  if (typeof chunk === 'string') return redact(chunk);
  if (chunk instanceof Uint8Array) {
    const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (const secret of secrets) {
      if (buffer.includes(secret)) return Buffer.from(redact(buffer.toString('utf8')), 'utf8');
    }
  }
  return chunk;
}

const guarded = new WeakSet<NodeJS.WritableStream>();

/**
 * Wraps the stream's write so that whatever the app prints — console, process.stdout.write, a
 * logging library — passes through redaction. Installed once per stream; `before` runs ahead of
 * every write (stdout's: our own queued lines go first, so the order of the calls is kept).
 */
export function guardStream(stream: NodeJS.WritableStream, before?: () => void): void {
  if (guarded.has(stream)) return;
  guarded.add(stream);
  const write = stream.write as (...args: unknown[]) => boolean;
  stream.write = function redactingWrite(this: NodeJS.WritableStream, chunk: unknown, ...rest: unknown[]) {
    if (before !== undefined) before();
    return write.call(this, secrets.length === 0 ? chunk : redactChunk(chunk), ...rest);
  } as NodeJS.WritableStream['write'];
}
