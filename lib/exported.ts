// What an entry that does not listen exports to be served: an app, or a function of FC's classic Node.js runtime.
import type { IncomingMessage, ServerResponse } from 'http';
import type { HookHandler, InvokeHandler } from './options';
import type { Handler } from './serve';
import type { Takeover } from './takeover';

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

/** Serves what `exported` offers through `takeover`; false when it offers nothing to serve. */
export function serveExported(takeover: Takeover, exported: unknown): boolean {
  const app = exportedApp(exported);
  if (app !== undefined) {
    takeover.serve(app);
    return true;
  }
  const classic = classicFunction(exported);
  if (classic === undefined) return false;
  const { handler, initializer, preStop, preFreeze } = classic;
  takeover.serve(eventsOnly, { invoke: handler, initialize: initializer, preStop, preFreeze });
  return true;
}

/** Why an entry cannot be served: it neither listened nor exported anything to serve. */
export function nothingToServe(entry: string): string {
  return `${entry} did not listen, and exports neither an app (module.exports = app, export default app) nor an FC handler (exports.handler).`;
}
