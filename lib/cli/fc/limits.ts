// FC 3.0's limits on what passes between a client and the function, enforced locally so a site that works here works on FC.

/** The largest body of a synchronous invocation, event or HTTP request: 32 MB. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;
/** The largest body of an asynchronous invocation (`x-fc-invocation-type: Async`): 128 KB. */
export const MAX_ASYNC_BODY_BYTES = 128 * 1024;
/** The largest request header block, every name and value counted: 8 KB. */
export const MAX_REQUEST_HEADER_BYTES = 8 * 1024;
/** The longest request path, query included: 4 KB. */
export const MAX_PATH_BYTES = 4 * 1024;
/** The largest block of response headers FC passes on: 8 KB; over it FC answers 502. */
export const MAX_RESPONSE_HEADER_BYTES = 8 * 1024;

/** The size of a response's header block as the runtime wrote it: each `name: value\r\n`. */
export function headerBytes(rawHeaders: readonly string[]): number {
  let total = 0;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) total += Buffer.byteLength(rawHeaders[i]) + Buffer.byteLength(rawHeaders[i + 1]) + 4;
  return total;
}

/** The size FC counts for a request's headers: every name and value, as the client sent them. */
export function requestHeaderBytes(rawHeaders: readonly string[]): number {
  let total = 0;
  for (const text of rawHeaders) total += Buffer.byteLength(text);
  return total;
}

/** The request's first limit FC would answer 400 InvalidArgument for, in words; undefined within them. */
export function requestOverLimit(url: string, rawHeaders: readonly string[]): string | undefined {
  const path = Buffer.byteLength(url);
  if (path > MAX_PATH_BYTES) return `the path with its query is ${path} bytes, over FC's 4 KB limit.`;
  const headers = requestHeaderBytes(rawHeaders);
  if (headers > MAX_REQUEST_HEADER_BYTES) return `the request headers are ${headers} bytes, over FC's 8 KB limit.`;
  return undefined;
}

// FC 3.0 lets no function set these (nor x-fc-* but x-fc-status) and writes its own; Node's server
// writes them on every answer (and the front its own), so dropping them is not the app's doing and
// deserves no warning. content-length is FC's too, but it counts the same bytes the front passes on,
// so the client sees the same value either way: it passes.
const FRAMING = new Set(['connection', 'keep-alive', 'date', 'transfer-encoding']);
const FORBIDDEN = new Set(['server', 'upgrade']);

/** What FC does with one response header the runtime sets: passed on, dropped silently, or dropped with a warning. */
export function responseHeaderFate(name: string): 'pass' | 'drop' | 'forbidden' {
  const lower = name.toLowerCase();
  if (FRAMING.has(lower)) return 'drop';
  if (FORBIDDEN.has(lower)) return 'forbidden';
  if (lower.startsWith('x-fc-') && lower !== 'x-fc-status') return 'forbidden';
  return 'pass';
}

// A client cannot send FC's own headers (FC sets them) nor per-hop ones; the front sets its own.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'upgrade', 'expect', 'trailer']);

/** Whether a client's request header reaches the function. */
export function passesRequestHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return !HOP_BY_HOP.has(lower) && !lower.startsWith('x-fc-');
}

/** The request header a client may send FC to ask for an asynchronous invocation: FC reads it, the function never sees it. */
export const INVOCATION_TYPE = 'x-fc-invocation-type';
