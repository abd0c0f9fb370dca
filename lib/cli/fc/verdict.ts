// What one check concluded, before anyone prints it: a check is a pure function from what was observed to one of these.

export type Verdict = { ok: true; what: string } | { ok: false; what: string; fix: string };

/**
 * One check: a pure verdict over the evidence it is given, undefined when the evidence does not let
 * it judge (an earlier check already failed on what it would look at).
 */
export type Check<Evidence, V extends Verdict = Verdict> = (evidence: Evidence) => V | undefined;

export function pass(what: string): Verdict {
  return { ok: true, what };
}

export function fail(what: string, fix: string): Verdict {
  return { ok: false, what, fix };
}
