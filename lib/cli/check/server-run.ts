// The checks that need the server running: started the way FC starts it, sent what FC sends, stopped the way FC stops it.
import { randomUUID } from 'crypto';
import { Agent, request, type IncomingMessage } from 'http';
import type { Socket } from 'net';
import { UserError } from '../../user-error';
import type { Io } from '../args';
import { Instance, type ControlAnswer } from '../fc/instance';
import { listeningAddresses } from '../fc/listening';
import { failed, fcStatus } from '../local/summary';
import { stopSignals } from '../fc/signals';
import { connectionVerdict } from './connection';
import { forbiddenHeadersVerdict, headerSizeVerdict, type Answer } from './headers';
import { Inside } from './inside';
import type { Report } from './report';
import { RuntimeLog } from './runtime-log';
import { fail, pass, print, type Verdict } from '../fc/verdict';

/** How long one request may take before the check gives up on it. */
const REQUEST_MS = 30_000;
/** How long FC's log lines may trail the answer they belong to. */
const LINE_WAIT_MS = 1_500;
/** Without the server's own settings, how long an idle connection is held: past Node's default 5 s keepAliveTimeout. */
const IDLE_PROOF_MS = 6_000;
/** How long /pre-stop may take, as the local instance allows. */
const PRE_STOP_MS = 10_000;
const LOG_LINES = 20;
const SEE_LOG = "see the runtime's log below";
const FC_RUNTIME_FIX = 'put fcRuntime() in front: run the site with `node -r express-fc-runtime/register` (`fc-runtime init` writes it)';
// The same rule as the `runtime` option: FC reserves its own runtimes' names.
const OFFICIAL_RUNTIME = /^(nodejs|python|java|php|go|dotnetcore|custom)/i;
const SITE = 'GET / via /http-invoke';
const INITED = /^FunctionCompute (.+) runtime inited\.$/;

type MarkerKind = 'Initialize' | 'Invoke' | 'PreStop';

/** A request's outcome: its answer, or why there was none. */
type Outcome = { answer: Answer & { ms: number } } | { error: string };

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function markers(kind: MarkerKind, requestId: string): [RegExp, RegExp] {
  const id = escape(requestId);
  return [new RegExp(`^FC ${kind} Start RequestId: ${id}$`), new RegExp(`^FC ${kind} End RequestId: ${id}(, Error: .*)?$`)];
}

/** `127.0.0.1:9000`, `[::]:9000`. */
function endpoint(address: string, port: number): string {
  return `${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/** Instance's start errors read `problem (FC: …); fix.`: the check prints them as `problem — fix`. */
function splitMessage(message: string): [string, string] {
  const cut = message.lastIndexOf('; ');
  if (cut < 0) return [message.replace(/\.$/, ''), SEE_LOG];
  return [message.slice(0, cut), message.slice(cut + 2).replace(/\.$/, '').replace('see its log above', SEE_LOG)];
}

async function control(instance: Instance, what: string, controlPath: string, timeoutMs = REQUEST_MS): Promise<Outcome> {
  try {
    const answer: ControlAnswer = await instance.control(controlPath, Buffer.alloc(0), timeoutMs, randomUUID());
    return { answer: { what, ...answer } };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** GET / as FC's HTTP trigger sends it, on a connection of our own that is then left idle and watched. */
function siteRequest(instance: Instance, agent: Agent): Promise<{ outcome: Outcome; socket?: Socket }> {
  const requestId = randomUUID();
  const started = Date.now();
  return new Promise((resolve) => {
    const req = request({
      host: '127.0.0.1',
      port: instance.port,
      path: '/',
      headers: { ...instance.headers('/http-invoke', requestId), 'user-agent': 'fc-runtime-check' },
      agent,
      maxHeaderSize: 1024 * 1024,
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${REQUEST_MS / 1000} s`)), REQUEST_MS);
    req.once('error', (error) => {
      clearTimeout(timer);
      resolve({ outcome: { error: error.message } });
    });
    req.once('response', (res: IncomingMessage) => {
      res.resume();
      res.once('end', () => {
        clearTimeout(timer);
        const answer = { what: SITE, requestId, status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, ms: Date.now() - started };
        resolve({ outcome: { answer }, socket: req.socket ?? undefined });
      });
    });
    req.end();
  });
}

