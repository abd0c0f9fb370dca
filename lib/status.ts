// x-fc-status, and the Tail's x-fc-log-result, set at the moment the headers are written (on-headers, with a fast path).
import { ServerResponse, type IncomingMessage } from 'http';
import onHeaders from 'on-headers';
import type { Invocation } from './invocation';

export type IsFailure = (req: IncomingMessage, res: ServerResponse) => boolean;

const serverError: IsFailure = (_req, res) => res.statusCode >= 500;
// An event re-dispatched into the app failed if the route refused it, 4xx included.
const eventError: IsFailure = (_req, res) => res.statusCode >= 400;

const protoWriteHead = ServerResponse.prototype.writeHead;

/**
 * The status hook of one runtime, made once: `hook(res, invocation)` arranges for x-fc-status to
 * be set when res writes its headers. It never overrides an x-fc-status the app set itself, and
 * never changes the app's own status code.
 */
export function createStatusHook(isFailure: IsFailure | undefined, forEvents: boolean): (res: ServerResponse, invocation: Invocation) => void {
  const fallback = forEvents ? eventError : serverError;
  const failed = isFailure ?? fallback;
  function writeFcStatus(this: ServerResponse): void {
    if (this.getHeader('x-fc-status') !== undefined) return;
    let failure: boolean;
    try {
      failure = failed(this.req, this);
    } catch {
      failure = fallback(this.req, this); // a throwing isFailure must not break the response
    }
    this.setHeader('x-fc-status', failure ? '404' : '200');
  }

  return function hookStatus(res: ServerResponse, invocation: Invocation): void {
    const tail = invocation.tail;
    const listener =
      tail === undefined
        ? writeFcStatus
        : function writeFcStatusAndTail(this: ServerResponse): void {
            writeFcStatus.call(this);
            this.setHeader('x-fc-log-result', tail.encode());
          };
    // Someone wrapped writeHead already: on-headers chains onto whatever is there.
    if (res.writeHead !== protoWriteHead) return void onHeaders(res, listener);
    let fired = false;
    /**
     * What on-headers does, without its argument copies, for the call nearly every response
     * makes: Node's own `writeHead(statusCode)` from res.end() or the first write. Any other call
     * (a reason or headers given to writeHead, a second call) is handed to on-headers itself.
     */
    res.writeHead = function fcWriteHead(this: ServerResponse, statusCode: number): ServerResponse {
      if (fired || arguments.length !== 1) {
        this.writeHead = protoWriteHead;
        if (!fired) onHeaders(this, listener);
        fired = true;
        // eslint-disable-next-line prefer-rest-params
        return Reflect.apply(this.writeHead, this, arguments);
      }
      fired = true;
      this.statusCode = statusCode;
      listener.call(this);
      return protoWriteHead.call(this, this.statusCode);
    } as ServerResponse['writeHead'];
  };
}
