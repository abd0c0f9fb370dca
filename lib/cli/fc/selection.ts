// What a command that runs the function runs: the function s.yaml describes (or the folder's bootstrap), the local values given for it, and how long it may take to start.
import { parse as parseDotenv } from 'dotenv';
import { readFileSync } from 'fs';
import { UserError } from '../../user-error';
import type { FunctionSelection } from '../args';
import { FC_DEFAULTS, type FunctionConfig } from './function-config';
import { functionOf } from './s-yaml';

/** How long a bare bootstrap folder's server has to listen: FC 2.0's 30 s, as before s.yaml was read. */
const BOOTSTRAP_START_S = 30;

export interface Selected {
  config: FunctionConfig;
  /** --env-file's values, then --env's: over the function's environmentVariables. */
  localEnv: Record<string, string>;
  /** In ms. */
  startTimeout: number;
  /** One line each, for the user: what s.yaml names that could not be resolved here. */
  notes: string[];
}

function envFile(file: string): Record<string, string> {
  try {
    return parseDotenv(readFileSync(file));
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new UserError(code === 'ENOENT' ? `--env-file ${file}: no such file.` : `--env-file ${file}: ${message}`);
  }
}

/** The function `dir` names, with the command's --function, --env, --env-file and --start-timeout applied. */
export function selectFunction(dir: string, selection: FunctionSelection, hostEnv: NodeJS.ProcessEnv): Selected {
  const localEnv = { ...(selection.envFile === undefined ? {} : envFile(selection.envFile)), ...selection.env };
  // A local value also stands for the ${env('X')} of s.yaml that would take it on a deploy.
  const chosen = functionOf(dir, { functionName: selection.functionName, env: { ...hostEnv, ...localEnv } });
  const { unresolved } = chosen;
  const { functionPort } = selection;
  const config = functionPort === undefined ? chosen.config : { ...chosen.config, port: functionPort === 0 ? undefined : functionPort };
  const startS = selection.startTimeout ?? (config.resource === undefined ? BOOTSTRAP_START_S : FC_DEFAULTS.startS);
  return { config, localEnv, startTimeout: startS * 1000, notes: unresolved };
}