function statusText(answer: Answer): string {
  const fc = fcStatus(answer.headers);
  return `answered ${answer.status}${fc === undefined ? '' : ` (x-fc-status ${fc})`}`;
}

/** One request's check: it was answered (and, for hooks, did not fail), between its FC markers. */
function requestVerdict(what: string, outcome: Outcome, kind: MarkerKind, log: RuntimeLog, judge?: (answer: Answer) => string | undefined): Verdict {
  if ('error' in outcome) return fail(`${what} got no answer: ${outcome.error}`, SEE_LOG);
  const { answer } = outcome;
  const problem = judge?.(answer);
  if (problem !== undefined) return fail(`${answer.what} ${statusText(answer)}: ${problem}`, SEE_LOG);
  const [start, end] = markers(kind, answer.requestId);
  const missing = [log.has(start) ? undefined : 'Start', log.has(end) ? undefined : 'End'].filter((word) => word !== undefined);
  if (missing.length > 0) {
    const lines = `"FC ${kind} ${missing.join('/')} RequestId: ${answer.requestId}" line${missing.length > 1 ? 's' : ''}`;
    return fail(`${answer.what} ${statusText(answer)} but logged no ${lines}`, FC_RUNTIME_FIX);
  }
  return pass(`${answer.what} ${statusText(answer)} in ${Math.round(answer.ms)} ms, between its FC ${kind} Start/End lines`);
}

function coldStartVerdict(log: RuntimeLog): Verdict {
  const line = log.lines.find((text) => INITED.test(text));
  if (line === undefined) {
    return fail('no "FunctionCompute <name> runtime inited." line at cold start', 'print it once, when the server listens (serve() and register do)');
  }
  const name = (INITED.exec(line) as RegExpExecArray)[1];
  if (OFFICIAL_RUNTIME.test(name)) {
    return fail(`the cold-start line calls the runtime "${name}", a name FC reserves for its own`, "pick another, e.g. fcRuntime({ runtime: 'express' }) or FC_RUNTIME_NAME=express");
  }
  return pass(`cold-start line: ${line}`);
}

/** Watches the connection left idle after a request: whether the server closes it, and when. No socket, no verdict. */
function idleWatch(socket: Socket | undefined): { closed(): boolean; ms(): number; wait(totalMs: number): Promise<void> } {
  const since = Date.now();
  let closedAt: number | undefined;
  const closed = new Promise<void>((resolve) => {
    if (socket === undefined) return;
    if (socket.destroyed) closedAt = since;
    socket.once('close', () => {
      closedAt ??= Date.now();
      resolve();
    });
    if (closedAt !== undefined) resolve();
  });
  return {
    closed: () => closedAt !== undefined,
    ms: () => (socket === undefined ? 0 : (closedAt ?? Date.now()) - since),
    async wait(totalMs) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, since + totalMs - Date.now()))))]);
      clearTimeout(timer);
    },
  };
}

