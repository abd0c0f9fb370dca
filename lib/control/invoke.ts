// POST /invoke: read the event (within the limit), run the handler, answer its result or its failure.
import type { IncomingMessage, ServerResponse } from 'http';
import { finished } from 'stream';
import bytes from 'bytes';
import getRawBody from 'raw-body';
import { envName } from '../env-settings';
import type { Invocation } from '../invocation';
import { WARN } from '../logging/format';
import type { InvokeHandler } from '../options';
import { callHandler, withTimeout } from './call';
import { controlError, respond, respondError } from './respond';

interface BodyError extends Error {
  type?: string;
  status?: number;
  length?: number;
  received?: number;
  expected?: number;
}

/** Result → body: Buffer and string as they are, undefined as nothing, anything else as JSON. */
function encodeResult(result: unknown): { body: string | Buffer; type?: string } {
  if (result === undefined) return { body: '' };
  if (Buffer.isBuffer(result)) return { body: result, type: 'application/octet-stream' };
  if (result instanceof Uint8Array) return { body: Buffer.from(result), type: 'application/octet-stream' };
  if (typeof result === 'string') return { body: result, type: 'text/plain; charset=utf-8' };
  // JSON.stringify gives undefined for a function or a symbol, whatever its declared type says.
  const json = JSON.stringify(result) as string | undefined;
  return { body: json ?? '', type: 'application/json; charset=utf-8' };
}

/**
 * Reads the event. A body over the limit is refused with 413 once the client has sent it all,
 * as body-parser does, so the keep-alive connection stays usable for the next invocation.
 */
function readEvent(req: IncomingMessage, res: ServerResponse, invocation: Invocation, limit: number): Promise<Buffer | undefined> {
  return getRawBody(req, { limit, length: req.headers['content-length'] }).catch((caught: unknown) => {
    const error = caught as BodyError; // raw-body's errors (http-errors), or the stream's
    if (error.type === 'request.aborted') {
      // No one is left to answer; the End marker comes with 'close'.
      const of = error.expected === undefined ? '' : ` of ${error.expected}`;
      invocation.log(
        WARN,
        `The client left before the event was read (${error.received ?? 0}${of} bytes came); the handler was not called.`,
      );
      return undefined;
    }
    const tooLarge = error.type === 'entity.too.large';
    const failure = tooLarge
      ? controlError(
          'EventTooLarge',
          `The event is ${String(bytes(error.length ?? 0))}, over the ${String(bytes(limit))} limit (option "limit" of fcRuntime()).`,
        )
      : controlError('BadEvent', `The event body could not be read: ${error.message}.`);
    req.resume();
    finished(req, () => respondError(res, invocation, failure, tooLarge ? 413 : 400));
    return undefined;
  });
}

/** Who configures the runtime: the app's own fcRuntime() or serve() call, or register (a config file and the environment). */
export type ConfiguredBy = 'app' | 'register';

// What a runtime without an event handler tells the user to do, where that user configures it.
const NO_HANDLER_FIX: Record<ConfiguredBy, string> = {
  app: "pass fcRuntime({ invoke: async (event, context) => result }), or fcRuntime({ eventPath: '/events' }) to handle events with an app route.",
  register:
    'export one as `invoke` from fc-runtime.config.js (.cjs, .mjs) beside the entry (export const invoke = async (event, context) => result), ' +
    `or set ${envName('eventPath')}=/events to handle events with an app route.`,
};

/** The /invoke handler; `timeout` (ms, option `timeout`) bounds the event handler when given. */
export function createInvoke(handler: InvokeHandler | undefined, limit: number, timeout: number | undefined, configuredBy: ConfiguredBy) {
  if (handler === undefined) {
    const message = `No event handler is configured: ${NO_HANDLER_FIX[configuredBy]}`;
    return function noInvokeHandler(_req: IncomingMessage, res: ServerResponse, invocation: Invocation): void {
      respondError(res, invocation, controlError('NoEventHandler', message));
    };
  }
  return async function invokeHandler(req: IncomingMessage, res: ServerResponse, invocation: Invocation): Promise<void> {
    const event = await readEvent(req, res, invocation, limit);
    if (event === undefined) return;
    const late = (what: string): void => invocation.log(WARN, `The invocation was already answered; ${what} came later and was ignored.`);
    try {
      const run = callHandler(handler, [event, invocation.context], late);
      const result = await withTimeout(run, timeout, 'The event handler', late);
      const { body, type } = encodeResult(result);
      respond(res, 200, body, type);
    } catch (error) {
      respondError(res, invocation, error);
    }
  };
}
