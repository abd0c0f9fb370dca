// Console capture: inside a request, the app's console.* lines come out as FC log lines with its request id.
import { format } from 'util';
import { storage } from '../storage';
import { DEBUG, ERROR, INFO, WARN } from './format';

const METHODS = [
  ['debug', DEBUG],
  ['log', INFO],
  ['info', INFO],
  ['warn', WARN],
  ['error', ERROR],
] as const;

type ConsoleMethod = (this: Console, ...args: unknown[]) => void;

let installed = false;

/**
 * Replaces the five console methods once per process. Outside a request, or for a runtime made
 * with `console: false`, each one calls the original untouched.
 */
export function captureConsole(): void {
  if (installed) return;
  installed = true;
  for (const [name, level] of METHODS) {
    const original = (console as Record<typeof name, ConsoleMethod>)[name];
    console[name] = function fcConsole(this: Console, ...args: unknown[]): void {
      const invocation = storage.getStore();
      if (invocation === undefined || !invocation.settings.console) return original.apply(this, args);
      invocation.log(level, format(...args));
    };
  }
}
