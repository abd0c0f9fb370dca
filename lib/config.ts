// Options for register and `fc-runtime start`: fc-runtime.config.js beside the entry, then EXPRESS_FC_* env vars over it.
import { existsSync } from 'fs';
import { dirname, join } from 'path';
import { envSetting, parseBoolean } from './env-settings';
import { SERVE_CHECKS, type ServeOptions } from './serve';
import { validateOptions } from './options';
import { firstLine, UserError } from './user-error';

export const CONFIG_FILES = ['fc-runtime.config.js', 'fc-runtime.config.cjs'];

type Parse = (text: string) => unknown;
const asBoolean: Parse = (text) => parseBoolean(text) ?? text;
const asNumber: Parse = (text) => (/^\d+$/.test(text) ? Number(text) : text);
const asText: Parse = (text) => text;

/**
 * Each option an env var may set, as `EXPRESS_FC_` + its name in upper snake case. logLevel,
 * trustFcHeaders and the port are read by fcRuntime() and serve() themselves; functions (invoke, hooks) only come
 * from the config file.
 */
const ENV_OPTIONS: readonly { option: keyof ServeOptions; parse: Parse }[] = [
  { option: 'runtime', parse: asText },
  { option: 'eventPath', parse: asText },
  { option: 'limit', parse: asText },
  { option: 'console', parse: asBoolean },
  { option: 'keepCredentialHeaders', parse: asBoolean },
  { option: 'basePath', parse: asBoolean },
  { option: 'keepAliveOnCrash', parse: asBoolean },
  { option: 'drainTimeout', parse: asNumber },
];

/** The config file's options, if `dir` has one; any failure to load it is one UserError line. */
function readConfigFile(dir: string): Record<string, unknown> {
  const name = CONFIG_FILES.find((file) => existsSync(join(dir, file)));
  if (name === undefined) return {};
  let exported: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the user's CommonJS config file, loaded synchronously at startup (import() would make loading async)
    exported = require(join(dir, name));
  } catch (error) {
    throw new UserError(`${name} failed to load: ${firstLine(error)}`);
  }
  if (typeof exported !== 'object' || exported === null || Array.isArray(exported)) {
    throw new UserError(`${name} must export an object of options (module.exports = { ... }).`);
  }
  const options = { ...(exported as Record<string, unknown>) };
  try {
    validateOptions(options, name, SERVE_CHECKS);
  } catch (error) {
    throw new UserError(firstLine(error));
  }
  return options;
}

/** The options for the app at `entry`: its directory's config file, with the env vars over it. */
export function loadOptions(entry: string | undefined, env: NodeJS.ProcessEnv): ServeOptions {
  const options = readConfigFile(entry === undefined ? process.cwd() : dirname(entry));
  for (const { option, parse } of ENV_OPTIONS) {
    const setting = envSetting(env, option);
    if (setting === undefined) continue;
    const { name, text } = setting;
    const value = parse(text);
    const problem = SERVE_CHECKS[option](value);
    if (problem !== undefined) throw new UserError(`${name} must be ${problem}, got "${text}".`);
    options[option] = value;
  }
  return options;
}
