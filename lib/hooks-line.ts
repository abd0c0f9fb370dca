// The runtime's one line saying which lifecycle hooks it has, printed at start when EXPRESS_FC_PRINT_HOOKS is set:
// `fc-runtime check` sets it and compares the line with s.yaml, since FC calls a hook only when s.yaml configures it.
import { ENV_PREFIX, parseBoolean } from './env-settings';

/** The setting under which the runtime prints the line (the doctor's server run sets it). */
export const PRINT_HOOKS_ENV = `${ENV_PREFIX}PRINT_HOOKS`;

/** What the runtime has: its hooks, and the Node that runs it. */
export interface RuntimeHooks {
  initialize: boolean;
  preStop: boolean;
  /** `process.versions.node` of the runtime's process. */
  node: string;
}

const PREFIX = 'express-fc-runtime hooks:';
const LINE = /^express-fc-runtime hooks: initialize=(yes|no) preStop=(yes|no) node=(\S+)$/;

/** Whether `env` asks for the line. */
export function printHooks(env: NodeJS.ProcessEnv): boolean {
  const text = env[PRINT_HOOKS_ENV];
  return text !== undefined && parseBoolean(text) === true;
}

export function hooksLine({ initialize, preStop, node }: RuntimeHooks): string {
  const yes = (on: boolean) => (on ? 'yes' : 'no');
  return `${PREFIX} initialize=${yes(initialize)} preStop=${yes(preStop)} node=${node}\n`;
}

/** The hooks a line of the runtime's output reports, or undefined when it is not that line. */
export function parseHooksLine(line: string): RuntimeHooks | undefined {
  const match = LINE.exec(line);
  if (match === null) return undefined;
  return { initialize: match[1] === 'yes', preStop: match[2] === 'yes', node: match[3] };
}
