// Checks on the function s.yaml describes, beside what the server run showed: what FC would reject, and what
// it would take but run differently from here (a warning with the fix).
import { existsSync, statSync } from 'fs';
import { isAbsolute, join } from 'path';
import type { RuntimeHooks } from '../../hooks-line';
import type { BootstrapVerdict } from '../fc/bootstrap';
import { runsBootstrap, type FunctionConfig } from '../fc/function-config';
import { fail, pass, warn, type Verdict } from '../fc/verdict';
import { sizeText } from '../size-text';
import { FC_CONNECTION_MS } from './connection';
import type { ServerRecord } from './probe';
import type { Outcome } from './protocol';

/** FC's limit on a function's environmentVariables, all of them together. */
export const MAX_ENVIRONMENT_BYTES = 4 * 1024;
/** Methods an HTTP trigger must allow for browsers' CORS preflight and for health checks; FC answers others 403. */
const NEEDED_METHODS = ['HEAD', 'OPTIONS'];
const DOMAIN_FIX = 'add an fc3-domain resource with `domainName: auto` and a route `/*` to the function (`fc-runtime init` writes one)';

const fromSYaml = (config: FunctionConfig) => config.resource !== undefined;

/** Every HTTP trigger allows HEAD and OPTIONS. */
export function triggerMethodsVerdict(config: FunctionConfig): Verdict | undefined {
  if (config.httpTriggers.length === 0) return undefined;
  const short = config.httpTriggers.flatMap(({ name, methods }) => {
    const missing = NEEDED_METHODS.filter((method) => !methods.includes(method));
    return missing.length === 0 ? [] : [`${name} (no ${missing.join(', ')})`];
  });
  if (short.length === 0) return pass(`the HTTP trigger allows ${NEEDED_METHODS.join(' and ')}`);
  return warn(
    `HTTP trigger ${short.join(', ')}: FC answers those methods 403, so browsers' CORS preflight and health checks fail`,
    `add ${NEEDED_METHODS.join(' and ')} to triggerConfig.methods`,
  );
}

/**
 * environmentVariables within FC's 4 KB. FC documents the total without saying how it counts; this
 * counts the JSON object the API is sent, which is the larger reading.
 */
export function environmentSizeVerdict(config: FunctionConfig): Verdict | undefined {
  if (!fromSYaml(config)) return undefined;
  const bytes = Buffer.byteLength(JSON.stringify(config.environment));
  if (bytes > MAX_ENVIRONMENT_BYTES) {
    return fail(
      `environmentVariables take ${sizeText(bytes)}, over FC's 4 KB for all of them (FC rejects the deploy)`,
      'keep large values in a file of the code, OSS or a secret store, and only their names in environmentVariables',
    );
  }
  return pass(`environmentVariables take ${sizeText(bytes)} of FC's 4 KB`);
}

/** logConfig set: without it FC keeps no log at all. */
export function logConfigVerdict(config: FunctionConfig): Verdict | undefined {
  if (!fromSYaml(config)) return undefined;
  if (config.logConfig) return pass('logConfig is set: the log reaches Log Service');
  return warn('s.yaml has no logConfig, so no line of the log reaches Log Service', 'add `logConfig: auto` to the function');
}

/** A file the command names, as found in the code folder. */
export interface CommandFile {
  written: string;
  exists: boolean;
  executable: boolean;
}

/** customRuntimeConfig.command and args, with the files they name looked up in the code folder. */
export interface CommandEvidence {
  config: FunctionConfig;
  /** The command when it is a file of the code folder (`./start.sh`, `/code/run`). */
  program: CommandFile | undefined;
  /** The first argument that names a script (`server.js`, `./dist/main.js`). */
  script: CommandFile | undefined;
}

/** The path in the code folder of a file FC finds at `written` (the code folder is /code, and FC's cwd). */
function inCodeFolder(codeDir: string, written: string): string | undefined {
  if (written.startsWith('/code/')) return join(codeDir, written.slice('/code/'.length));
  return isAbsolute(written) ? undefined : join(codeDir, written);
}

function lookUp(codeDir: string, written: string): CommandFile | undefined {
  const path = inCodeFolder(codeDir, written);
  if (path === undefined) return undefined;
  let mode: number | undefined;
  try {
    const stats = statSync(path);
    mode = stats.isFile() ? stats.mode : undefined;
  } catch {
    mode = undefined;
  }
  return { written, exists: mode !== undefined || existsSync(path), executable: mode !== undefined && (mode & 0o111) === 0o111 };
}

