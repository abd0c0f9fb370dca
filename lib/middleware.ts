// fcRuntime(): options resolved once, then a small per-request function that routes, sets up the context and hands over.
import { randomUUID } from 'crypto';
import { IncomingMessage, type IncomingHttpHeaders, type ServerResponse } from 'http';
import type { Socket } from 'net';
import { createContext, invocationOf, readEnv, type EnvContext, type FcContext } from './context';
import { Initializer } from './control/initialize';
import { createInvoke, type ConfiguredBy } from './control/invoke';
import { LifecycleHook } from './control/lifecycle';
import { controlError, respondError } from './control/respond';
import { callAttributed, installCrashHandlers } from './crash';
import { Invocation } from './invocation';
import { captureConsole } from './logging/console';
import { guardDescriptors } from './logging/descriptors';
import { DEBUG } from './logging/format';
import { guardStream } from './logging/redact';
import { flushPending } from './logging/stdout';
import { resolveOptions, type Options, type Settings } from './options';
import { endWithConnection } from './pipelining';
import {
  CONTROL_PATHS,
  controlPathOf,
  controlRoute,
  dropCredentialHeaders,
  HTTP_INVOKE,
  stripBasePath,
  type ControlRoute,
  type MarkerKind,
} from './routing';
import { createStatusHook } from './status';
import { storage } from './storage';
import { MethodWrap } from './wrap';

export type Next = (error?: unknown) => void;
type FcRequest = IncomingMessage & { fc?: FcContext };

/** The middleware fcRuntime() returns: `(req, res, next)`, for Express or any connect-style stack. */
export interface FcRuntimeMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: Next): void;
}

/** Where serve() finds the runtime behind a mounted middleware. */
export const kRuntime = Symbol('express-fc-runtime.runtime');

