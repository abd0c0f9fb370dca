// x-fc-status, and the Tail's x-fc-log-result, set at the moment the headers are written.
import { ServerResponse, type IncomingMessage } from 'http';
import onHeaders from 'on-headers';
import { invocationOf, type FcContext } from './context';
import type { Invocation } from './invocation';
import { storage } from './storage';
import { MethodWrap } from './wrap';

export type IsFailure = (req: IncomingMessage, res: ServerResponse) => boolean;
type WriteHead = (this: ServerResponse, ...args: unknown[]) => ServerResponse;

// A site's request failed with a 5xx; an event re-dispatched into the app failed if the route refused it, 4xx included.
const SERVER_ERROR = 500;
const EVENT_ERROR = 400;

/**
 * A writeHead that, for a response an invocation owns, sets its status headers first — what
 * on-headers does, without a closure and argument copies per response, for the call nearly every
 * response makes: Node's own `writeHead(statusCode)` from res.end() or the first write. Any other
 * call (a reason or headers given to writeHead) is handed to on-headers itself.
 */
function createWriteHead(previous: WriteHead): WriteHead {
  return function fcWriteHead(this: ServerResponse, ...args: unknown[]): ServerResponse {
    // Each property of an Express response or request costs a slow lookup: the invocation whose
    // async context this runs in is nearly always the response's own, and cheaper to find.
    let invocation = storage.getStore();
    if (invocation?.response !== this) invocation = invocationOf((this.req as { fc?: FcContext } | undefined)?.fc);
    const writer = invocation?.statusWriter;
    if (invocation === undefined || writer === undefined || invocation.statusWritten || invocation.response !== this) {
      return Reflect.apply(previous, this, args);
    }
    invocation.statusWritten = true;
    if (args.length !== 1) {
      onHeaders(this, function writeStatusHeaders(this: ServerResponse) {
        writer(this, invocation, this.statusCode);
      });
      // on-headers wraps the writeHead it finds (this one, which now just passes on) and runs first.
      return Reflect.apply((this as { writeHead: WriteHead }).writeHead, this, args);
    }
    const statusCode = args[0];
    writer(this, invocation, statusCode as number);
    return previous.call(this, statusCode);
  };
}

// A writeHead someone else put on a response is left to on-headers, which chains onto it.
const statusWriteHead = new MethodWrap<WriteHead>(ServerResponse.prototype, 'writeHead', createWriteHead, false);

/**
 * The status hook of one runtime, made once: `hook(res, invocation)` arranges for x-fc-status to
 * be set when res writes its headers. It never overrides an x-fc-status the app set itself, and
 * never changes the app's own status code.
 */
export function createStatusHook(
  isFailure: IsFailure | undefined,
  forEvents: boolean,
): (res: ServerResponse, invocation: Invocation) => void {
  const failedFrom = forEvents ? EVENT_ERROR : SERVER_ERROR;
  function writeStatus(res: ServerResponse, invocation: Invocation, statusCode: number): void {
    if (res.getHeader('x-fc-status') === undefined) {
      let failure = statusCode >= failedFrom;
      if (isFailure !== undefined) {
        res.statusCode = statusCode; // what isFailure reads, before Node's writeHead sets it
        try {
          failure = isFailure(res.req, res);
        } catch {
          // a throwing isFailure must not break the response: the default rule holds
        }
      }
      res.setHeader('x-fc-status', failure ? '404' : '200');
    }
    if (invocation.tail !== undefined) res.setHeader('x-fc-log-result', invocation.tail.encode());
  }

  return function hookStatus(res: ServerResponse, invocation: Invocation): void {
    invocation.statusWriter = writeStatus;
    if (statusWriteHead.apply(res)) return;
    // Someone wrapped this response's writeHead already: on-headers chains onto whatever is there.
    invocation.statusWritten = true;
    onHeaders(res, function writeStatusHeaders(this: ServerResponse) {
      writeStatus(this, invocation, this.statusCode);
    });
  };
}
