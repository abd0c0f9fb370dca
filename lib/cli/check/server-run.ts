// The checks' run of the server: started the way FC starts it, sent what FC sends, stopped the way FC stops it; each stage's checks judged as soon as it is over.
import { randomUUID } from 'crypto';
import { Agent } from 'http';
import type { Socket } from 'net';
import { parseHooksLine, type RuntimeHooks } from '../../hooks-line';
import { INITED_LINE } from '../../logging/format';
import type { MarkerKind } from '../../routing';
import { UserError } from '../../user-error';
import type { Io } from '../args';
import type { ControlAnswer } from '../fc/answer';
import { Instance } from '../fc/instance';
import { listeningAddresses } from '../fc/listening';
import type { Selected } from '../fc/selection';
import { stopSignals } from '../fc/signals';
import { CHECKS, SITE } from './checks';
import { Inside } from './inside';
import type { ServerRecord } from './probe';
import { isMarker, SEE_LOG, type Outcome } from './protocol';
import type { Report } from './report';
import { RuntimeLog } from './runtime-log';

/** How long one request may take before the check gives up on it. */
const REQUEST_MS = 30_000;
/** How long FC's log lines may trail the answer they belong to. */
const LINE_WAIT_MS = 1_500;
/** Without the server's own settings, how long an idle connection is held: past Node's default 5 s keepAliveTimeout. */
const IDLE_PROOF_MS = 6_000;
const LOG_LINES = 20;

const isInitedLine = (line: string) => INITED_LINE.test(line);

/** Tests for the Start and End markers of one answered request. */
function markers(kind: MarkerKind, outcome: Outcome): ((line: string) => boolean)[] {
  if (!('answer' in outcome)) return [];
  const { requestId } = outcome.answer;
  return [(line) => isMarker(line, kind, 'Start', requestId), (line) => isMarker(line, kind, 'End', requestId)];
}

async function control(what: string, request: Promise<ControlAnswer>): Promise<Outcome> {
  try {
    const { requestId, status, headers, ms } = await request;
    return { answer: { what, requestId, status, headers, ms } };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** GET / as FC's HTTP trigger sends it, on a connection of our own that is then left idle and watched. */
async function siteRequest(instance: Instance, agent: Agent): Promise<{ outcome: Outcome; socket?: Socket }> {
  const requestId = randomUUID();
  const headers = { ...instance.client.headers('/http-invoke', requestId), 'user-agent': 'fc-runtime-check' };
  try {
    const reply = await instance.client.send('GET', '/', { headers, timeoutMs: REQUEST_MS, agent });
    const answer = { what: SITE, requestId, status: reply.status, headers: reply.headers, rawHeaders: reply.rawHeaders, ms: reply.ms };
    return { outcome: { answer }, socket: reply.socket };
  } catch (error) {
    return { outcome: { error: (error as Error).message } };
  }
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

/** What the run showed that the checks of the function's configuration compare it with. */
export interface RunEvidence {
  hooks?: RuntimeHooks;
  site?: Outcome;
  server?: ServerRecord;
}

/** The hooks line, once the runtime printed it (with the cold-start line). */
function hooksOf(lines: readonly string[]): RuntimeHooks | undefined {
  for (const line of lines) {
    const hooks = parseHooksLine(line);
    if (hooks !== undefined) return hooks;
  }
  return undefined;
}

/** Everything after the server listens: FC's requests in FC's order, then its goodbye. */
async function exercise(
  instance: Instance,
  log: RuntimeLog,
  inside: Inside,
  startTimeout: number,
  report: Report,
  seen: RunEvidence,
): Promise<void> {
  const { port } = instance.client;
  report.judge(CHECKS.start, {
    startTimeout,
    state: 'listening',
    port,
    addresses: listeningAddresses(port),
    startMs: instance.runtime.startMs,
  });

  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const initialize = await control('POST /initialize', instance.client.control('/initialize', Buffer.alloc(0), REQUEST_MS, randomUUID()));
    const invoke = await control('POST /invoke', instance.client.control('/invoke', Buffer.alloc(0), REQUEST_MS, randomUUID()));
    const site = await siteRequest(instance, agent);
    const idle = idleWatch(site.socket);
    const outcomes = [initialize, invoke, site.outcome];
    const answers = outcomes.flatMap((outcome) => ('answer' in outcome ? [outcome.answer] : []));
    await log.waitForAll(
      [isInitedLine, ...markers('Initialize', initialize), ...markers('Invoke', invoke), ...markers('Invoke', site.outcome)],
      LINE_WAIT_MS,
    );
    report.judge(CHECKS.requests, { lines: log.lines, initialize, invoke, site: site.outcome });
    seen.hooks = hooksOf(log.lines);
    seen.site = site.outcome;

    const server = inside.server(port);
    seen.server = server;
    const announced = answers.some((a) => a.headers['keep-alive'] !== undefined);
    // Without the server's own settings nor an announced timeout, only holding the connection past Node's default tells.
    if (server === undefined && !announced && site.socket !== undefined) await idle.wait(IDLE_PROOF_MS);
    // Only a probe that ran in the server can tell the app's own headers from Node's.
    const setByApp = new Map<string, string[]>();
    if (server !== undefined) {
      for (const { requestId } of answers) {
        const names = inside.setByApp(requestId);
        if (names !== undefined) setByApp.set(requestId, names);
      }
    }
    const exitStatus = instance.runtime.exitStatus;
    report.judge(CHECKS.connections, { server, answers, idle: { ms: idle.ms(), closed: idle.closed() }, setByApp, exitStatus });
    if (exitStatus !== undefined) return;
  } finally {
    agent.destroy();
  }

  // The runtime's own answer to /pre-stop, configured or not: what FC would get once it is.
  const preStop = await control('GET /pre-stop', instance.client.control('/pre-stop', undefined, REQUEST_MS));
  await log.waitForAll(markers('PreStop', preStop), LINE_WAIT_MS);
  report.judge(CHECKS.preStop, { lines: log.lines, outcome: preStop });

  const stopping = Date.now();
  await instance.kill('SIGTERM');
  report.judge(CHECKS.sigterm, { ms: Date.now() - stopping, exitStatus: instance.runtime.exitStatus });
}

/**
 * Starts the function as FC would and checks what FC needs of the server. Resolves with the stop
 * signal if the user interrupted it (the runtime is stopped), else undefined.
 */
export async function checkServer(
  { config, localEnv, startTimeout: startMs }: Selected,
  io: Io,
  report: Report,
  seen: RunEvidence = {},
): Promise<NodeJS.Signals | undefined> {
  const startTimeout = startMs / 1000;
  const log = new RuntimeLog();
  const inside = new Inside();
  const signals = stopSignals();
  try {
    let instance: Instance;
    try {
      instance = await Instance.start({
        config,
        localEnv,
        startTimeout: startMs,
        output: log,
        env: inside.env(io.env),
        signal: signals.signal,
      });
    } catch (error) {
      if (signals.signal.aborted) return await signals.received;
      if (!(error instanceof UserError)) throw error;
      report.judge(CHECKS.start, { startTimeout, state: 'failed', error: error.message });
      return undefined;
    }
    signals.onRepeat(() => void instance.kill('SIGKILL'));
    const outcome = await Promise.race([exercise(instance, log, inside, startTimeout, report, seen), signals.received]);
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
