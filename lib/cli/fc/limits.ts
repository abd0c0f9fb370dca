// FC's limits on what passes between a client and the function, enforced locally so a site that works here works on FC.

/** The largest body of a synchronous invocation, event or HTTP request: 32 MB. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;
/** The largest block of response headers FC passes on: 8 KB; over it FC answers 502. */
export const MAX_RESPONSE_HEADER_BYTES = 8 * 1024;

/** The size of a response's header block as the runtime wrote it: each `name: value\r\n`. */
export function headerBytes(rawHeaders: readonly string[]): number {
  let total = 0;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) total += Buffer.byteLength(rawHeaders[i]) + Buffer.byteLength(rawHeaders[i + 1]) + 4;
  return total;
}

// Node's own server writes these on every answer (and the front writes its own), so dropping them
// is not the app's doing and deserves no warning.
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
