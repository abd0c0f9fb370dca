// Who the local FC says the function is: its configuration's names and figures, its fake temporary credentials, and the environment and headers that carry them.
import { randomBytes } from 'crypto';
import { existsSync } from 'fs';
import { delimiter, dirname } from 'path';
import { ENV_PREFIX, OLD_ENV_NAMES } from '../../env-settings';
import type { FunctionConfig } from './function-config';

/** What FC states that s.yaml does not: the account, the version. */
const ACCOUNT = {
  accountId: '1000000000000000',
  qualifier: 'LATEST',
  versionId: '1',
} as const;

// What a host lends the runtime from its own environment, and this package's own settings
// (EXPRESS_FC_*), which a function sets in its FC configuration; everything else comes from FC.
// The old FC_ names pass too, so the runtime's warning to rename them shows locally before a deploy fails.
const PASSED_ENV = ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR', 'DEBUG', 'NODE_OPTIONS', ...OLD_ENV_NAMES];

/** FC's own Node folders, which a function's PATH names and this machine does not have. */
const FC_NODE_DIR = /^\/(?:var\/fc\/lang|opt)\/nodejs\d+\/bin\/?$/;

/** The function's fake temporary credentials: in the environment and on every request, like FC's. */
export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken: string;
}

export interface Identity {
  config: FunctionConfig;
  credentials: Credentials;
  instanceId: string;
}

/** A fresh identity for one instance of the function: new credentials, a new instance id. */
export function newIdentity(config: FunctionConfig): Identity {
  return {
    config,
    credentials: {
      accessKeyId: `STS.local${randomBytes(8).toString('hex')}`,
      accessKeySecret: randomBytes(24).toString('base64url'),
      securityToken: `CAIS${randomBytes(48).toString('base64url')}`,
    },
    instanceId: `c-local-${randomBytes(6).toString('hex')}`,
  };
}

/**
 * A PATH from the function's environmentVariables, as FC would use it, with this machine's Node
 * still found: FC's Node folders (`/var/fc/lang/nodejs20/bin`, a layer's `/opt/nodejs22/bin`) that
 * do not exist here stand for the folder of the Node running this CLI.
 */
export function localPath(path: string, nodeDir: string = dirname(process.execPath)): string {
  const dirs = path.split(delimiter);
  const at = dirs.findIndex((dir) => FC_NODE_DIR.test(dir) && !existsSync(dir));
  if (at === -1) return dirs.includes(nodeDir) ? path : [...dirs, nodeDir].join(delimiter);
  return [...dirs.slice(0, at), nodeDir, ...dirs.slice(at + 1)].join(delimiter);
}

/**
 * The runtime's environment, in FC's order: what the host lends, FC's own variables (FC 3.0 names, FC
 * 2.0's port too) with the configuration's values, the function's environmentVariables, then the
 * local values of --env-file and --env.
 */
export function environment(
  { config, credentials, instanceId }: Identity,
  port: number,
  hostEnv: NodeJS.ProcessEnv,
  localEnv: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(hostEnv)) {
    if (value !== undefined && (PASSED_ENV.includes(name) || name.startsWith(ENV_PREFIX))) env[name] = value;
  }
  const own: Record<string, string> = { ...config.environment };
  if ('PATH' in own) own.PATH = localPath(own.PATH);
  return {
    ...env,
    FC_CUSTOM_LISTEN_PORT: String(port),
    FC_SERVER_PORT: String(port),
    FC_FUNCTION_NAME: config.name,
    FC_FUNCTION_HANDLER: config.handler,
    FC_FUNCTION_MEMORY_SIZE: String(config.memoryMb),
    FC_REGION: config.region,
    FC_ACCOUNT_ID: ACCOUNT.accountId,
    FC_INSTANCE_ID: instanceId,
    FC_FUNC_CODE_PATH: config.codeDir,
    FC_FUNCTION_VERSION: ACCOUNT.versionId,
    ALIBABA_CLOUD_ACCESS_KEY_ID: credentials.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: credentials.accessKeySecret,
    ALIBABA_CLOUD_SECURITY_TOKEN: credentials.securityToken,
    ...own,
    ...localEnv,
  };
}

/** What FC knows of one request beyond the function: the client's address for HTTP invocations. */
export interface RequestFacts {
  clientIp?: string;
}

/**
 * FC 3.0's common headers for one request, as FC sends them: every one present, the ones FC has no
 * value for empty (log project and store without logConfig, tracing without tracingConfig).
 */
export function commonHeaders(
  { config, credentials }: Identity,
  controlPath: string,
  requestId: string,
  { clientIp = '' }: RequestFacts = {},
): Record<string, string> {
  return {
    'x-fc-request-id': requestId,
    'x-fc-access-key-id': credentials.accessKeyId,
    'x-fc-access-key-secret': credentials.accessKeySecret,
    'x-fc-security-token': credentials.securityToken,
    'x-fc-function-handler': config.handler,
    'x-fc-function-memory': String(config.memoryMb),
    'x-fc-function-name': config.name,
    // A bare bootstrap folder states none: empty, as FC sends what it has no value for.
    'x-fc-function-timeout': Number.isFinite(config.timeoutS) ? String(config.timeoutS) : '',
    'x-fc-region': config.region,
    'x-fc-account-id': ACCOUNT.accountId,
    'x-fc-qualifier': ACCOUNT.qualifier,
    'x-fc-version-id': ACCOUNT.versionId,
    'x-fc-service-logproject': config.logConfig ? `serverless-${config.region}-local` : '',
    'x-fc-service-logstore': config.logConfig ? 'default-logs' : '',
    'x-fc-retry-count': '0',
    'x-fc-client-ip': clientIp,
    'x-fc-tracing-opentracing-span-context': '',
    'x-fc-tracing-opentracing-span-baggages': '',
    'x-fc-tracing-jaeger-endpoint': '',
    'x-fc-eagleeye-traceid': '',
    'x-fc-eagleeye-rpcid': '',
    'x-fc-control-path': controlPath,
  };
}
