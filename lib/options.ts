// Options of fcRuntime(): the public type, validation once at construction, and the resolved settings.
import bytes from 'bytes';
import type { EventEmitter } from 'events';
import type { IncomingMessage, ServerResponse } from 'http';
import { inspect } from 'util';
import type { FcContext } from './context';
import { envSetting, parseBoolean } from './env-settings';
import { envLevel, LEVELS, levelOf, type LogLevel } from './logging/format';

/** FC's classic callback: `callback(error)` fails the invocation, `callback(null, result)` answers it. */
export type Callback = (error?: unknown, result?: unknown) => void;

/**
 * Handles an event sent to `POST /invoke`. Return the result (or a promise of it), or call
 * `callback` as in FC's classic Node.js runtime.
 */
export type InvokeHandler = (event: Buffer, context: FcContext, callback: Callback) => unknown;

/** An initializer or lifecycle hook: return a promise, or call `callback` when done. */
export type HookHandler = (context: FcContext, callback: Callback) => unknown;

/** The part of a cls-hooked namespace that fcRuntime uses. */
export interface ClsNamespace {
  run(fn: (...args: unknown[]) => void): void;
  set<T>(key: string, value: T): T;
  bindEmitter(emitter: EventEmitter): void;
}

export interface Options {
  /** Name printed in `FunctionCompute ${runtime} runtime inited.`; not an official runtime's name. Defaults to `'express'`. */
  runtime?: string;
  /** Event handler for `POST /invoke`: `(event: Buffer, context[, callback])`. Defaults to none. */
  invoke?: InvokeHandler;
  /** Instead of `invoke`: re-dispatch each event into the app as `POST <eventPath>`. Defaults to none. */
  eventPath?: string;
  /** Initializer, run once per instance on `/initialize`: `(context[, callback])`. Defaults to none. */
  initialize?: HookHandler;
  /** Hook run on `/pre-freeze` (FC 2.0). Defaults to none. */
  preFreeze?: HookHandler;
  /** Hook run on `/pre-stop`, or on SIGTERM under `serve()`. Defaults to none. */
  preStop?: HookHandler;
  /** Largest event body, in bytes or as a string such as `'32mb'`. Defaults to 32 MB. */
  limit?: number | string;
  /** Lowest level written. Defaults to env `EXPRESS_FC_LOG_LEVEL`, else `'info'`. */
  logLevel?: LogLevel;
  /** Write the app's `console.*` output inside a request as FC log lines with its request id. Defaults to `true`. */
  console?: boolean;
  /** Leave `x-fc-access-key-secret` and `x-fc-security-token` in `req.headers`. Defaults to `false`. */
  keepCredentialHeaders?: boolean;
  /** Remove the `x-fc-base-path` prefix from the path before the app routes it. Defaults to `true`. */
  basePath?: boolean;
  /** When `x-fc-status` says the call failed (404). Defaults to a response status of 500 or more. */
  isFailure?: (req: IncomingMessage, res: ServerResponse) => boolean;
  /** A cls-hooked namespace in which the context is also published, as `fc` and `requestId`. Defaults to none. */
  namespace?: ClsNamespace;
  /** Stay up after an uncaught error raised inside a request. Defaults to `false` (Node's default: exit). */
  keepAliveOnCrash?: boolean;
  /**
   * Longest time, in milliseconds, that `invoke`, `preFreeze` or `preStop` may take. Past it the
   * runtime answers FC 404 with a `TimeoutError`, logs it at ERROR with the request id, ends the
   * invocation, and ignores (with a WARN line) whatever the handler does later. The initializer is
   * bounded by FC's `x-fc-initialization-timeout` instead, and app routes are not bounded. Defaults
   * to none: FC itself enforces the function's timeout.
   */
  timeout?: number;
  /**
   * Whether the `x-fc-*` request headers are FC's own. On FC they are (FC refuses client requests
   * that carry one); anywhere else any client can send them, so off FC every request is plain HTTP
   * for the app: no control requests, no credentials or function facts from headers, no
   * `x-fc-log-result`, no base path. Defaults to env `EXPRESS_FC_TRUST_FC_HEADERS`, else `true`
   * where FC's environment is (`FC_FUNCTION_NAME`, `FC_INSTANCE_ID`, `FC_CUSTOM_LISTEN_PORT`,
   * `FC_SERVER_PORT` or `FC_FUNC_CODE_PATH`; the local FC sets them), else `false`.
   */
  trustFcHeaders?: boolean;
}

/** Options with every default applied; what the rest of the package reads. */
export interface Settings {
  runtime: string;
  invoke: InvokeHandler | undefined;
  eventPath: string | undefined;
  initialize: HookHandler | undefined;
  preFreeze: HookHandler | undefined;
  preStop: HookHandler | undefined;
  limit: number;
  level: number;
  console: boolean;
  keepCredentialHeaders: boolean;
  basePath: boolean;
  isFailure: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;
  namespace: ClsNamespace | undefined;
  keepAliveOnCrash: boolean;
  timeout: number | undefined;
  trustFcHeaders: boolean;
}

export const DEFAULT_LIMIT = 32 * 1024 * 1024;