/** Everything after the server listens: FC's requests in FC's order, then its goodbye. */
async function exercise(instance: Instance, log: RuntimeLog, inside: Inside, startTimeout: number, report: Report): Promise<void> {
  const addresses = listeningAddresses(instance.port) ?? ['an address'];
  report.pass(`the server listens on ${addresses.map((a) => endpoint(a, instance.port)).join(', ')} within ${startTimeout} s (after ${instance.startMs} ms)`);

  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const initialize = await control(instance, 'POST /initialize', '/initialize');
    const invoke = await control(instance, 'POST /invoke', '/invoke');
    const site = await siteRequest(instance, agent);
    const idle = idleWatch(site.socket);
    const outcomes = [initialize, invoke, site.outcome];
    const answers = outcomes.flatMap((outcome) => ('answer' in outcome ? [outcome.answer] : []));
    const expected = [INITED];
    if ('answer' in initialize) expected.push(...markers('Initialize', initialize.answer.requestId));
    for (const outcome of [invoke, site.outcome]) if ('answer' in outcome) expected.push(...markers('Invoke', outcome.answer.requestId));
    await log.waitForAll(expected, LINE_WAIT_MS);

    print(report, coldStartVerdict(log));
    const initFailed = (a: Answer) => (failed(a.headers) || a.status >= 500 ? 'the initializer failed, so FC would not start the instance' : undefined);
    print(report, requestVerdict('POST /initialize', initialize, 'Initialize', log, initFailed));
    print(report, requestVerdict('POST /invoke', invoke, 'Invoke', log));
    print(report, requestVerdict(SITE, site.outcome, 'Invoke', log));

    const server = inside.server(instance.port);
    const announced = answers.some((a) => a.headers['keep-alive'] !== undefined);
    // Without the server's own settings nor an announced timeout, only holding the connection past Node's default tells.
    if (server === undefined && !announced && site.socket !== undefined) await idle.wait(IDLE_PROOF_MS);
    print(report, connectionVerdict({ server, answers, idle: { ms: idle.ms(), closed: idle.closed() } }));
    print(report, headerSizeVerdict(answers));
    print(report, forbiddenHeadersVerdict(answers, (requestId) => (server === undefined ? undefined : inside.setByApp(requestId))));
  } finally {
    agent.destroy();
  }

  if (instance.exitStatus !== undefined) {
    report.fail(`the runtime exited (${instance.exitStatus}) during the checks`, SEE_LOG);
    return;
  }
  const preStop = await control(instance, 'GET /pre-stop', '/pre-stop', PRE_STOP_MS);
  if ('answer' in preStop) await log.waitForAll(markers('PreStop', preStop.answer.requestId), LINE_WAIT_MS);
  const hookFailed = (a: Answer) => (a.status >= 500 ? 'FC restarts an instance whose hook answers 5xx' : undefined);
  print(report, requestVerdict('GET /pre-stop', preStop, 'PreStop', log, hookFailed));

  const stopping = Date.now();
  await instance.kill('SIGTERM');
  const ms = Date.now() - stopping;
  if (instance.exitStatus === 'SIGKILL') {
    report.fail(`the runtime was still running ${Math.round(ms / 1000)} s after SIGTERM and was killed`, 'on SIGTERM, close the server and exit (serve() and register do)');
  } else {
    const how = typeof instance.exitStatus === 'number' ? `exit code ${instance.exitStatus}` : `ended by ${instance.exitStatus}`;
    report.pass(`the runtime stopped ${ms} ms after SIGTERM (${how})`);
  }
}

/**
 * Starts dir/bootstrap as FC would and checks what FC needs of the server. Resolves with the stop
 * signal if the user interrupted it (the runtime is stopped), else undefined.
 */
export async function checkServer(dir: string, startTimeout: number, io: Io, report: Report): Promise<NodeJS.Signals | undefined> {
  const log = new RuntimeLog();
  const inside = new Inside();
  const signals = stopSignals();
  try {
    let instance: Instance;
    try {
      instance = await Instance.start({ dir, startTimeout: startTimeout * 1000, output: log, env: inside.env(io.env), signal: signals.signal });
    } catch (error) {
      if (signals.signal.aborted) return await signals.received;
      if (!(error instanceof UserError)) throw error;
      report.fail(...splitMessage(error.message));
      return undefined;
    }
    signals.onRepeat(() => void instance.kill('SIGKILL'));
    const outcome = await Promise.race([exercise(instance, log, inside, startTimeout, report), signals.received]);
    if (typeof outcome === 'string') {
      await instance.kill();
      return outcome;
    }
    return undefined;
  } finally {
    signals.dispose();
    inside.remove();
    if (report.advised(SEE_LOG) && log.tail(1).length > 0) {
      io.stdout.write(`The runtime's log (last ${LOG_LINES} lines at most):\n`);
      report.detail(log.tail(LOG_LINES));
    }
  }
}
