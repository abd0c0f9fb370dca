// What one check concluded, before anyone prints it: a check is a pure function from what was observed to one of these.

/**
 * Passed, passed with a warning (FC takes and starts the function, but the site would misbehave on
 * it: `warning` says the fix), or failed (FC would reject the deploy or not start the function).
 */
export type Verdict = { ok: true; what: string; warning?: string } | { ok: false; what: string; fix: string };

/**
 * One check: a pure verdict over the evidence it is given, undefined when the evidence does not let
 * it judge (an earlier check already failed on what it would look at).
 */
export type Check<Evidence, V extends Verdict = Verdict> = (evidence: Evidence) => V | undefined;

export function pass(what: string): Verdict {
  return { ok: true, what };
}

/** Not a failure (the exit status stays 0), but a site that would misbehave on FC, with the fix. */
export function warn(what: string, fix: string): Verdict {
  return { ok: true, what, warning: fix };
}

export function fail(what: string, fix: string): Verdict {
  return { ok: false, what, fix };
}