/** setTimeout's largest delay: Node fires a longer one after 1 ms, with a warning. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

// FC rejects a custom runtime that calls itself by an official runtime's name.
export const OFFICIAL_RUNTIME = /^(nodejs|python|java|php|go|dotnetcore|custom)/i;

export type Check = (value: unknown) => string | undefined;
const isFunction: Check = (v) => (typeof v === 'function' ? undefined : 'a function');
const isBoolean: Check = (v) => (typeof v === 'boolean' ? undefined : 'true or false');

export const OPTION_CHECKS: { [K in keyof Options]-?: Check } = {
  runtime: (v) =>
    typeof v !== 'string' || !/^[\w.-]+$/.test(v)
      ? 'a name of letters, digits, ".", "-" or "_", such as "express"'
      : OFFICIAL_RUNTIME.test(v)
        ? 'a name other than an official FC runtime (nodejs, python, java, php, go, dotnetcore, custom)'
        : undefined,
  invoke: isFunction,
  eventPath: (v) => (typeof v === 'string' && /^\/\S*$/.test(v) ? undefined : 'a path starting with "/", such as "/events"'),
  initialize: isFunction,
  preFreeze: isFunction,
  preStop: isFunction,
  limit: (v) => (parseLimit(v) === undefined ? "a number of bytes or a size such as '32mb'" : undefined),
  logLevel: (v) => (typeof v === 'string' && levelOf(v) !== undefined ? undefined : `one of ${LEVELS.map((l) => `'${l}'`).join(', ')}`),
  console: isBoolean,
  keepCredentialHeaders: isBoolean,
  basePath: isBoolean,
  isFailure: isFunction,
  namespace: (v) =>
    typeof v === 'object' &&
    v !== null &&
    ['run', 'set', 'bindEmitter'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function')
      ? undefined
      : "a cls-hooked namespace (from createNamespace('…'))",
  keepAliveOnCrash: isBoolean,
  timeout: (v) =>
    typeof v === 'number' && v >= 1 && v <= MAX_TIMEOUT_MS
      ? undefined
      : `a number of milliseconds from 1 to ${MAX_TIMEOUT_MS}, such as 30000`,
  trustFcHeaders: isBoolean,
};

/** What FC 3.0 (and 2.0) sets in every instance's environment: one of them says the process runs on FC. */
const FC_ENVIRONMENT = ['FC_FUNCTION_NAME', 'FC_INSTANCE_ID', 'FC_CUSTOM_LISTEN_PORT', 'FC_SERVER_PORT', 'FC_FUNC_CODE_PATH'];

/** Whether `x-fc-*` headers are FC's: env `EXPRESS_FC_TRUST_FC_HEADERS` if set, else whether FC's environment is there. */
function envTrust(env: NodeJS.ProcessEnv): boolean {
  const setting = envSetting(env, 'trustFcHeaders');
  if (setting === undefined) return FC_ENVIRONMENT.some((name) => (env[name] ?? '') !== '');
  const value = parseBoolean(setting.text);
  if (value === undefined) throw new TypeError(`${setting.name} must be true or false, got "${setting.text}".`);
  return value;
}

function parseLimit(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const parsed = bytes.parse(value);
  return parsed === null || !Number.isSafeInteger(parsed) || parsed < 0 ? undefined : parsed;
}

/**
 * Checks every given key against the table above. `caller` names the function in the message
 * ("fcRuntime()", "serve()").
 */
export function validateOptions(
  options: Record<string, unknown>,
  caller: string,
  known: Partial<Record<string, Check>> = OPTION_CHECKS,
): void {
  for (const [key, value] of Object.entries(options)) {
    const check = known[key];
    if (check === undefined) {
      throw new TypeError(`${caller}: unknown option "${key}". Known options: ${Object.keys(known).join(', ')}.`);
    }
    if (value === undefined) continue;
    const expected = check(value);
    if (expected !== undefined) {
      throw new TypeError(`${caller}: option "${key}" must be ${expected}, got ${inspect(value, { depth: 0 })}.`);
    }
  }
}

/** Throws the helmet-style hint when the factory itself was mounted: `app.use(fcRuntime)`. */
export function rejectMisuse(options: unknown, caller: string): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${caller}: options must be an object, got ${inspect(options, { depth: 0 })}.`);
  }
  if ('socket' in options && 'headers' in options && 'method' in options) {
    throw new TypeError(`${caller} was given a request: mount it as app.use(fcRuntime()), not app.use(fcRuntime).`);
  }
}

export function resolveOptions(options: Options | undefined, env: NodeJS.ProcessEnv = process.env): Settings {
  rejectMisuse(options, 'fcRuntime()');
  const given = (options ?? {}) as Record<string, unknown>;
  validateOptions(given, 'fcRuntime()');
  if (given.invoke !== undefined && given.eventPath !== undefined) {
    throw new TypeError('fcRuntime(): options "invoke" and "eventPath" exclude each other: events go either to a handler or into the app.');
  }
  const o = given as Options;
  return {
    runtime: o.runtime ?? 'express',
    invoke: o.invoke,
    eventPath: o.eventPath,
    initialize: o.initialize,
    preFreeze: o.preFreeze,
    preStop: o.preStop,
    limit: o.limit === undefined ? DEFAULT_LIMIT : (parseLimit(o.limit) as number),
    level: o.logLevel === undefined ? envLevel(env) : (levelOf(o.logLevel) as number),
    console: o.console ?? true,
    keepCredentialHeaders: o.keepCredentialHeaders ?? false,
    basePath: o.basePath ?? true,
    isFailure: o.isFailure,
    namespace: o.namespace,
    keepAliveOnCrash: o.keepAliveOnCrash ?? false,
    timeout: o.timeout,
    trustFcHeaders: o.trustFcHeaders ?? envTrust(env),
  };
}
