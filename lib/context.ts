// The FC context of one request: common headers → typed object (FC 3.0 env vars as fallback), and the store that carries it.
import type { IncomingHttpHeaders } from 'http';
import type { Invocation } from './invocation';
import { createLogger, type FcLogger } from './logging/logger';
import { pinCredentials, rememberCredentials } from './logging/redact';
import { storage } from './storage';

export interface FcCredentials {
  accessKeyId: string | undefined;
  accessKeySecret: string | undefined;
  securityToken: string | undefined;
}

export interface FcFunctionInfo {
  name: string | undefined;
  handler: string | undefined;
  /** Memory size in MB. */
  memory: number | undefined;
  /** The function's timeout in seconds (`x-fc-function-timeout`). */
  timeout: number | undefined;
  initializer: string | undefined;
  /** Initializer timeout in seconds. */
  initializationTimeout: number | undefined;
  preStopHandler: string | undefined;
  preFreezeHandler: string | undefined;
}

export interface FcServiceInfo {
  name: string | undefined;
  logProject: string | undefined;
  logStore: string | undefined;
  qualifier: string | undefined;
  versionId: string | undefined;
}

/** FC's tracing details, as FC's Node.js runtime gives them in `context.tracing`. */
export interface FcTracing {
  openTracingSpanContext: string | undefined;
  /** As FC sends it (`x-fc-tracing-opentracing-span-baggages`), unparsed. */
  openTracingSpanBaggages: string | undefined;
  jaegerEndpoint: string | undefined;
}

/** The context of FC's classic Node.js runtime, so that old handlers port unchanged. */
export interface FcContext {
  requestId: string;
  /** `/invoke`, `/http-invoke`, `/initialize`, `/pre-freeze` or `/pre-stop`. */
  controlPath: string;
  credentials: FcCredentials;
  function: FcFunctionInfo;
  service: FcServiceInfo;
  region: string | undefined;
  accountId: string | undefined;
  instanceId: string | undefined;
  /**
   * `x-fc-base-path` as FC sent it: FC 2.0's proxy prefix (removed from the URL; for building
   * links), or what FC 3.0 sends there (the whole path, behind an API gateway; the URL is left alone).
   */
  basePath: string | undefined;
  /** How many times FC has retried this invocation (`x-fc-retry-count`). */
  retryCount: number | undefined;
  /** The client's address as FC saw it (`x-fc-client-ip`). */
  clientIp: string | undefined;
  tracing: FcTracing;
  logger: FcLogger;
}

/** What the FC 3.0 environment says, read once per fcRuntime() so requests do not touch process.env. */
export interface EnvContext {
  functionName: string | undefined;
  handler: string | undefined;
  memory: number | undefined;
  region: string | undefined;
  accountId: string | undefined;
  instanceId: string | undefined;
  versionId: string | undefined;
  credentials: FcCredentials;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): EnvContext {
  const credentials = {
    accessKeyId: text(env.ALIBABA_CLOUD_ACCESS_KEY_ID),
    accessKeySecret: text(env.ALIBABA_CLOUD_ACCESS_KEY_SECRET),
    securityToken: text(env.ALIBABA_CLOUD_SECURITY_TOKEN),
  };
  pinCredentials(credentials.accessKeySecret, credentials.securityToken);
  return {
    functionName: text(env.FC_FUNCTION_NAME),
    handler: text(env.FC_FUNCTION_HANDLER),
    memory: toInteger(env.FC_FUNCTION_MEMORY_SIZE),
    region: text(env.FC_REGION),
    accountId: text(env.FC_ACCOUNT_ID),
    instanceId: text(env.FC_INSTANCE_ID),
    // debian10 calls it FC_VER_ID.
    versionId: text(env.FC_FUNCTION_VERSION) ?? text(env.FC_VER_ID),
    credentials,
  };
}

/**
 * A header's (or env var's) value, or undefined. Empty counts as missing: FC 3.0 sends many of its
 * headers present but empty (the credentials, when the function has no role). Only set-cookie is
 * ever an array, and FC sends none. Callers read the header themselves, `text(headers['x-fc-…'])`:
 * a load by a name known where it is written is many times cheaper than one by a name passed in.
 */
