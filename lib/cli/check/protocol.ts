// Whether the runtime keeps FC's custom-runtime protocol: it listens where FC connects, says it started, answers each request between its markers, and stops on SIGTERM.
import { INITED_LINE, parseMarker } from '../../logging/format';
import { OFFICIAL_RUNTIME } from '../../options';
import type { MarkerKind } from '../../routing';
import { failed, fcStatus } from '../fc/answer';
import { fail, pass, type Verdict } from '../fc/verdict';
import type { Answer } from './headers';

/** The fix of a check whose reason is in the runtime's output: the check then prints its last lines. */
export const SEE_LOG = "see the runtime's log below";
const FC_RUNTIME_FIX = 'put fcRuntime() in front: run the site with `node -r express-fc-runtime/register` (`fc-runtime init` writes it)';

/** A request's outcome: its answer, or why there was none. */
export type Outcome = { answer: Answer & { ms: number } } | { error: string };

/** How the server's start went: not tried (the bootstrap cannot run), failed with the instance's message, or listening. */
export type Start = { startTimeout: number } & (
  | { state: 'skipped' }
  | { state: 'failed'; error: string }
  | { state: 'listening'; port: number; addresses: string[] | undefined; startMs: number }
);

/** `127.0.0.1:9000`, `[::]:9000`. */
function endpoint(address: string, port: number): string {
  return `${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/** The instance's start errors read `problem (FC: …); fix.`: the check prints them as `problem — fix`. */
function splitMessage(message: string): [string, string] {
  const cut = message.lastIndexOf('; ');
  if (cut < 0) return [message.replace(/\.$/, ''), SEE_LOG];
  return [
    message.slice(0, cut),
    message
      .slice(cut + 2)
      .replace(/\.$/, '')
      .replace('see its log above', SEE_LOG),
  ];
}

export function listensVerdict(start: Start): Verdict {
  switch (start.state) {
    case 'skipped':
      return fail('the server was not started', 'fix the bootstrap as above, then run `fc-runtime check` again');
    case 'failed':
      return fail(...splitMessage(start.error));
    case 'listening': {
      const where = (start.addresses ?? ['an address']).map((address) => endpoint(address, start.port)).join(', ');
      return pass(`the server listens on ${where} within ${start.startTimeout} s (after ${start.startMs} ms)`);
    }
  }
}

export function coldStartVerdict(lines: readonly string[]): Verdict {
  const line = lines.find((text) => INITED_LINE.test(text));
  if (line === undefined) {
    return fail(
      'no "FunctionCompute <name> runtime inited." line at cold start',
      'print it once, when the server listens (serve() and register do)',
    );
  }
  const name = (INITED_LINE.exec(line) as RegExpExecArray)[1];
  if (OFFICIAL_RUNTIME.test(name)) {
    return fail(
      `the cold-start line calls the runtime "${name}", a name FC reserves for its own`,
      "pick another, e.g. fcRuntime({ runtime: 'express' }) or EXPRESS_FC_RUNTIME=express",
    );
  }
  return pass(`cold-start line: ${line}`);
}

/** Whether `line` is the `edge` marker of a `kind` invocation with this request id (a Start marker carries no error). */
export function isMarker(line: string, kind: MarkerKind, edge: 'Start' | 'End', requestId: string): boolean {
  const marker = parseMarker(line);
  return marker?.kind === kind && marker.edge === edge && marker.requestId === requestId && (edge === 'End' || marker.error === undefined);
}

function statusText(answer: Answer): string {
  const fc = fcStatus(answer.headers);
  return `answered ${answer.status}${fc === undefined ? '' : ` (x-fc-status ${fc})`}`;
}

/** One request's check: it was answered (and, for hooks, `judge` found no problem), between its FC markers in `lines`. */
export function requestVerdict(
  what: string,
  outcome: Outcome,
  kind: MarkerKind,
  lines: readonly string[],
  judge?: (answer: Answer) => string | undefined,
): Verdict {
  if ('error' in outcome) return fail(`${what} got no answer: ${outcome.error}`, SEE_LOG);
  const { answer } = outcome;
  const problem = judge?.(answer);
  if (problem !== undefined) return fail(`${answer.what} ${statusText(answer)}: ${problem}`, SEE_LOG);
  const logged = (edge: 'Start' | 'End') => lines.some((line) => isMarker(line, kind, edge, answer.requestId));
  const missing = (['Start', 'End'] as const).filter((edge) => !logged(edge));
  if (missing.length > 0) {
    const markers = `"FC ${kind} ${missing.join('/')} RequestId: ${answer.requestId}" line${missing.length > 1 ? 's' : ''}`;
    return fail(`${answer.what} ${statusText(answer)} but logged no ${markers}`, FC_RUNTIME_FIX);
  }
  return pass(`${answer.what} ${statusText(answer)} in ${Math.round(answer.ms)} ms, between its FC ${kind} Start/End lines`);
}

/** FC starts no instance whose initializer failed. */
export function initializerFailed(answer: Answer): string | undefined {
  return failed(answer.headers) || answer.status >= 500 ? 'the initializer failed, so FC would not start the instance' : undefined;
}

/** FC restarts an instance whose lifecycle hook answers 5xx. */
export function hookFailed(answer: Answer): string | undefined {
  return answer.status >= 500 ? 'FC restarts an instance whose hook answers 5xx' : undefined;
}

/** The runtime must outlive FC's requests; undefined (nothing to say) while it runs. */
export function stillRunningVerdict(exitStatus: number | string | undefined): Verdict | undefined {
  return exitStatus === undefined ? undefined : fail(`the runtime exited (${exitStatus}) during the checks`, SEE_LOG);
}

/** How the runtime ended after SIGTERM: `ms` later, with this exit code or signal (SIGKILL: it had to be killed). */
export function sigtermVerdict({ ms, exitStatus }: { ms: number; exitStatus: number | string | undefined }): Verdict {
  if (exitStatus === 'SIGKILL') {
    return fail(
      `the runtime was still running ${Math.round(ms / 1000)} s after SIGTERM and was killed`,
      'on SIGTERM, close the server and exit (serve() and register do)',
    );
  }
  const how = typeof exitStatus === 'number' ? `exit code ${exitStatus}` : `ended by ${String(exitStatus)}`;
  return pass(`the runtime stopped ${ms} ms after SIGTERM (${how})`);
}
