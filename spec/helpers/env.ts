// Environment variables for the duration of one call: fcRuntime() and serve() read them once, when built.

export interface EnvOptions {
  /**
   * Variables to delete for the call unless `vars` sets them: to run with exactly `vars` of a
   * family of variables set, whatever the process was started with.
   */
  unset?: readonly string[];
}

/**
 * Runs `create` with `vars` set in process.env (an undefined value deletes the variable), then
 * puts back the values every variable it touched had before, and returns what `create` returned.
 */
export function withEnv<T>(vars: Record<string, string | undefined>, create: () => T, options: EnvOptions = {}): T {
  const names = [...new Set([...Object.keys(vars), ...(options.unset ?? [])])];
  const saved = names.map((name) => [name, process.env[name]] as const);
  const apply = (values: readonly (readonly [string, string | undefined])[]) => {
    for (const [name, value] of values) {
      if (value === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = value;
    }
  };
  apply(names.map((name) => [name, vars[name]] as const));
  try {
    return create();
  } finally {
    apply(saved);
  }
}
