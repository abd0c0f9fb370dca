// The zero-change hook: the first HTTP server the app starts is served to FC instead of where the app asked.
import createDebug from 'debug';
import { createServer, Server, type IncomingMessage, type ServerResponse } from 'http';
import { inspect } from 'util';
import { logger } from './logging/logger';
import type { Pending } from './config';
import { adoptServer, isServed, prepareFront, type Handler, type ServeOptions } from './serve';

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
 * still runs once it listens. A server the app made with serve() is left as it is: it already has
 * its own fcRuntime() and FC's port. Later servers listen where they asked, with a warning. Problems
 * go to `listening` instead of throwing into the app's own listen() call. Options still being
 * imported (an ES module config file) hold the listen back until they are in: the server never
 * answers without them.
 */
export function takeOver(options: Pending<ServeOptions>): Takeover {
  // Next.js's server closes itself and exits on SIGTERM unless told the process handles signals: the
  // drain does, and Next's exit would cut it short (and its second close() logs ERR_SERVER_NOT_RUNNING).
  process.env.NEXT_MANUAL_SIG_HANDLE ??= 'true';
  let taken: Server | undefined;
  // The port FC's server listens on, once known: the app binding it again is no second server.
  let servedPort: number | undefined;
  let settle!: { resolve(server: Server): void; reject(error: unknown): void };
  const listening = new Promise<Server>((resolve, reject) => (settle = { resolve, reject }));
  // A config file that fails to import ends the start at once, whether or not the app listens yet.
  if (options instanceof Promise) options.catch((error: unknown) => settle.reject(error));
  const settleOn = (server: Server): void => {
    const failed = (error: Error): void => settle.reject(error);
    server.once('error', failed).once('listening', () => {
      server.off('error', failed);
      settle.resolve(server);
    });
  };

  const listenOnFront = (server: Server, args: unknown[], app: Handler, given: ServeOptions): void => {
    let front;
    try {
      front = prepareFront(app, given, 'register');
    } catch (error) {
      settle.reject(error);
      return;
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
    settleOn(server);
    servedPort = front.port;
    listen.call(server, front.port, front.host);
  };

  const take = (server: Server, args: unknown[], app: Handler, given: Pending<ServeOptions>): Server => {
    taken = server;
    if (given instanceof Promise) {
      // A failure to load them has gone to `listening` already.
      given.then(
        (resolved) => listenOnFront(server, args, app, resolved),
        () => undefined,
      );
    } else {
      listenOnFront(server, args, app, given);
    }
    return server;
  };

  // serve() already put the app's own fcRuntime() in front and chose FC's port: register's own
  // runtime in front of it would answer /invoke without the app's event handler.
  const keep = (server: Server, args: unknown[]): Server => {
    taken = server;
    debug('the app serves itself with serve(): it keeps its own fcRuntime() and options');
    void Promise.resolve(options).then(
      (unused) => {
        const names = Object.keys(unused);
        if (names.length === 0) return;
        logger.warn(
          `register: the app calls serve() itself, so the options of fc-runtime.config.* and EXPRESS_FC_* (${names.join(', ')}) are not used; pass them to serve().`,
        );
      },
      () => undefined,
    );
    settleOn(server);
    const [port] = args;
    if (typeof port === 'number') servedPort = port;
    return listen.apply(server, args);
  };

  Server.prototype.listen = function fcListen(this: Server, ...args: unknown[]) {
    if (taken === undefined) return isServed(this) ? keep(this, args) : take(this, args, appOf(this), options);
    if (this === taken) return listen.apply(this, args);
    const [first] = args;
    const port = typeof first === 'object' && first !== null ? (first as { port?: unknown }).port : first;
    if (servedPort !== undefined && servedPort !== 0 && Number(port) === servedPort) {
      // Fastify's `localhost` binds the port it got once per address localhost resolves to
      // (127.0.0.1, ::1); FC's server already answers there on every interface.
      debug('the app binds the port FC is served on again, on another address: %o', args);
    } else {
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
      const given = options instanceof Promise ? options.then((resolved) => ({ ...resolved, ...extra })) : { ...options, ...extra };
      take(createServer(), [], app, given);
    },
  };
}
