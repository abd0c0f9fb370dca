// Options for register and `fc-runtime start`: fc-runtime.config.{js,cjs,mjs} beside the entry, then EXPRESS_FC_* env vars over it.
import { existsSync } from 'fs';
import { dirname, join } from 'path';
import { envSetting, parseBoolean } from './env-settings';
import { isCommonJsInEsm, loadModule, moduleValue } from './load-module';
import { SERVE_CHECKS, type ServeOptions } from './serve';
import { validateOptions } from './options';
import { firstLine, UserError } from './user-error';

export const CONFIG_FILES = ['fc-runtime.config.js', 'fc-runtime.config.cjs', 'fc-runtime.config.mjs'];

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

/** Options now, or once an ES module config file has been imported. */
export type Pending<T> = T | Promise<T>;

/** The one line a config file that failed to load ends in. */
function loadFailed(name: string, error: unknown): UserError {
  if (isCommonJsInEsm(error)) {
    const why = name.endsWith('.mjs') ? 'an .mjs file is an ES module' : 'it is an ES module here (package.json has "type": "module")';
    return new UserError(`${name} uses module.exports, but ${why}: write \`export default { ... }\`, or rename it fc-runtime.config.cjs.`);
  }
  return new UserError(`${name} failed to load: ${firstLine(error)}`);
}

/** The options a loaded config file exports, checked. */
function optionsOf(name: string, exported: unknown): Record<string, unknown> {
  const value = moduleValue(exported);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UserError(`${name} must export an object of options (export default { ... } or module.exports = { ... }).`);
  }
  const options = { ...(value as Record<string, unknown>) };
  try {
    validateOptions(options, name, SERVE_CHECKS);
  } catch (error) {
    throw new UserError(firstLine(error));
  }
  return options;
}

/**
 * The config file's options, if `dir` has one; any failure to load it is one UserError line. A
 * CommonJS file (or an ES module Node can require()) is read at once, so register's takeover
 * starts with its options in; an ES module only import() loads is read when that resolves.
 */
function readConfigFile(dir: string): Pending<Record<string, unknown>> {
  const name = CONFIG_FILES.find((file) => existsSync(join(dir, file)));
  if (name === undefined) return {};
  let loaded;
  try {
    loaded = loadModule(join(dir, name));
  } catch (error) {
    throw loadFailed(name, error);
  }
  if ('exports' in loaded) return optionsOf(name, loaded.exports);
  return loaded.imported.then(
    (exported) => optionsOf(name, exported),
    (error: unknown) => {
      throw loadFailed(name, error);
    },
  );
}

/** The options the env vars set. */
function envOptions(env: NodeJS.ProcessEnv): ServeOptions {
  const options: Record<string, unknown> = {};
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

/**
 * The options for the app at `entry`: its directory's config file, with the env vars over it. A
 * promise only when the config file is an ES module that must be import()ed.
 */
export function loadOptions(entry: string | undefined, env: NodeJS.ProcessEnv): Pending<ServeOptions> {
  const options = readConfigFile(entry === undefined ? process.cwd() : dirname(entry));
  // Env vars are checked at once either way: a wrong one ends the process before the app starts.
  const fromEnv = envOptions(env);
  if (options instanceof Promise) return options.then((file) => ({ ...file, ...fromEnv }));
  return { ...options, ...fromEnv };
}
