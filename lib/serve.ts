// serve(): the HTTP server FC talks to — 0.0.0.0 on FC's port, every timeout lifted, SIGTERM drained.
import createDebug from 'debug';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import { errorText } from './control/respond';
import { hooksLine, printHooks } from './hooks-line';
import { ERROR, initedLine } from './logging/format';
import { logger } from './logging/logger';
import { Runtime, runtimeOf } from './middleware';
import { OPTION_CHECKS, rejectMisuse, validateOptions, type Check, type Options } from './options';
import { storage } from './storage';
import { adoptUpgrades, type Upgrades } from './upgrade';

export interface ServeOptions extends Options {
  /** Port to listen on. Defaults to env `FC_CUSTOM_LISTEN_PORT`, else `FC_SERVER_PORT`, else 9000. */
  port?: number;
  /** Address to listen on. Defaults to `'0.0.0.0'`: FC cannot reach 127.0.0.1. */
  host?: string;
  /** Longest wait, in ms, for in-flight requests on SIGTERM before preStop runs. Defaults to 10000. */
  drainTimeout?: number;
}

/** Anything that answers a request: an Express 4 or 5 app, a router, a bare `(req, res)` listener. */
export type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;

const debug = createDebug('express-fc-runtime:serve');
const DEFAULT_PORT = 9000;
const DEFAULT_DRAIN_MS = 10_000;

export const isPort = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535;
export const SERVE_CHECKS: Record<string, Check> = {
  ...OPTION_CHECKS,
  port: (v) => (isPort(v) ? undefined : 'a port number from 0 to 65535'),
  host: (v) => (typeof v === 'string' && v !== '' ? undefined : "an address such as '0.0.0.0'"),
  drainTimeout: (v) => (typeof v === 'number' && v >= 0 && Number.isFinite(v) ? undefined : 'a number of milliseconds, 0 or more'),
};

// Written once per process, however many servers it starts: FC reads it as the cold start.
let inited = false;

// The servers serve() made: register leaves them as they are (their fcRuntime and options are the app's own).
const served = new WeakSet<Server>();

/** Whether `server` is one serve() made, already ready for FC. */
export function isServed(server: Server): boolean {
  return served.has(server);
}

function envPort(env: NodeJS.ProcessEnv): number {
  for (const name of ['FC_CUSTOM_LISTEN_PORT', 'FC_SERVER_PORT']) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const port = Number(value);
    if (!isPort(port)) throw new TypeError(`${name} must be a port number from 0 to 65535, got "${value}".`);
    return port;
  }
  return DEFAULT_PORT;
}

/** The fcRuntime() an Express app already mounts at its top level, if any. */
function mountedRuntime(app: Handler): Runtime | undefined {
  const own = app as unknown as {
    _router?: { stack?: { handle: unknown }[] };
    router?: { stack?: { handle: unknown }[] };
    lazyrouter?: unknown;
  };
  // Express 4 keeps its router in _router and throws on the old app.router; Express 5 has app.router.
  const router = typeof own.lazyrouter === 'function' ? own._router : own.router;
  for (const layer of router?.stack ?? []) {
    const runtime = runtimeOf(layer.handle);
    if (runtime !== undefined) return runtime;
  }
  return undefined;
}

/** What serve() and register decide once: the handler in front of the app, where to listen, how to drain. */
export interface Front {
  handler: Handler;
  runtime: Runtime;
  runtimeName: string;
  port: number;
  host: string;
  drainTimeout: number;
}

/**
 * Puts fcRuntime() in front of `app` unless the app mounts one, and settles where to listen.
 * `caller` names the API in errors ("serve()", "register").
 */