/** One fcRuntime() call: its settings, its hooks, and the requests it has in flight. */
export class Runtime {
  readonly settings: Settings;
  readonly env: EnvContext;
  readonly initializer: Initializer;
  readonly preFreeze: LifecycleHook;
  readonly preStop: LifecycleHook;
  readonly middleware: FcRuntimeMiddleware;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  /** Counts an invocation off the ones in flight once its End marker is out. */
  private readonly done = (): void => {
    if (--this.inFlight === 0 && this.idleWaiters.length > 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
  };

  /** `configuredBy` says where a user sets what is missing (NoEventHandler's answer). */
  constructor(
    options: Options | undefined,
    private readonly configuredBy: ConfiguredBy = 'app',
  ) {
    this.settings = resolveOptions(options);
    this.env = readEnv();
    this.initializer = new Initializer(this.settings.initialize);
    this.preFreeze = new LifecycleHook(this.settings.preFreeze, false, this.settings.timeout);
    this.preStop = new LifecycleHook(this.settings.preStop, true, this.settings.timeout);
    guardStream(process.stdout, flushPending);
    // stderr writes the queue first too: FC reads both into the invocation's log, Start marker first.
    guardStream(process.stderr, flushPending);
    guardDescriptors(flushPending);
    if (this.settings.console) captureConsole();
    installCrashHandlers();
    this.middleware = this.createMiddleware();
  }

  /** Resolves once no request of this runtime is in flight (serve()'s drain on SIGTERM). */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** A context for work FC did not send as a request (preStop on SIGTERM): env values and a fresh id. */
  invocation(kind: MarkerKind, controlPath: string): Invocation {
    const requestId = randomUUID();
    const invocation = new Invocation(kind, requestId, this.settings, undefined);
    invocation.context = createContext({}, requestId, controlPath, this.env, invocation);
    return invocation;
  }

  /**
   * An upgrade request (a WebSocket connection) as one invocation, under the same trust as any request:
   * its id, its context on `req.fc`, the credential headers removed, the base path. It has no response:
   * upgrade.ts ends it when the connection closes. Undefined when an fcRuntime already took the request.
   */
  openUpgrade(req: FcRequest): Invocation | undefined {
    if (invocationOf(req.fc) !== undefined) return undefined;
    const { settings } = this;
    const headers = req.headers;
    const trusted = settings.trustFcHeaders;
    const fcHeaders = trusted ? headers : NO_HEADERS;
    const header = fcHeaders['x-fc-request-id'];
    const requestId = typeof header === 'string' && isRequestId(header) ? header : randomUUID();
    // Not counted in flight: a connection lasts as long as its client likes, and the SIGTERM drain
    // would sit out its whole bound for it; serve() closes the connections once requests have drained.
    const invocation = new Invocation('Invoke', requestId, settings, undefined);
    invocation.context = createContext(fcHeaders, requestId, HTTP_INVOKE, this.env, invocation);
    req.fc = invocation.context;
    if (typeof header === 'string' && header !== '' && requestId !== header)
      invocation.log(DEBUG, `x-fc-request-id ${JSON.stringify(header)} is no plain token: this invocation is ${requestId}`);
    if (!settings.keepCredentialHeaders) dropCredentialHeaders(req, headers);
    if (trusted && settings.basePath) stripBasePath(req, headers);
    return invocation;
  }

  private createMiddleware(): FcRuntimeMiddleware {
    const { settings, env, initializer } = this;
    const invoke = createInvoke(settings.invoke, settings.limit, settings.timeout, this.configuredBy);
    const httpStatus = createStatusHook(settings.isFailure, false);
    // Control answers set x-fc-status themselves; only events re-dispatched into the app need the rule.
    const controlStatus = createStatusHook(settings.isFailure, settings.eventPath !== undefined);
    const namespace = settings.namespace;
    const trusted = settings.trustFcHeaders;
    const stripsBasePath = trusted && settings.basePath;
    const enter = (invocation: Invocation, req: FcRequest, res: ServerResponse, then: () => unknown): void => {
      if (namespace === undefined) {
        storage.run(invocation, callAttributed, invocation, then);
        return;
      }
      storage.run(invocation, () =>
        namespace.run(() => {
          namespace.set('fc', invocation.context);
          namespace.set('requestId', invocation.requestId);
          namespace.bindEmitter(req);
          namespace.bindEmitter(res);
          callAttributed(invocation, then);
        }),
      );
    };
    // Requests wait while the initializer runs; once it is done this costs one property read.
    const whenReady = (then: () => void): void => {
      if (initializer.running) void initializer.settled().then(then);
      else then();
    };
    const done = this.done;
    // An arrow function for `this`, named for stack traces (and Express's layer name) by its const.
    const fcRuntimeMiddleware: FcRuntimeMiddleware = (req: FcRequest, res: ServerResponse, next: Next): void => {
      // An fcRuntime in front (serve()'s) already handles this request.
      if (invocationOf(req.fc) !== undefined) return next();
      // Under Express every property of req and res (and every one added) costs a slow lookup: each
      // is touched as few times as can be, and the request's state lives on the invocation instead.
      const headers = req.headers;
      // Off FC a client's x-fc-* headers mean nothing: every request is plain HTTP for the app.
      const fcHeaders = trusted ? headers : NO_HEADERS;
      const controlPath = trusted ? controlPathOf(req, headers) : HTTP_INVOKE;
      const header = fcHeaders['x-fc-request-id'];
      const requestId = typeof header === 'string' && isRequestId(header) ? header : randomUUID();
      const route = controlRoute(controlPath);
      const invocation = new Invocation(route?.kind ?? 'Invoke', requestId, settings, res, done);
      const context = createContext(fcHeaders, requestId, controlPath, env, invocation);
      invocation.context = context;
      req.fc = context;
      if (typeof header === 'string' && header !== '' && requestId !== header)
        invocation.log(DEBUG, `x-fc-request-id ${JSON.stringify(header)} is no plain token: this invocation is ${requestId}`);
      if (fcHeaders['x-fc-log-type'] === 'Tail') invocation.keepTail();
      if (!settings.keepCredentialHeaders) dropCredentialHeaders(req, headers);
      this.inFlight++;
      res.on('close', () => invocation.endSoon());
      // A pipelined request whose answer waits its turn (rare): no socket yet, and no 'close' if the connection goes.
      // (Node's own requests always have a socket, as its types say; one made by other code may not.)
      if (res.socket === null && (req.socket as Socket | null) !== null) endWithConnection(req.socket, invocation);

      if (controlPath === HTTP_INVOKE) {
        httpStatus(res, invocation);
        if (stripsBasePath) stripBasePath(req, headers);
        return toApp(req, res, invocation, next);
      }
      controlStatus(res, invocation);
      if (route === undefined || req.method !== route.method) {
        return enter(invocation, req, res, (): void => refuse(req, res, invocation, controlPath, route));
      }
      switch (route.kind) {
        case 'Invoke':
          if (settings.eventPath === undefined)
            return whenReady(() => enter(invocation, req, res, (): void => invoke(req, res, invocation)));
          // Mounted inside Express, the router has already recorded originalUrl: the event's too.
          req.url = settings.eventPath;
          if ('originalUrl' in req) (req as { originalUrl: string }).originalUrl = settings.eventPath;
          return toApp(req, res, invocation, next);
        case 'Initialize':
          return enter(invocation, req, res, () => initializer.handle(res, invocation));
        case 'PreFreeze':
          return enter(invocation, req, res, () => this.preFreeze.handle(res, invocation));
        case 'PreStop':
          return enter(invocation, req, res, () => this.preStop.handle(res, invocation));
      }
    };

    function toApp(req: FcRequest, res: ServerResponse, invocation: Invocation, next: Next): void {
      bindEmit(req, invocation);
      // whenReady() without its closure: this is every site request's path.
      if (initializer.running) void initializer.settled().then(() => enter(invocation, req, res, next));
      else enter(invocation, req, res, next);
    }

    Object.defineProperty(fcRuntimeMiddleware, kRuntime, { value: this });
    return fcRuntimeMiddleware;
  }
}

/** What the context reads off FC: no header, so every field comes from the environment. */
const NO_HEADERS: IncomingHttpHeaders = Object.freeze({});

// A plain token: FC's ids are uuids or `1-…` ids; anything else (spaces, tabs, a line break) would
// be written into the markers.
const REQUEST_ID = /^[\w.-]{1,128}$/;

function isRequestId(id: string): boolean {
  return REQUEST_ID.test(id);
}

type Emit = (this: IncomingMessage, ...args: unknown[]) => boolean;

/** An emit that runs the listeners of a request an invocation has bound in that invocation's context. */
function createBoundEmit(previous: Emit): Emit {
  return function fcBoundEmit(this: FcRequest, ...args: unknown[]): boolean {
    const invocation = invocationOf(this.fc);
    // An ended invocation has let go of its request (see Invocation.flushEnds): a late event still runs in it.
    const bound = invocation !== undefined && (invocation.request === this || invocation.ended);
    if (!bound) return Reflect.apply(previous, this, args);
    return storage.run(invocation, Reflect.apply<IncomingMessage, unknown[], boolean>, previous, this, args);
  };
}

const boundEmit = new MethodWrap<Emit>(IncomingMessage.prototype, 'emit', createBoundEmit, true);

/**
 * The request's own 'data' and 'end' events are emitted from the connection's async context, not
 * the request's; binding its emit carries the context into every listener.
 */
function bindEmit(req: IncomingMessage, invocation: Invocation): void {
  invocation.request = req;
  boundEmit.apply(req);
}

function refuse(
  req: IncomingMessage,
  res: ServerResponse,
  invocation: Invocation,
  controlPath: string,
  route: ControlRoute | undefined,
): void {
  if (route === undefined) {
    const known = [...Object.keys(CONTROL_PATHS), HTTP_INVOKE].join(', ');
    return respondError(
      res,
      invocation,
      controlError('UnknownControlPath', `Unknown x-fc-control-path "${controlPath}"; FC sends ${known}.`),
      400,
    );
  }
  res.setHeader('allow', route.method);
  respondError(res, invocation, controlError('MethodNotAllowed', `${controlPath} takes ${route.method}, not ${String(req.method)}.`), 405);
}

/**
 * Mount it first: `app.use(fcRuntime({ invoke }))`. It answers FC's control requests itself and
 * passes every HTTP invocation on to the app, with `req.fc` set.
 */
export function fcRuntime(options?: Options): FcRuntimeMiddleware {
  return new Runtime(options).middleware;
}

/** The runtime behind a middleware made by fcRuntime(), if it is one. */
export function runtimeOf(handler: unknown): Runtime | undefined {
  return typeof handler === 'function' ? (handler as { [kRuntime]?: Runtime })[kRuntime] : undefined;
}
