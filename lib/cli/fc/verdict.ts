// What one check concluded, before it is printed: pure functions of what was observed produce these.
import type { Report } from '../check/report';

export type Verdict = { ok: true; what: string } | { ok: false; what: string; fix: string };

export function pass(what: string): Verdict {
  return { ok: true, what };
}

export function fail(what: string, fix: string): Verdict {
  return { ok: false, what, fix };
}

export function print(report: Report, verdict: Verdict): void {
  if (verdict.ok) report.pass(verdict.what);
  else report.fail(verdict.what, verdict.fix);
}