export function prepareFront(app: Handler, options: ServeOptions | undefined, caller: string): Front {
  rejectMisuse(options, caller);
  const given = { ...options } as Record<string, unknown>;
  validateOptions(given, caller, SERVE_CHECKS);
  const { port, host, drainTimeout, ...fcOptions } = options ?? {};
  const mounted = mountedRuntime(app);
  const misplaced = Object.keys(fcOptions).filter((key) => key !== 'runtime' && given[key] !== undefined);
  if (mounted !== undefined && misplaced.length > 0) {
    throw new TypeError(`${caller}: the app already mounts fcRuntime(); pass ${misplaced.join(', ')} to that fcRuntime() call instead.`);
  }
  const runtime = mounted ?? new Runtime(fcOptions, caller === 'register' ? 'register' : 'app');
  const listenHost = host ?? '0.0.0.0';
  if (/^(127\.|localhost$|::1$)/.test(listenHost)) {
    logger.warn(`${caller}: listening on ${listenHost}, which FC cannot reach (the function fails with FunctionNotStarted); use 0.0.0.0.`);
  }
  debug('%s: fcRuntime %s', caller, mounted ? 'mounted by the app' : 'in front of the app');
  // A runtime the app mounts runs here too, ahead of Express, and its layer in the app passes the
  // request on: Express gives each request and response an object shape of its own, on which all
  // the runtime sets per request costs several times what it costs on Node's plain objects.
  return {
    handler: function fcServe(req: IncomingMessage, res: ServerResponse) {
      runtime.middleware(req, res, () => app(req, res));
    },
    runtime,
    runtimeName: fcOptions.runtime ?? runtime.settings.runtime,
    port: port ?? envPort(process.env),
    host: listenHost,
    drainTimeout: drainTimeout ?? DEFAULT_DRAIN_MS,
  };
}

/**
 * Makes `server` one FC can keep: no timeout cuts a connection or a long invocation, SIGTERM drains
 * it, and the cold-start line is written once it listens.
 */
export function adoptServer(server: Server, front: Front): void {
  // FC reuses connections for 15 minutes and more, and invocations may run as long: nothing may cut them.
  server.keepAliveTimeout = 0;
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.setTimeout(0);
  const upgrades = adoptUpgrades(server, front.runtime, front.handler);
  const onSigterm = () => {
    void drain(server, front.runtime, front.drainTimeout, upgrades).then(() => process.exit(0));
  };
  process.once('SIGTERM', onSigterm);
  server.once('close', () => process.removeListener('SIGTERM', onSigterm));
  server.once('listening', () => {
    debug('listening on %s:%d', front.host, front.port);
    if (inited) return;
    inited = true;
    process.stdout.write(initedLine(front.runtimeName));
    if (printHooks(process.env)) {
      const { initialize, preStop } = front.runtime.settings;
      process.stdout.write(
        hooksLine({ initialize: initialize !== undefined, preStop: preStop !== undefined, node: process.versions.node }),
      );
    }
  });
}

/**
 * Serves `app` the way FC expects: fcRuntime() in front unless the app mounts one, `x-fc-base-path`
 * removed before the app sees the URL, the cold-start line once listening, and on SIGTERM: stop
 * accepting, let in-flight requests finish (up to drainTimeout), run preStop once, exit 0.
 */
export function serve(app: Handler, options?: ServeOptions): Server {
  const front = prepareFront(app, options, 'serve()');
  const server = createServer({ requestTimeout: 0, headersTimeout: 0, keepAliveTimeout: 0 } as object, front.handler);
  adoptServer(server, front);
  served.add(server);
  server.listen(front.port, front.host);
  return server;
}

async function drain(server: Server, runtime: Runtime, drainTimeout: number, upgrades: Upgrades): Promise<void> {
  debug('SIGTERM: draining for at most %d ms', drainTimeout);
  server.close();
  // Node 18.2 added it; @types/node declares it unconditionally, engines allow any 18.
  if (typeof server.closeIdleConnections === 'function') server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([runtime.idle(), new Promise((resolve) => (timer = setTimeout(resolve, drainTimeout)))]);
  clearTimeout(timer);
  // WebSocket connections last as long as their clients like: once the requests have drained (or the
  // bound has passed) they are told the server goes away, and their End markers go out before preStop.
  await upgrades.closeAll();
  if (!runtime.preStop.pending) {
    debug('SIGTERM: no preStop left to run; exiting');
    return;
  }
  const invocation = runtime.invocation('PreStop', '/pre-stop');
  try {
    await storage.run(invocation, () => runtime.preStop.call(invocation));
  } catch (error) {
    invocation.log(ERROR, errorText(error));
  }
  invocation.end();
}
