// An answer of the runtime as FC reads it: the whole answer to a control request, and FC's verdict from its x-fc-status.
import type { IncomingHttpHeaders } from 'http';

/** A whole answer to a control request. */
export interface ControlAnswer {
  requestId: string;
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  ms: number;
}

/** The `x-fc-status` the runtime answered, if any. */
export function fcStatus(headers: IncomingHttpHeaders): string | undefined {
  const value = headers['x-fc-status'];
  return Array.isArray(value) ? value[0] : value;
}

/** FC's verdict: a call failed when `x-fc-status` says anything but 200; without the header it succeeded. */
export function failed(headers: IncomingHttpHeaders): boolean {
  const status = fcStatus(headers);
  return status !== undefined && status.trim() !== '200';
}
