// Checks on the function's configuration in s.yaml: what `s deploy` would send and FC reject.
import type { SYaml } from '../fc/s-yaml';
import { fail, pass, type Verdict } from '../fc/verdict';

/** s.yaml parses; no verdict without one. */
export function sYamlVerdict(config: SYaml): Verdict | undefined {
  if (config.state === 'absent') return undefined;
  if (config.state === 'broken') return fail(`s.yaml is not valid YAML: ${config.reason}`, 'fix s.yaml; `s deploy` reads it the same way');
  return pass('s.yaml reads as YAML');
}

/** No fc3 function sets an environment variable whose name starts with FC_: FC rejects the whole configuration. */
export function reservedEnvVerdict(config: SYaml): Verdict | undefined {
  if (config.state !== 'read' || config.functions.length === 0) return undefined;
  const reserved = config.functions.flatMap(({ resource, environment }) =>
    Object.keys(environment)
      .filter((name) => name.startsWith('FC_'))
      .map((name) => `${name} (${String(resource)})`),
  );
  if (reserved.length === 0) return pass('no environmentVariables name starts with FC_');
  return fail(
    `s.yaml sets ${reserved.join(', ')} in environmentVariables: FC reserves every name that starts with FC_ and rejects the deploy (InvalidArgument)`,
    'rename it; this package reads EXPRESS_FC_* (FC_LOG_LEVEL → EXPRESS_FC_LOG_LEVEL, FC_RUNTIME_NAME → EXPRESS_FC_RUNTIME)',
  );
}
