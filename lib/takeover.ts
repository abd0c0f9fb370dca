// The zero-change hook: the first HTTP server the app starts is served to FC instead of where the app asked.
import createDebug from 'debug';
import { createServer, Server, type IncomingMessage, type ServerResponse } from 'http';
import { inspect } from 'util';
import { logger } from './logging/logger';
import { adoptServer, prepareFront, type Handler, type ServeOptions } from './serve';

const debug = createDebug('express-fc-runtime:register');
type Listen = (this: Server, ...args: unknown[]) => Server;
// Node's own listen, kept to be called with the server as `this`.
const listen = (Server.prototype as { listen: Listen }).listen;

/** Where the app asked to listen, in words: `port 3000`, `a random port`, `/tmp/app.sock`. */
function requested(args: unknown[]): string {
  const [first] = args;
  const target = typeof first === 'object' && first !== null ? (first as { port?: unknown; path?: unknown }) : { port: first };
  if (typeof target.path === 'string') return target.path;
  if (target.port === undefined || typeof target.port === 'function' || Number(target.port) === 0) return 'a random port';
  const { port } = target;
  return `port ${typeof port === 'string' || typeof port === 'number' ? port : inspect(port)}`;
}

/** The host the app asked for: `listen(port, host, …)` or `listen({ host })`. */
function requestedHost(args: unknown[]): string | undefined {
  const [first, second] = args;
  const host = typeof first === 'object' && first !== null ? (first as { host?: unknown }).host : second;
  return typeof host === 'string' ? host : undefined;
}

const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);

/** The app behind the server: its one request listener, or all of them in order. */
function appOf(server: Server): Handler {
  const listeners = server.listeners('request') as Handler[];
  server.removeAllListeners('request');
  if (listeners.length === 1) return listeners[0];
  return function app(req: IncomingMessage, res: ServerResponse) {
    for (const listener of listeners) listener.call(server, req, res);
  };
}

/** The server register took over, once there is one. */
export interface Takeover {
  /** Resolves once the first server listens on FC's port; rejects if the options are wrong or listening fails. */
  readonly listening: Promise<Server>;
  /** Whether a server has been taken over (or served) yet. */
  readonly taken: boolean;
  /** Serves an app the entry exported instead of listening itself, as if it had called listen(); `extra` adds options. */
  serve(app: Handler, extra?: ServeOptions): void;
}

/**
 * From now on the first `http.Server` to call listen() — `app.listen(3000)`,
 * `http.createServer(app).listen(...)`, `app.listen()` — gets fcRuntime() in front (unless the app
 * mounts one), FC's port on 0.0.0.0, no timeouts and the SIGTERM drain; the app's listen callback
 * still runs once it listens. Later servers listen where they asked, with a warning. Problems go to
 * `listening` instead of throwing into the app's own listen() call.
 */
export function takeOver(options: ServeOptions): Takeover {
  // Next.js's server closes itself and exits on SIGTERM unless told the process handles signals: the
  // drain does, and Next's exit would cut it short (and its second close() logs ERR_SERVER_NOT_RUNNING).
  process.env.NEXT_MANUAL_SIG_HANDLE ??= 'true';
  let taken: Server | undefined;
  let settle!: { resolve(server: Server): void; reject(error: unknown): void };
  const listening = new Promise<Server>((resolve, reject) => (settle = { resolve, reject }));

  const take = (server: Server, args: unknown[], app: Handler, given: ServeOptions): Server => {
    taken = server;
    let front;
    try {
      front = prepareFront(app, given, 'register');
    } catch (error) {
      settle.reject(error);
      return server;
    }
    debug('the app asked for %s; serving it on %s:%d', requested(args), front.host, front.port);
    // The app meant to be private; FC needs every interface, so it says so rather than widen it silently.
    const host = requestedHost(args);
    if (host !== undefined && isLoopback(host) && !isLoopback(front.host)) {
      logger.warn(
        `register: the app asked to listen on ${host} (${requested(args)}), loopback only; it is served on ${front.host}:${front.port}, every interface, as FC needs.`,
      );
    }
    server.on('request', front.handler);
    adoptServer(server, front);
    const callback = args[args.length - 1];
    if (typeof callback === 'function') server.once('listening', callback as () => void);
    const failed = (error: Error): void => settle.reject(error);
    server.once('error', failed).once('listening', () => {
      server.off('error', failed);
      settle.resolve(server);
    });
    return listen.call(server, front.port, front.host);
  };

  Server.prototype.listen = function fcListen(this: Server, ...args: unknown[]) {
    if (taken === undefined) return take(this, args, appOf(this), options);
    if (this !== taken) {
      logger.warn(`register: only the first server is served to FC; a second one on ${requested(args)} listens as the app asked.`);
    }
    return listen.apply(this, args);
  } as typeof Server.prototype.listen;

  return {
    listening,
    get taken() {
      return taken !== undefined;
    },
    serve(app, extra) {
      take(createServer(), [], app, { ...options, ...extra });
    },
  };
}
