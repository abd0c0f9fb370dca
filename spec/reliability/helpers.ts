// Helpers of the reliability suite: raw TCP connections, bounded concurrency, and marker counting over whole logs.
import { expect } from 'chai';
import { connect, type Socket } from 'net';
import { endMarker, parseMarker } from '../../lib/logging/format';
import type { MarkerKind } from '../../lib/routing';
import { escapeRegExp } from '../helpers/output';

export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Runs `task(0..count-1)` with at most `concurrency` in flight; rejects with the first failure. */
export async function pool(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** A raw TCP connection to the server, for requests Node's client would refuse to send. */
export function rawConnection(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the server sends on `socket` until it closes the connection. */
export function readAll(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(text));
  });
}

/** Start and End marker lines of one kind, by request id, in one pass over the log. */
export function markerPositions(lines: readonly string[], kind: MarkerKind = 'Invoke'): Map<string, { starts: number[]; ends: number[] }> {
  const byId = new Map<string, { starts: number[]; ends: number[] }>();
  lines.forEach((line, index) => {
    const marker = parseMarker(line);
    if (marker === undefined || marker.kind !== kind) return;
    let found = byId.get(marker.requestId);
    if (found === undefined) byId.set(marker.requestId, (found = { starts: [], ends: [] }));
    (marker.edge === 'Start' ? found.starts : found.ends).push(index);
  });
  return byId;
}

/**
 * Exactly one Start then exactly one End marker for each id, and no marker for any other id.
 * Counts every id at once, for logs of thousands of invocations.
 */
export function expectMarkersOnce(lines: readonly string[], ids: readonly string[], kind: MarkerKind = 'Invoke'): void {
  const byId = markerPositions(lines, kind);
  const wrong: string[] = [];
  for (const id of ids) {
    const found = byId.get(id);
    if (found === undefined) wrong.push(`${id}: no marker`);
    else if (found.starts.length !== 1 || found.ends.length !== 1)
      wrong.push(`${id}: ${found.starts.length} Start, ${found.ends.length} End`);
    else if (found.starts[0] > found.ends[0]) wrong.push(`${id}: End before Start`);
  }
  expect(wrong.slice(0, 10), `${wrong.length} of ${ids.length} request ids without exactly one Start then one End`).to.deep.equal([]);
  const expected = new Set(ids);
  const strangers = [...byId.keys()].filter((id) => !expected.has(id));
  expect(strangers.slice(0, 10), 'markers of request ids nobody sent').to.deep.equal([]);
}

/** The part of a recordOutput() recording these helpers read. */
export interface Log {
  readonly stdoutLines: string[];
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/** Resolves once every id's End marker of `kind` is written (they come a loop turn after the answer). */
export async function waitForEnds(log: Log, ids: readonly string[], kind: MarkerKind = 'Invoke'): Promise<void> {
  for (;;) {
    const byId = markerPositions(log.stdoutLines, kind);
    const missing = ids.find((id) => (byId.get(id)?.ends.length ?? 0) === 0);
    if (missing === undefined) return;
    const pattern = new RegExp(`^${escapeRegExp(endMarker(kind, missing).trimEnd())}(,|$)`);
    // The recording's own message lists every line: far too many for thousands of invocations.
    await log.waitFor(pattern, 10_000).catch(() => {
      throw new Error(`no ${kind} End marker for ${missing} within 10 s (${ids.length} ids awaited)`);
    });
  }
}

/**
 * The stress counts, times env RELIABILITY_SCALE (a fraction from 0 to 1, default 1): the runs
 * on the other Node versions (scripts/test-versions.sh) use a fifth of them, the main run all.
 */
export function scaled(count: number, multipleOf = 1): number {
  const raw = process.env.RELIABILITY_SCALE;
  const scale = raw === undefined || raw === '' ? 1 : Number(raw);
  if (!(scale > 0 && scale <= 1)) throw new TypeError(`RELIABILITY_SCALE must be a number above 0 and at most 1, got "${String(raw)}"`);
  return Math.max(multipleOf, Math.round((count * scale) / multipleOf) * multipleOf);
}
