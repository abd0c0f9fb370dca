// FC's Start and End log markers around each request, as the specs check them, read with the runtime's own marker format.
import { expect } from 'chai';
import { endMarker, startMarker } from '../../lib/logging/format';
import type { MarkerKind } from '../../lib/routing';
import { escapeRegExp } from './output';

/** Where the markers are written: a recording of this process's output (recordOutput()). */
export interface MarkedLog {
  /** Resolves with the first line matching `pattern`, as soon as it is written. */
  waitFor(pattern: RegExp): Promise<string>;
  /** Lines of stdout, in the order written. */
  readonly stdoutLines: string[];
}

/**
 * Exactly one Start before exactly one End marker of `kind` for this request id (an End without
 * an error), once the End is written. Resolves with the two markers' line indexes.
 */
export async function expectOneInvocation(log: MarkedLog, kind: MarkerKind, requestId: string): Promise<{ start: number; end: number }> {
  const startLine = startMarker(kind, requestId).trimEnd();
  const endLine = endMarker(kind, requestId).trimEnd();
  await log.waitFor(new RegExp(`^${escapeRegExp(endLine)}$`));
  const lines = log.stdoutLines;
  const starts = lines.flatMap((line, i) => (line === startLine ? [i] : []));
  const ends = lines.flatMap((line, i) => (line === endLine ? [i] : []));
  expect(starts, `${kind} Start markers of ${requestId}`).to.have.length(1);
  expect(ends, `${kind} End markers of ${requestId}`).to.have.length(1);
  expect(starts[0]).to.be.below(ends[0]);
  return { start: starts[0], end: ends[0] };
}
