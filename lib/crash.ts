// Uncaught errors: one raised inside a request is logged with its id, ends its invocation and tells FC 404.
import type { ServerResponse } from 'http';
import { inspect } from 'util';
import { describeError, errorText, respondFailure } from './control/respond';
import type { Invocation } from './invocation';
import { ERROR } from './logging/format';
import { HTTP_INVOKE } from './routing';
import { storage } from './storage';

// How long a crashed process waits for its 404 to reach FC before it exits.
const FLUSH_BEFORE_EXIT_MS = 1000;

/** FC must hear of the failure: a site route gets a bare 500, an event the FC error body; both x-fc-status 404. */
function answer(res: ServerResponse, invocation: Invocation, error: unknown): void {
  if (res.headersSent) {
    res.destroy(); // half a response already went out; cutting it is the only failure FC can see
  } else if (invocation.context.controlPath === HTTP_INVOKE) {
    res.statusCode = 500;
    res.setHeader('x-fc-status', '404');
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end('Internal Server Error');
  } else {
    respondFailure(res, error);
  }
}

// An exception thrown synchronously out of a request's code reaches the listener only after
// storage.run has unwound and left the request's context; this keeps who threw it.
let escaped: { error: unknown; invocation: Invocation } | undefined;

/** Calls `then` for `invocation`; whatever it throws stays that invocation's crash. */
export function callAttributed(invocation: Invocation, then: () => unknown): void {
  try {
    then();
  } catch (error) {
    escaped = { error, invocation };
    throw error;
  }
}

/**
 * Node exits on an uncaught error unless someone listens; these listeners take over only to do
 * what Node would not: print through redaction, end the invocation, answer FC. They then exit as
 * Node would (code 1), unless the app listens to the event too or keepAliveOnCrash is set.
 */
function onCrash(event: 'uncaughtException' | 'unhandledRejection') {
  return function fcCrashListener(error: unknown): void {
    const invocation = storage.getStore() ?? (escaped !== undefined && escaped.error === error ? escaped.invocation : undefined);
    escaped = undefined;
    const appListens = process.listenerCount(event) > 1;
    if (invocation === undefined) {
      if (appListens) return;
      // Node's default for a rejection is to raise it as an uncaught exception; do the same.
      if (event === 'unhandledRejection') throw error;
      process.stderr.write(`${inspect(error)}\n\nNode.js ${process.version}\n`); // redacted by the stream guard
      process.exit(1);
    }
    const label = event === 'uncaughtException' ? 'Uncaught exception' : 'Unhandled rejection';
    invocation.log(ERROR, `${label}: ${errorText(error)}`);
    invocation.end(describeError(error).errorMessage);
    const res = invocation.response;
    if (res !== undefined && !res.writableEnded) answer(res, invocation, error);
    if (invocation.settings.keepAliveOnCrash || appListens) return;
    const exit = () => process.exit(1);
    if (res === undefined || res.writableFinished || res.destroyed) return exit();
    res.once('close', exit);
    setTimeout(exit, FLUSH_BEFORE_EXIT_MS).unref();
  };
}

let installed = false;

export function installCrashHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('uncaughtException', onCrash('uncaughtException'));
  process.on('unhandledRejection', onCrash('unhandledRejection'));
}
