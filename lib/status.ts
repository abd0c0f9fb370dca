// x-fc-status, and the Tail's x-fc-log-result, set at the moment the headers are written.
import { ServerResponse, type IncomingMessage } from 'http';
import onHeaders from 'on-headers';
import { invocationOf, type FcContext } from './context';
import type { Invocation } from './invocation';

export type IsFailure = (req: IncomingMessage, res: ServerResponse) => boolean;
type WriteHead = (this: ServerResponse, ...args: unknown[]) => ServerResponse;

const serverError: IsFailure = (_req, res) => res.statusCode >= 500;
// An event re-dispatched into the app failed if the route refused it, 4xx included.
const eventError: IsFailure = (_req, res) => res.statusCode >= 400;

const nodeWriteHead = ServerResponse.prototype.writeHead as WriteHead;
const ours = new WeakSet<WriteHead>();

/**
 * A writeHead that, for a response an invocation owns, sets its status headers first — what
 * on-headers does, without a closure and argument copies per response, for the call nearly every
 * response makes: Node's own `writeHead(statusCode)` from res.end() or the first write. Any other
 * call (a reason or headers given to writeHead) is handed to on-headers itself.
 */
function createWriteHead(previous: WriteHead): WriteHead {
  const writeHead = function fcWriteHead(this: ServerResponse, statusCode: unknown): ServerResponse {
    const invocation = invocationOf((this.req as { fc?: FcContext } | undefined)?.fc);
    const writer = invocation?.statusWriter;
    if (invocation === undefined || writer === undefined || invocation.statusWritten || invocation.response !== this) {
      // eslint-disable-next-line prefer-rest-params
      return Reflect.apply(previous, this, arguments);
    }
    invocation.statusWritten = true;
    if (arguments.length !== 1) {
      onHeaders(this, function writeStatusHeaders(this: ServerResponse) {
        writer(this, invocation);
      });
      // on-headers wraps the writeHead it finds (this one, which now just passes on) and runs first.
      // eslint-disable-next-line prefer-rest-params
      return Reflect.apply(this.writeHead, this, arguments);
    }
    this.statusCode = statusCode as number;
    writer(this, invocation);
    return previous.call(this, this.statusCode);
  };
  ours.add(writeHead);
  return writeHead;
}

const instanceWriteHead = createWriteHead(nodeWriteHead);

/**
 * Express gives every response its app's prototype and then adds properties to it, which makes
 * each response's shape unique: adding one more property to it costs far more than anything else
 * the runtime does per request. So where the response has such a prototype, writeHead is wrapped
 * there, once per app; elsewhere (a plain http server) on the response itself, which is cheap.
 */
function hookWriteHead(res: ServerResponse): boolean {
  const current = res.writeHead as WriteHead;
  if (ours.has(current)) return true;
  const proto = Object.getPrototypeOf(res) as { writeHead?: unknown } | null;
  if (proto !== null && proto !== ServerResponse.prototype && proto.writeHead === current && Object.isExtensible(proto)) {
    Object.defineProperty(proto, 'writeHead', { value: createWriteHead(current), writable: true, configurable: true });
    return true;
  }
  if (current !== nodeWriteHead) return false;
  res.writeHead = instanceWriteHead as ServerResponse['writeHead'];
  return true;
}

/**
 * The status hook of one runtime, made once: `hook(res, invocation)` arranges for x-fc-status to
 * be set when res writes its headers. It never overrides an x-fc-status the app set itself, and
 * never changes the app's own status code.
 */
export function createStatusHook(isFailure: IsFailure | undefined, forEvents: boolean): (res: ServerResponse, invocation: Invocation) => void {
  const fallback = forEvents ? eventError : serverError;
  const failed = isFailure ?? fallback;
  function writeStatus(res: ServerResponse, invocation: Invocation): void {
    if (res.getHeader('x-fc-status') === undefined) {
      let failure: boolean;
      try {
        failure = failed(res.req, res);
      } catch {
        failure = fallback(res.req, res); // a throwing isFailure must not break the response
      }
      res.setHeader('x-fc-status', failure ? '404' : '200');
    }
    if (invocation.tail !== undefined) res.setHeader('x-fc-log-result', invocation.tail.encode());
  }

  return function hookStatus(res: ServerResponse, invocation: Invocation): void {
    invocation.statusWriter = writeStatus;
    if (hookWriteHead(res)) return;
    // Someone wrapped this response's writeHead already: on-headers chains onto whatever is there.
    invocation.statusWritten = true;
    onHeaders(res, function writeStatusHeaders(this: ServerResponse) {
      writeStatus(this, invocation);
    });
  };
}
