// The FC context of one request: common headers → typed object (FC 3.0 env vars as fallback), and the store that carries it.
import type { IncomingHttpHeaders } from 'http';
import type { Invocation } from './invocation';
import { createLogger, type FcLogger } from './logging/logger';
import { rememberCredentials } from './logging/redact';
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
  /** The `x-fc-base-path` prefix the request came with, for building links. */
  basePath: string | undefined;
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
  credentials: FcCredentials;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): EnvContext {
  const credentials = {
    accessKeyId: env.ALIBABA_CLOUD_ACCESS_KEY_ID,
    accessKeySecret: env.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
    securityToken: env.ALIBABA_CLOUD_SECURITY_TOKEN,
  };
  rememberCredentials(credentials.accessKeySecret, credentials.securityToken);
  return {
    functionName: env.FC_FUNCTION_NAME,
    handler: env.FC_FUNCTION_HANDLER,
    memory: toNumber(env.FC_FUNCTION_MEMORY_SIZE),
    region: env.FC_REGION,
    accountId: env.FC_ACCOUNT_ID,
    instanceId: env.FC_INSTANCE_ID,
    credentials,
  };
}

/**
 * A header's value, or undefined; only set-cookie is ever an array, and FC sends none. Callers read
 * the header themselves, `text(headers['x-fc-…'])`: a load by a name known where it is written is
 * many times cheaper than one by a name passed in.
 */
function text(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function toNumber(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
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
      memory: toNumber(text(headers['x-fc-function-memory'])) ?? env.memory,
      initializer: text(headers['x-fc-function-initializer']),
      initializationTimeout: toNumber(text(headers['x-fc-initialization-timeout'])),
      preStopHandler: text(headers['x-fc-instance-lifecycle-pre-stop-handler']),
      preFreezeHandler: text(headers['x-fc-instance-lifecycle-pre-freeze-handler']),
    };
    this.service = {
      name: text(headers['x-fc-service-name']),
      logProject: text(headers['x-fc-service-logproject']),
      logStore: text(headers['x-fc-service-logstore']),
      qualifier: text(headers['x-fc-qualifier']),
      versionId: text(headers['x-fc-version-id']),
    };
    this.region = text(headers['x-fc-region']) ?? env.region;
    this.accountId = text(headers['x-fc-account-id']) ?? env.accountId;
    this.instanceId = env.instanceId;
    this.basePath = text(headers['x-fc-base-path']);
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
