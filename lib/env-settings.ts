// Settings from the environment: `EXPRESS_FC_` + the option's name in upper snake case, and the FC_ names they had before.

/** What every setting's name starts with, and no FC_ name does. */
export const ENV_PREFIX = 'EXPRESS_FC_';

/** The environment variable of an option: `logLevel` → `EXPRESS_FC_LOG_LEVEL`. */
export function envName(option: string): string {
  return ENV_PREFIX + option.replace(/[A-Z]/g, (letter) => '_' + letter).toUpperCase();
}

/**
 * The names before 0.2. FC reserves every name that starts with `FC_` and rejects a function
 * configuration that sets one, so they still count only where they can be set: a shell.
 */
const OLD_NAMES: ReadonlyMap<string, string> = new Map([
  ['logLevel', 'FC_LOG_LEVEL'],
  ['runtime', 'FC_RUNTIME_NAME'],
  ['eventPath', 'FC_RUNTIME_EVENT_PATH'],
  ['limit', 'FC_RUNTIME_LIMIT'],
  ['console', 'FC_RUNTIME_CONSOLE'],
  ['keepCredentialHeaders', 'FC_RUNTIME_KEEP_CREDENTIAL_HEADERS'],
  ['basePath', 'FC_RUNTIME_BASE_PATH'],
  ['keepAliveOnCrash', 'FC_RUNTIME_KEEP_ALIVE_ON_CRASH'],
  ['drainTimeout', 'FC_RUNTIME_DRAIN_TIMEOUT'],
]);

const warned = new Set<string>();

/** A setting as found: its text and the name it was set under (error messages name that one). */
export interface EnvSetting {
  name: string;
  text: string;
}

/**
 * The option's setting in `env`, unset or empty being none. Under its old `FC_` name (when the
 * new one is not set) it still counts, with one line on stderr per name and process saying what
 * to rename it to and why.
 */
export function envSetting(env: NodeJS.ProcessEnv, option: string): EnvSetting | undefined {
  const name = envName(option);
  const text = env[name];
  if (text !== undefined && text !== '') return { name, text };
  const old = OLD_NAMES.get(option);
  const oldText = old === undefined ? undefined : env[old];
  if (old === undefined || oldText === undefined || oldText === '') return undefined;
  if (!warned.has(old)) {
    warned.add(old);
    process.stderr.write(
      `express-fc-runtime: ${old} is read as ${name}; rename it: FC reserves every name that starts with FC_ and rejects a function configuration that sets one.\n`,
    );
  }
  return { name: old, text: oldText };
}

const BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['1', true],
  ['false', false],
  ['0', false],
]);

/** `true`/`1`/`false`/`0` in any case as a boolean; undefined for anything else. */
export function parseBoolean(text: string): boolean | undefined {
  return BOOLEANS.get(text.toLowerCase());
}

/** The old names, for the local FC, which passes them on from the shell so that the runtime warns about them. */
export const OLD_ENV_NAMES: readonly string[] = [...OLD_NAMES.values()];