function text(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

// Plain decimal notation only: Number() would also take `0x10`, `1e3`, ` 128 ` and `-1`.
const INTEGER = /^\d{1,15}$/;
const SECONDS = /^\d{1,15}(\.\d{1,9})?$/;

/** A count or a size: decimal digits, else undefined. */
function toInteger(value: string | undefined): number | undefined {
  return value !== undefined && INTEGER.test(value) ? Number(value) : undefined;
}

/** A duration in seconds: decimal digits with an optional fraction, else undefined. */
function toSeconds(value: string | undefined): number | undefined {
  return value !== undefined && SECONDS.test(value) ? Number(value) : undefined;
}

class Context implements FcContext {
  requestId: string;
  controlPath: string;
  credentials: FcCredentials;
  function: FcFunctionInfo;
  service: FcServiceInfo;
  region: string | undefined;
  accountId: string | undefined;
  instanceId: string | undefined;
  basePath: string | undefined;
  retryCount: number | undefined;
  clientIp: string | undefined;
  tracing: FcTracing;
  #invocation: Invocation;
  #logger: FcLogger | undefined;

  constructor(headers: IncomingHttpHeaders, requestId: string, controlPath: string, env: EnvContext, invocation: Invocation) {
    this.requestId = requestId;
    this.controlPath = controlPath;
    const accessKeyId = text(headers['x-fc-access-key-id']);
    const accessKeySecret = text(headers['x-fc-access-key-secret']);
    const securityToken = text(headers['x-fc-security-token']);
    // Credentials are a set: a key id from the headers with a secret from the env would be no credential at all.
    if (accessKeyId !== undefined || accessKeySecret !== undefined || securityToken !== undefined) {
      rememberCredentials(accessKeySecret, securityToken);
      this.credentials = { accessKeyId, accessKeySecret, securityToken };
    } else {
      this.credentials = { ...env.credentials };
    }
    this.function = {
      name: text(headers['x-fc-function-name']) ?? env.functionName,
      handler: text(headers['x-fc-function-handler']) ?? env.handler,
      memory: toInteger(text(headers['x-fc-function-memory'])) ?? env.memory,
      timeout: toSeconds(text(headers['x-fc-function-timeout'])),
      initializer: text(headers['x-fc-function-initializer']),
      initializationTimeout: toSeconds(text(headers['x-fc-initialization-timeout'])),
      preStopHandler: text(headers['x-fc-instance-lifecycle-pre-stop-handler']),
      preFreezeHandler: text(headers['x-fc-instance-lifecycle-pre-freeze-handler']),
    };
    this.service = {
      name: text(headers['x-fc-service-name']),
      logProject: text(headers['x-fc-service-logproject']),
      logStore: text(headers['x-fc-service-logstore']),
      qualifier: text(headers['x-fc-qualifier']),
      versionId: text(headers['x-fc-version-id']) ?? env.versionId,
    };
    this.region = text(headers['x-fc-region']) ?? env.region;
    this.accountId = text(headers['x-fc-account-id']) ?? env.accountId;
    this.instanceId = env.instanceId;
    this.basePath = text(headers['x-fc-base-path']);
    this.retryCount = toInteger(text(headers['x-fc-retry-count']));
    this.clientIp = text(headers['x-fc-client-ip']);
    this.tracing = {
      openTracingSpanContext: text(headers['x-fc-tracing-opentracing-span-context']),
      openTracingSpanBaggages: text(headers['x-fc-tracing-opentracing-span-baggages']),
      jaegerEndpoint: text(headers['x-fc-tracing-jaeger-endpoint']),
    };
    this.#invocation = invocation;
  }

  /** Made on first use: most requests never ask for it. */
  get logger(): FcLogger {
    return (this.#logger ??= createLogger(this.#invocation));
  }

  static invocationOf(context: Context): Invocation {
    return context.#invocation;
  }
}

export function createContext(
  headers: IncomingHttpHeaders,
  requestId: string,
  controlPath: string,
  env: EnvContext,
  invocation: Invocation,
): FcContext {
  return new Context(headers, requestId, controlPath, env, invocation);
}

/** The invocation behind a context an fcRuntime made (a request's req.fc); undefined for anything else. */
export function invocationOf(value: unknown): Invocation | undefined {
  return value instanceof Context ? Context.invocationOf(value) : undefined;
}

/** The FC context of the request whose async flow this code runs in; undefined outside any request. */
export function currentContext(): FcContext | undefined {
  return storage.getStore()?.context;
}

/**
 * `{ requestId }` of the invocation this code runs in, `{}` outside any: made to be pino's `mixin`
 * option (`pino({ mixin: requestIdMixin })`), so that every JSON line a logger writes during an
 * invocation carries FC's request id, as the runtime's own lines do. Any logger that merges an
 * object into its lines can use it the same way.
 */
export function requestIdMixin(): { requestId?: string } {
  const context = storage.getStore()?.context;
  return context === undefined ? {} : { requestId: context.requestId };
}
