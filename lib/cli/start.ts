// fc-runtime start: runs an entry as register does, and serves one that exports an app (or an FC classic handler) instead of listening.
import { existsSync } from 'fs';
import type { IncomingMessage, ServerResponse } from 'http';
import { resolve } from 'path';
import { loadOptions } from '../config';
import type { HookHandler, InvokeHandler } from '../options';
import type { Handler } from '../serve';
import { takeOver } from '../takeover';
import { firstLine, UserError } from '../user-error';
import type { Io, StartCommand } from './args';

/** The app an entry exports: `module.exports = app`, or `export default app` compiled to CommonJS. */
function exportedApp(exported: unknown): Handler | undefined {
  if (typeof exported === 'function') return exported as Handler;
  const fallback = (exported as { default?: unknown } | null | undefined)?.default;
  return typeof fallback === 'function' ? (fallback as Handler) : undefined;
}

interface ClassicFunction {
  handler: InvokeHandler;
  initializer?: HookHandler;
  preStop?: HookHandler;
  preFreeze?: HookHandler;
}

/** A function of FC's classic Node.js runtime: `exports.handler = (event, context, callback)`, maybe an initializer and hooks. */
function classicFunction(exported: unknown): ClassicFunction | undefined {
  const candidate = exported as Partial<ClassicFunction> | null | undefined;
  return typeof candidate?.handler === 'function' ? (candidate as ClassicFunction) : undefined;
}

// A classic event function has no web site: plain HTTP requests get a 404 that says so.
function eventsOnly(_req: IncomingMessage, res: ServerResponse): void {
  res.statusCode = 404;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  res.end('This function handles events (POST /invoke); it has no HTTP routes.\n');
}

/** Resolves once the entry's server (its own, taken over, or one for its exports) listens; the process then keeps serving. */
export async function start(command: StartCommand, io: Io): Promise<undefined> {
  const entry = resolve(command.entry);
  if (!existsSync(entry)) throw new UserError(`no entry file ${command.entry}`);
  const takeover = takeOver(loadOptions(entry, io.env));
  let exported: unknown;
  try {
    exported = require(entry);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM') throw error;
    throw new UserError(`${command.entry} is an ES module: run it with \`node -r express-fc-runtime/register ${command.entry}\` instead.`);
  }
  if (!takeover.taken) {
    const app = exportedApp(exported);
    const classic = app === undefined ? classicFunction(exported) : undefined;
    if (app !== undefined) takeover.serve(app);
    else if (classic !== undefined) {
      const { handler, initializer, preStop, preFreeze } = classic;
      takeover.serve(eventsOnly, { invoke: handler, initialize: initializer, preStop, preFreeze });
    }
  }
  // An entry may still listen later (after connecting to a database, say); if the event loop empties
  // first, it never will.
  const neverListens = new Promise<never>((_, reject) => {
    const onBeforeExit = () =>
      reject(new UserError(`${command.entry} did not listen, and exports neither an app (module.exports = app, export default app) nor an FC handler (exports.handler).`));
    process.once('beforeExit', onBeforeExit);
    void takeover.listening.then(() => process.off('beforeExit', onBeforeExit), () => process.off('beforeExit', onBeforeExit));
  });
  const failed = takeover.listening.catch((error: unknown) => {
    throw new UserError(firstLine(error));
  });
  await Promise.race([failed, neverListens]);
  return undefined;
}
