// An error the user caused and can fix (a bad flag, a broken config file, a missing entry): shown as one line, never a stack.
export class UserError extends Error {
  override name = 'UserError';
}

/** The first line of an error's message: what a user reads, without the stack a SyntaxError drags along. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n', 1)[0];
}

/**
 * How the preload entry points (register, start) end on a problem the user can fix: one line, exit 1.
 * They are entry points like the CLI's main, the only other place that ends the process.
 */
export function exitWithError(error: unknown): never {
  process.stderr.write(`fc-runtime: ${firstLine(error)}\n`);
  process.exit(1);
}
