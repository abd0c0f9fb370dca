// Keeps the access key secret and security token out of every byte written to stdout and stderr.

/** Shorter values cannot be told apart from ordinary text, so they are not redacted. */
export const MIN_SECRET_LENGTH = 6;
export const REDACTED = '[redacted]';

// Every request may carry its own credentials. They are kept least recently seen first, up to far
// more pairs than FC ever runs at once on an instance (200), so a request's secrets are still known
// when it logs, however many others arrived since. `secrets` is the list redaction scans, rebuilt
// only when a secret is added or forgotten.
const MAX_SECRETS = 1024;
const seen = new Map<string, true>();
let secrets: string[] = [];
// FC sends every request of an instance the same credentials for hours: that pair again costs two comparisons.
let lastSecret: string | undefined;
let lastToken: string | undefined;

/** Redacts this access key secret and security token from now on (either may be undefined). */
export function rememberCredentials(secret: string | undefined, token: string | undefined): void {
  if (secret === lastSecret && token === lastToken) return;
  lastSecret = secret;
  lastToken = token;
  remember(secret);
  remember(token);
}

function remember(value: string | undefined): void {
  if (value === undefined || value.length < MIN_SECRET_LENGTH) return;
  if (seen.delete(value)) {
    seen.set(value, true);
    return;
  }
  seen.set(value, true);
  if (seen.size > MAX_SECRETS) seen.delete(seen.keys().next().value as string);
  secrets = [...seen.keys()];
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
type Write = (this: NodeJS.WritableStream, ...args: unknown[]) => boolean;

/**
 * Wraps the stream's write so that whatever the app prints — console, process.stdout.write, a
 * logging library — passes through redaction. Installed once per stream; `before` runs ahead of
 * every write (stdout's: our own queued lines go first, so the order of the calls is kept).
 */
export function guardStream(stream: NodeJS.WritableStream, before?: () => void): void {
  if (guarded.has(stream)) return;
  guarded.add(stream);
  const write = (stream as { write: Write }).write;
  stream.write = function redactingWrite(this: NodeJS.WritableStream, chunk: unknown, ...rest: unknown[]) {
    if (before !== undefined) before();
    return write.call(this, secrets.length === 0 ? chunk : redactChunk(chunk), ...rest);
  };
}
