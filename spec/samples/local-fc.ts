// A sample served by `fc-runtime local start`, its real bootstrap behind the local HTTP trigger, as the sample specs drive it.
import { expect } from 'chai';
import { existsSync } from 'fs';
import { join } from 'path';
import { endMarker, parseMarker, startMarker } from '../../lib/logging/format';
import type { MarkerKind } from '../../lib/routing';
import { freePorts } from '../helpers/apps';
import type { Child } from '../helpers/child';
import { expectOneInvocation } from '../helpers/markers';
import { escapeRegExp } from '../helpers/output';
import { cli, ROOT } from '../helpers/sites';

/** A sample's folder in this repository. */
export function sampleDir(name: string): string {
  return join(ROOT, 'samples', name);
}

/** A sample's exported app or function, loaded as `node server.js` would load it (without listening). */
export function loadSample(name: string, file: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the sample's CommonJS file; required, it is not require.main, so it does not listen
  return require(join(sampleDir(name), file));
}

export interface LocalFc {
  /** `http://127.0.0.1:<port>`: the local HTTP trigger. */
  base: string;
  /** The `fc-runtime local start` process: its stdout holds the runtime's log and the front's lines. */
  child: Child;
  /** The request id the front gave a response (it answers with `x-fc-request-id`). */
  requestIdOf(res: Response): string;
  /** Waits for the runtime's End marker of `requestId`, then checks one Start before one End. */
  invocation(requestId: string, kind?: MarkerKind): Promise<{ start: number; end: number }>;
  /** The log lines (`<time> <id> [LEVEL] …`) an invocation wrote between its markers; other invocations' lines are left out. */
  linesOf(requestId: string, kind?: MarkerKind): Promise<string[]>;
  /** The front's per-request line for `requestId`, once printed. */
  summaryOf(requestId: string): Promise<string>;
  /** Ctrl-C: resolves with the exit status once the CLI has sent /pre-stop (if s.yaml configures it) and stopped the runtime. */
  stop(): Promise<number | string>;
}

/** The lines of the CLI's stdout, for the marker helpers. */
function stdoutLines(child: Child): string[] {
  return child.stdout.split('\n').filter((line) => line !== '');
}

/**
 * Runs `fc-runtime local start samples/<name> --port <free port>` — the function as the sample's
 * s.yaml describes it, listening on a free port instead of its 9000 so that runs never collide — and
 * resolves once the front says where it listens. The after() hook of the caller should call `stop()`
 * (or kill the child).
 */
export function startLocal(name: string, env: Record<string, string> = {}): Promise<LocalFc> {
  return startLocalAt(sampleDir(name), env);
}

/** As startLocal(), for any code folder `dir` (a site makeSite() wrote). */
export async function startLocalAt(dir: string, env: Record<string, string> = {}): Promise<LocalFc> {
  const [port] = await freePorts(1);
  const child = cli(['local', 'start', dir, '--port', String(port), '--function-port', '0'], { cwd: ROOT, env });
  const ready = await child.waitFor(/^fc-runtime local: http:\/\/127\.0\.0\.1:\d+\/ /, 30_000);
  expect(ready).to.contain(`http://127.0.0.1:${port}/ → ${existsSync(join(dir, 's.yaml')) ? 's.yaml ' : `${dir}/bootstrap`}`);
  const log = {
    waitFor: (pattern: RegExp) => child.waitFor(pattern, 15_000),
    get stdoutLines() {
      return stdoutLines(child);
    },
  };
  let stopped: Promise<number | string> | undefined;
  return {
    base: `http://127.0.0.1:${port}`,
    child,
    requestIdOf(res) {
      const id = res.headers.get('x-fc-request-id');
      expect(id, 'x-fc-request-id of the answer').to.be.a('string').and.not.be.empty;
      return id as string;
    },
    invocation: (requestId, kind = 'Invoke') => expectOneInvocation(log, kind, requestId),
    async linesOf(requestId, kind = 'Invoke') {
      const { start, end } = await expectOneInvocation(log, kind, requestId);
      const own = new RegExp(`^\\S+ ${escapeRegExp(requestId)} \\[`);
      return log.stdoutLines.slice(start + 1, end).filter((line) => own.test(line));
    },
    summaryOf: (requestId) =>
      child.waitFor(new RegExp(`^FC .+: (\\d+|no answer), x-fc-status .*RequestId: ${escapeRegExp(requestId)}( \\(failed\\))?$`), 15_000),
    stop() {
      if (stopped === undefined) {
        stopped = child.exited;
        if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGINT');
      }
      return stopped;
    },
  };
}

export interface LocalInvocation {
  code: number | string;
  /** The answer's bytes, as FC returns them to the caller. */
  stdout: string;
  /** The runtime's log and the summary lines. */
  stderr: string;
  /** The request id of a call (`Initialize`, `Invoke`), from its summary line. */
  idOf(what: 'Initialize' | 'Invoke'): string;
  /** The log lines (`<time> <id> [LEVEL] …`) of a call, between its markers. */
  linesOf(what: 'Initialize' | 'Invoke'): string[];
}

/** `fc-runtime local invoke samples/<name> --event <file>` (a path inside the sample), or the event on stdin. */
export async function invokeLocal(name: string, event: { file: string } | { input: string }): Promise<LocalInvocation> {
  const args = [
    'local',
    'invoke',
    sampleDir(name),
    '--function-port',
    '0',
    '--event',
    'file' in event ? join(sampleDir(name), event.file) : '-',
  ];
  const child = cli(args, { cwd: ROOT, input: 'input' in event ? event.input : undefined });
  const code = await child.exited;
  const lines = child.stderr.split('\n');
  const idOf = (what: 'Initialize' | 'Invoke') => {
    const summary = lines.find((line) => line.startsWith(`FC ${what}: `));
    expect(summary, `the ${what} summary line in:\n${child.stderr}`).to.be.a('string');
    return /RequestId: (\S+)/.exec(summary!)![1];
  };
  return {
    code,
    stdout: child.stdout,
    stderr: child.stderr,
    idOf,
    linesOf(what) {
      const id = idOf(what);
      const start = lines.indexOf(startMarker(what, id).trimEnd());
      const end = lines.indexOf(endMarker(what, id).trimEnd());
      expect(start, `${what} Start marker of ${id}`).to.be.above(-1);
      expect(end, `${what} End marker of ${id}`).to.be.above(start);
      const starts = lines.map((line) => parseMarker(line)).filter((marker) => marker?.kind === what && marker.edge === 'Start');
      expect(starts, `one ${what} Start`).to.have.length(1);
      return lines.slice(start + 1, end).filter((line) => line.split(' ')[1] === id);
    },
  };
}

/** One line of the FC log format, `<time> <requestId> [LEVEL] <message>`, as a pattern. */
export function logLine(requestId: string, level: string, message: string | RegExp): RegExp {
  const text = typeof message === 'string' ? escapeRegExp(message) : message.source;
  return new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z ${escapeRegExp(requestId)} \\[${level}\\] ${text}`);
}
