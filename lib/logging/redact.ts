// Keeps the access key secret and security token out of every byte written to stdout and stderr.

/** Shorter values cannot be told apart from ordinary text, so they are not redacted. */
export const MIN_SECRET_LENGTH = 6;
export const REDACTED = '[redacted]';

// The environment's credentials (the function's role, ALIBABA_CLOUD_*) are kept for good. A
// request may carry its own: the last MAX_REQUEST_SECRETS values are kept, least recently seen
// first. On FC those are FC's (the same STS pair for hours on an instance); off FC no request's
// headers are taken as credentials at all. So nothing a request sends can push the environment's
// out, and the list, which every write scans, stays short: `secrets` is rebuilt only when it changes.
const MAX_REQUEST_SECRETS = 64;
const pinned = new Set<string>();
const recent = new Map<string, true>();
let secrets: string[] = [];
// Every secret in one alternation, longest first: one pass over the text whatever the list's length.
// A loop of includes() scanned it once per secret: 66 secrets cost 50 times 2 on a 4 KB write.
let pattern: { found: RegExp; every: RegExp } | undefined;
// FC sends every request of an instance the same credentials for hours: that pair again costs two comparisons.
let lastSecret: string | undefined;
let lastToken: string | undefined;

/** Redacts the environment's access key secret and security token for good (either may be undefined). */
export function pinCredentials(secret: string | undefined, token: string | undefined): void {
  for (const value of [secret, token]) {
    if (value === undefined || value.length < MIN_SECRET_LENGTH || pinned.has(value)) continue;
    pinned.add(value);
    recent.delete(value);
    rebuild();
  }
}

/** Redacts a request's access key secret and security token from now on (either may be undefined). */
export function rememberCredentials(secret: string | undefined, token: string | undefined): void {
  if (secret === lastSecret && token === lastToken) return;
  lastSecret = secret;
  lastToken = token;
  remember(secret);
  remember(token);
}

function remember(value: string | undefined): void {
  if (value === undefined || value.length < MIN_SECRET_LENGTH || pinned.has(value)) return;
  if (recent.delete(value)) {
    recent.set(value, true);
    return;
  }
  recent.set(value, true);
  if (recent.size > MAX_REQUEST_SECRETS) recent.delete(recent.keys().next().value as string);
  rebuild();
}

function rebuild(): void {
  // Longest first: a secret inside another (a token that contains the secret) never leaves the rest of the longer one.
  secrets = [...pinned, ...recent.keys()].sort((a, b) => b.length - a.length);
  const source = secrets.map((secret) => secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  pattern = { found: new RegExp(source), every: new RegExp(source, 'g') };
}

/** Whether any secret is known: with none, a write need not be looked at. */
export function hasSecrets(): boolean {
  return secrets.length > 0;
}

export function redact(text: string): string {
  // test() first: most writes hold no secret, and replace() would copy them.
  return pattern?.found.test(text) === true ? text.replace(pattern.every, REDACTED) : text;
}

/** The chunk with every secret redacted: the same object when it has none, else a new string or Buffer. */
export function redactChunk(chunk: unknown): unknown {
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
let streamWriting = false;

/**
 * Whether a guarded stream is writing right now: stdout to a file writes through fs.writeSync, and
 * what the stream has already redacted needs no second pass at the descriptor.
 */
export function isStreamWriting(): boolean {
  return streamWriting;
}

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
    streamWriting = true;
    try {
      return write.call(this, secrets.length === 0 ? chunk : redactChunk(chunk), ...rest);
    } finally {
      streamWriting = false;
    }
  };
}
