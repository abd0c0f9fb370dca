// FC's Start and End log markers around each request, as the specs check them.
import { expect } from 'chai';
import { escapeRegExp } from './output';

export type MarkerKind = 'Invoke' | 'Initialize' | 'PreFreeze' | 'PreStop';

/** Where the markers are written: a recording of this process's output (recordOutput()). */
export interface MarkedLog {
  /** Resolves with the first line matching `pattern`, as soon as it is written. */
  waitFor(pattern: RegExp): Promise<string>;
  /** Lines of stdout, in the order written. */
  readonly stdoutLines: string[];
}

/**
 * Exactly one Start before exactly one End marker of `kind` for this request id, once the End is
 * written. Resolves with the two markers' line indexes.
 */
export async function expectOneInvocation(log: MarkedLog, kind: MarkerKind, requestId: string): Promise<{ start: number; end: number }> {
  await log.waitFor(new RegExp(`^FC ${kind} End RequestId: ${escapeRegExp(requestId)}$`));
  const lines = log.stdoutLines;
  const starts = lines.flatMap((line, i) => (line === `FC ${kind} Start RequestId: ${requestId}` ? [i] : []));
  const ends = lines.flatMap((line, i) => (line === `FC ${kind} End RequestId: ${requestId}` ? [i] : []));
  expect(starts, `${kind} Start markers of ${requestId}`).to.have.length(1);
  expect(ends, `${kind} End markers of ${requestId}`).to.have.length(1);
  expect(starts[0]).to.be.below(ends[0]);
  return { start: starts[0], end: ends[0] };
}
