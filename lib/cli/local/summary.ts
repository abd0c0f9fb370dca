// The lines the local FC prints about each call: what FC's console shows for an invocation.
import type { IncomingHttpHeaders } from 'http';
import { parseMarker } from '../../logging/format';
import { failed, fcStatus } from '../fc/answer';
import type { Instance } from '../fc/instance';

/** How long the runtime's End marker for a call may trail its answer before the call's line is printed anyway. */
const MARKER_WAIT_MS = 300;

/** Resolves once the runtime's End marker for `requestId` is out (or a moment later): the call's line then reads after its log. */
export async function afterEndMarker(instance: Instance | undefined, requestId: string): Promise<void> {
  const isEnd = (line: string) => {
    const marker = parseMarker(line);
    return marker?.edge === 'End' && marker.requestId === requestId;
  };
  await instance?.runtime.waitForLine(isEnd, MARKER_WAIT_MS);
}

export interface CallSummary {
  /** What was called: `Invoke`, `Initialize`, `GET /path?query`. */
  what: string;
  status: number | string;
  headers?: IncomingHttpHeaders;
  ms: number;
  requestId: string;
  /** More words at the end: the size sent back, a problem. */
  note?: string;
}

/** `FC Invoke: 200, x-fc-status 200, 12.3 ms, RequestId: …` — ` (failed)` appended when FC counts it as a failure. */
export function summaryLine({ what, status, headers = {}, ms, requestId, note }: CallSummary): string {
  const fc = fcStatus(headers);
  const parts = [`FC ${what}: ${status}`, `x-fc-status ${fc ?? 'none'}`, `${ms.toFixed(1)} ms`];
  if (note !== undefined) parts.push(note);
  parts.push(`RequestId: ${requestId}`);
  return `${parts.join(', ')}${failed(headers) ? ' (failed)' : ''}\n`;
}

/** The warning at the first write into the code folder, which is read-only on FC. */
export function codeFolderWarning(file: string): string {
  return (
    `fc-runtime local: the function wrote ${file} in its code folder, which is read-only on FC (the write would fail there); ` +
    'write under /tmp instead (os.tmpdir()), e.g. logs and run files (Egg: config.logger.dir and config.rundir).\n'
  );
}