/** Reads what the command names in the code folder, for commandVerdict. */
export function readCommand(config: FunctionConfig): CommandEvidence {
  const [program, ...args] = config.command ?? [];
  const script = args.find((arg) => !arg.startsWith('-') && /(^\.{0,2}\/|\.[cm]?[jt]s$|\.sh$)/.test(arg));
  return {
    config,
    program: (program as string | undefined)?.includes('/') === true ? lookUp(config.codeDir, program) : undefined,
    script: script === undefined ? undefined : lookUp(config.codeDir, script),
  };
}

/** The command FC runs exists in the code folder and may be run; its script too. The bootstrap has rules of its own. */
export function commandVerdict({ config, program, script }: CommandEvidence): BootstrapVerdict | undefined {
  if (config.command === undefined || runsBootstrap(config)) return undefined;
  const shown = config.command.join(' ');
  if (program !== undefined && !program.exists) {
    return {
      ...fail(
        `customRuntimeConfig.command runs ${program.written}, which is not in the code folder (FC: CAFileNotFound)`,
        'fix the command, or add the file',
      ),
      unstartable: true,
    };
  }
  if (program !== undefined && !program.executable) {
    return {
      ...fail(
        `customRuntimeConfig.command runs ${program.written}, which is not executable by all (FC: permission denied)`,
        `run \`chmod 755 ${program.written}\``,
      ),
      unstartable: true,
    };
  }
  if (script !== undefined && !script.exists) {
    return {
      ...fail(
        `customRuntimeConfig.args name ${script.written}, which is not in the code folder`,
        'fix args, or build it first (FC runs the command in the code folder)',
      ),
      unstartable: true,
    };
  }
  return pass(`FC runs \`${shown}\` in the code folder`);
}

/** An initializer or preStop is configured in s.yaml exactly when the app has one: FC calls a hook only when configured. */
export function hooksVerdict({ config, hooks }: { config: FunctionConfig; hooks: RuntimeHooks | undefined }): Verdict | undefined {
  if (!fromSYaml(config) || hooks === undefined) return undefined;
  const problems: string[] = [];
  const fixes: string[] = [];
  const compare = (app: boolean, configured: boolean, hook: string, key: string) => {
    if (app && !configured) {
      problems.push(`the app has ${/^[aeiou]/.test(hook) ? 'an' : 'a'} ${hook} that s.yaml does not configure, so FC never calls it`);
      fixes.push(`add instanceLifecycleConfig.${key} (handler: any name, timeout in seconds)`);
    } else if (!app && configured) {
      problems.push(`s.yaml configures instanceLifecycleConfig.${key} but the app has no ${hook}`);
      fixes.push(`remove instanceLifecycleConfig.${key}, or give the app its ${hook}`);
    }
  };
  compare(hooks.initialize, config.initializer !== undefined, 'initializer', 'initializer');
  compare(hooks.preStop, config.preStop !== undefined, 'preStop', 'preStop');
  if (problems.length > 0) return warn(problems.join('; '), fixes.join('; '));
  const both = [hooks.initialize && 'initializer', hooks.preStop && 'preStop'].filter(Boolean).join(' and ');
  return pass(both === '' ? 'the app has no initializer or preStop, and s.yaml configures none' : `s.yaml configures the app's ${both}`);
}

/** HTML pages go out through a custom domain: FC's default domain makes browsers download them. */
export function htmlDomainVerdict({ config, site }: { config: FunctionConfig; site: Outcome }): Verdict | undefined {
  if (!fromSYaml(config) || !('answer' in site)) return undefined;
  const type = site.answer.headers['content-type'] ?? '';
  if (!/^text\/html\b/i.test(type)) return undefined;
  if (config.customDomain) return pass(`GET / answers HTML, served through s.yaml's custom domain`);
  return warn(
    "GET / answers HTML and s.yaml routes no custom domain to the function: FC's default domain adds `content-disposition: attachment`, so browsers download the pages",
    DOMAIN_FIX,
  );
}

const REQUEST_TIMEOUTS = ['requestTimeout', 'timeout'] as const;

/** No timeout of the server's own cuts a request the function's timeout allows (the short ones fail the connection check). */
export function functionTimeoutVerdict({
  config,
  server,
}: {
  config: FunctionConfig;
  server: ServerRecord | undefined;
}): Verdict | undefined {
  if (!fromSYaml(config) || server === undefined || !Number.isFinite(config.timeoutS)) return undefined;
  const limit = config.timeoutS * 1000;
  const cut = REQUEST_TIMEOUTS.filter((name) => server[name] >= FC_CONNECTION_MS && server[name] < limit).map(
    (name) => `${name} ${server[name] / 1000} s`,
  );
  if (cut.length > 0) {
    return warn(
      `the server cuts requests before the function's timeout of ${config.timeoutS} s: ${cut.join(', ')}`,
      "set the server's requestTimeout and timeout to 0 (serve() and `node -r express-fc-runtime/register` do)",
    );
  }
  return pass(`the server cuts no request before the function's timeout of ${config.timeoutS} s`);
}
