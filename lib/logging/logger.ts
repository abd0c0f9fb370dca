// The logger: `context.logger` for one invocation, and the exported `logger` that finds the current one.
import { format } from 'util';
import type { Invocation } from '../invocation';
import { storage } from '../storage';
import { DEBUG, envLevel, ERROR, formatLine, INFO, WARN } from './format';

// Function properties, not methods: they work detached (`const { info } = context.logger`).
export interface FcLogger {
  debug: (...args: unknown[]) => void;
  info: (...args: unknown[]) => void;
  warn: (...args: unknown[]) => void;
  error: (...args: unknown[]) => void;
}

/** A logger bound to one invocation; its methods work detached (`const { info } = context.logger`). */
export function createLogger(invocation: Invocation): FcLogger {
  return {
    debug: (...args) => invocation.log(DEBUG, format(...args)),
    info: (...args) => invocation.log(INFO, format(...args)),
    warn: (...args) => invocation.log(WARN, format(...args)),
    error: (...args) => invocation.log(ERROR, format(...args)),
  };
}

// Outside any request there is no runtime to ask, so EXPRESS_FC_LOG_LEVEL decides; read on first use.
let outsideLevel: number | undefined;

function log(level: number, args: unknown[]): void {
  const invocation = storage.getStore();
  if (invocation !== undefined) return invocation.log(level, format(...args));
  outsideLevel ??= envLevel();
  if (level >= outsideLevel) process.stdout.write(formatLine(level, '-', format(...args)));
}

/** Writes FC log lines with the current request's id, or `-` outside any request. */
export const logger: FcLogger = {
  debug: (...args) => log(DEBUG, args),
  info: (...args) => log(INFO, args),
  warn: (...args) => log(WARN, args),
  error: (...args) => log(ERROR, args),
};
