// x-fc-status, and the Tail's x-fc-log-result, set through on-headers at the moment the headers are written.
import type { IncomingMessage, ServerResponse } from 'http';
import { kInvocation, type Invocation } from './invocation';

export type IsFailure = (req: IncomingMessage, res: ServerResponse) => boolean;

const serverError: IsFailure = (_req, res) => res.statusCode >= 500;
// An event re-dispatched into the app failed if the route refused it, 4xx included.
const eventError: IsFailure = (_req, res) => res.statusCode >= 400;

/**
 * The on-headers listener of one runtime, made once. It never overrides an x-fc-status the app
 * set itself, and never changes the app's own status code.
 */
export function createStatusHook(isFailure: IsFailure | undefined, forEvents: boolean) {
  const fallback = forEvents ? eventError : serverError;
  const failed = isFailure ?? fallback;
  return function writeFcStatus(this: ServerResponse & { [kInvocation]?: Invocation }): void {
    const invocation = this[kInvocation];
    if (this.getHeader('x-fc-status') === undefined) {
      let failure: boolean;
      try {
        failure = failed(this.req, this);
      } catch {
        failure = fallback(this.req, this); // a throwing isFailure must not break the response
      }
      this.setHeader('x-fc-status', failure ? '404' : '200');
    }
    if (invocation?.tail !== undefined) this.setHeader('x-fc-log-result', invocation.tail.encode());
  };
}
