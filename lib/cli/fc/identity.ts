// Who the local FC says the function is: its names, its fake temporary credentials, and the environment and headers that carry them.
import { randomBytes } from 'crypto';
import { basename } from 'path';
import { ENV_PREFIX, OLD_ENV_NAMES } from '../../env-settings';

/** The function's settings as FC states them, the same in the environment and on every request. */
const FUNCTION = {
  handler: 'index.handler',
  memoryMb: '512',
  initializer: 'index.initializer',
  initializationTimeoutS: '30',
  preStopHandler: 'index.preStop',
  region: 'cn-hangzhou',
  accountId: '1000000000000000',
  qualifier: 'LATEST',
  versionId: '1',
} as const;

// What a host lends the runtime from its own environment, and this package's own settings
// (EXPRESS_FC_*), which a function sets in its FC configuration; everything else comes from FC.
// The old FC_ names pass too, so the runtime's warning to rename them shows locally before a deploy fails.
const PASSED_ENV = ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR', 'DEBUG', 'NODE_OPTIONS', ...OLD_ENV_NAMES];

/** The function's fake temporary credentials: in the environment and on every request, like FC's. */
export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken: string;
}

export interface Identity {
  functionName: string;
  credentials: Credentials;
}

/** A fresh identity for the function in `dir` (a resolved path): named after its folder, with new credentials. */
export function newIdentity(dir: string): Identity {
  return {
    functionName: basename(dir).replace(/[^\w-]/g, '-') || 'function',
    credentials: {
      accessKeyId: `STS.local${randomBytes(8).toString('hex')}`,
      accessKeySecret: randomBytes(24).toString('base64url'),
      securityToken: `CAIS${randomBytes(48).toString('base64url')}`,
    },
  };
}

/** The environment FC gives a custom runtime listening on `port` (FC 3.0 names, FC 2.0's port too), with what the host lends it. */
export function environment({ functionName, credentials }: Identity, port: number, hostEnv: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(hostEnv)) {
    if (value !== undefined && (PASSED_ENV.includes(name) || name.startsWith(ENV_PREFIX))) env[name] = value;
  }
  return {
    ...env,
    FC_CUSTOM_LISTEN_PORT: String(port),
    FC_SERVER_PORT: String(port),
    FC_FUNCTION_NAME: functionName,
    FC_FUNCTION_HANDLER: FUNCTION.handler,
    FC_FUNCTION_MEMORY_SIZE: FUNCTION.memoryMb,
    FC_REGION: FUNCTION.region,
    FC_ACCOUNT_ID: FUNCTION.accountId,
    FC_INSTANCE_ID: `c-local-${randomBytes(6).toString('hex')}`,
    ALIBABA_CLOUD_ACCESS_KEY_ID: credentials.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: credentials.accessKeySecret,
    ALIBABA_CLOUD_SECURITY_TOKEN: credentials.securityToken,
  };
}

/** FC's common headers for one request, as FC sends them. */
export function commonHeaders({ functionName, credentials }: Identity, controlPath: string, requestId: string): Record<string, string> {
  return {
    'x-fc-request-id': requestId,
    'x-fc-access-key-id': credentials.accessKeyId,
    'x-fc-access-key-secret': credentials.accessKeySecret,
    'x-fc-security-token': credentials.securityToken,
    'x-fc-function-name': functionName,
    'x-fc-function-handler': FUNCTION.handler,
    'x-fc-function-memory': FUNCTION.memoryMb,
    'x-fc-function-initializer': FUNCTION.initializer,
    'x-fc-initialization-timeout': FUNCTION.initializationTimeoutS,
    'x-fc-instance-lifecycle-pre-stop-handler': FUNCTION.preStopHandler,
    'x-fc-region': FUNCTION.region,
    'x-fc-account-id': FUNCTION.accountId,
    'x-fc-qualifier': FUNCTION.qualifier,
    'x-fc-version-id': FUNCTION.versionId,
    'x-fc-control-path': controlPath,
  };
}
