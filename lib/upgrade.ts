// WebSocket upgrades under serve() and register: one connection, one invocation, every event of it in its context.
import { AsyncLocalStorage, AsyncResource, executionAsyncResource } from 'async_hooks';
import createDebug from 'debug';
import type { IncomingMessage, Server, ServerResponse } from 'http';
import type { Socket } from 'net';
import { callAttributed } from './crash';
import type { Invocation } from './invocation';
import type { Runtime } from './middleware';
import { storage } from './storage';

const debug = createDebug('express-fc-runtime:upgrade');

/** How long a client may take to answer the runtime's close frame on SIGTERM before its connection is cut. */
const CLOSE_HANDSHAKE_MS = 1000;
/** RFC 6455's "going away": the server is shutting down. */
export const GOING_AWAY = 1001;

type AnyEmit = (event: string | symbol, ...args: unknown[]) => boolean;
type Listener = (...args: unknown[]) => void;

/** A server's open upgraded connections, for the SIGTERM drain. */
export interface Upgrades {
  /** Sends each open WebSocket connection a close frame with `code` and resolves once all have closed and their End markers are out. */
  closeAll(code?: number): Promise<void>;
}

/**
 * Makes every 'upgrade' of `server` an invocation of `runtime` before the app's own listeners see it
 * (ws's `WebSocketServer({ server })`, socket.io, a `handleUpgrade` of its own), and keeps `front`
 * first for every 'request' even when a library takes the server's request listeners over after
 * serve() made it (engine.io does, for socket.io's polling transport).
 */
export function adoptUpgrades(server: Server, runtime: Runtime, front: unknown): Upgrades {
  const open = new Map<Socket, IncomingMessage>();
  const emit = server.emit.bind(server) as AnyEmit;
  // The emit of the server, not a listener of ours: listeners the app adds later still run in the context.
  server.emit = function fcServerEmit(event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'upgrade') return emit(event, ...args);
    const [req, socket] = args as [IncomingMessage, Socket];
    const invocation = runtime.openUpgrade(req);
    if (invocation === undefined) return emit(event, ...args);
    debug('upgrade %s %s: invocation %s', req.headers.upgrade, req.url, invocation.requestId);
    open.set(socket, req);
    socket.once('close', () => {
      open.delete(socket);
      invocation.endSoon();
    });
    bindSocket(socket, invocation);
    let handled = false;
    const listeners = (): void => {
      handled = emit(event, ...args);
    };
    const { namespace } = runtime.settings;
    storage.run(invocation, callAttributed, invocation, () => {
      if (namespace === undefined) return listeners();
      // Option namespace: the context is published there too, for the connection's whole life.
      namespace.run(() => {
        namespace.set('fc', invocation.context);
        namespace.set('requestId', invocation.requestId);
        namespace.bindEmitter(socket);
        listeners();
      });
    });
    return handled;
  } as typeof server.emit;

  // engine.io's attach() moves the server's request listeners behind its own: put the runtime back in front.
  let rewrapping = false;
  server.on('removeListener', (event: string | symbol, listener: unknown) => {
    if (event !== 'request' || listener !== front || rewrapping) return;
    rewrapping = true;
    queueMicrotask(() => {
      const listeners = server.listeners('request') as Listener[];
      server.removeAllListeners('request');
      server.on('request', function fcFrontAgain(req: IncomingMessage, res: ServerResponse) {
        runtime.middleware(req, res, () => {
          for (const listener of listeners) listener.call(server, req, res);
        });
      });
      debug('the request listeners were taken over: fcRuntime() put back in front of %d', listeners.length);
    });
  });

  return {
    async closeAll(code = GOING_AWAY) {
      const closing = [...open].map(([socket, req]) => goAway(socket, req, code));
      if (closing.length === 0) return;
      debug('closing %d upgraded connections with %d', closing.length, code);
      await Promise.all(closing);
      // Their End markers are written at the end of the turn the connections closed in.
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

/**
 * The socket's own events ('data', 'close', …) are emitted from the connection's handle, not from
 * the upgrade's context. The first one emitted from the handle puts the invocation on the handle
 * itself (AsyncLocalStorage keeps a store per async resource), and the socket's emit goes back to
 * Node's: from then on every message runs in the invocation at no cost per message. Events emitted
 * from elsewhere before that (ws hands the upgrade's first bytes back through the socket), and every
 * event where the store cannot be left on the handle (Node 24), each run in it through storage.run. The connection is the invocation's alone, so nothing else can inherit it.
 */
function bindSocket(socket: Socket, invocation: Invocation): void {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was, and called with the socket as `this`
  const emit = socket.emit;
  const handle = (socket as { _handle?: object | null })._handle;
  const fcSocketEmit = function (this: Socket, ...args: Parameters<AnyEmit>): boolean {
    if (handle != null && executionAsyncResource() === handle && storesOnResources()) {
      storage.enterWith(invocation);
      if (socket.emit === fcSocketEmit) socket.emit = emit;
      return Reflect.apply(emit, this, args) as boolean;
    }
    return storage.run(invocation, Reflect.apply, emit, this, args) as boolean;
  } as typeof socket.emit;
  socket.emit = fcSocketEmit;
}

let storesOnResources = (): boolean => {
  // Asked once, by the first connection: Node 24's AsyncContextFrame (also Node 22 with
  // --experimental-async-context-frame) keeps the store a resource was made in, and a store entered
  // in one of its callbacks is gone by the next; before it, the store entered stays on the resource.
  const probe = new AsyncLocalStorage<boolean>();
  const resource = new AsyncResource('express-fc-runtime.probe');
  resource.runInAsyncScope(() => probe.enterWith(true));
  const stays = resource.runInAsyncScope(() => probe.getStore()) === true;
  probe.disable();
  debug('a store entered in a callback %s on its resource', stays ? 'stays' : 'does not stay');
  storesOnResources = () => stays;
  return stays;
};

/** A WebSocket close frame from the server (unmasked), with a status code and no reason. */
function closeFrame(code: number): Buffer {
  return Buffer.from([0x88, 2, code >> 8, code & 0xff]);
}

/** Closes one upgraded connection: a close frame if it is an accepted WebSocket, then the handshake's time, then the cut. */
function goAway(socket: Socket, req: IncomingMessage, code: number): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    socket.once('close', () => resolve());
    const websocket = String(req.headers.upgrade).toLowerCase() === 'websocket' && socket.bytesWritten > 0;
    if (!websocket) {
      socket.destroy();
      return;
    }
    // The app's WebSocket server answers the client's close frame and closes the connection itself.
    socket.write(closeFrame(code));
    setTimeout(() => socket.destroy(), CLOSE_HANDSHAKE_MS).unref();
  });
}
