// One invocation in flight: its context, its markers (each written exactly once) and its log lines.
import type { IncomingMessage, ServerResponse } from 'http';
import type { FcContext } from './context';
import { endMarker, formatLine, startMarker } from './logging/format';
import type { MarkerKind } from './routing';
import { batchWhile, holdPending, writeLater, writeNow, writeSettled } from './logging/stdout';
import { Tail } from './logging/tail';

/** The per-runtime settings an invocation's logging needs. */
export interface LogSettings {
  level: number;
  console: boolean;
  keepAliveOnCrash: boolean;
}

export class Invocation {
  ended = false;
  private endScheduled = false;
  // The invocations not yet ended are a list linked through these: a Set cost several times more per request.
  private previous: Invocation | undefined;
  private next: Invocation | undefined;
  context!: FcContext;
  tail: Tail | undefined;
  /** The request whose own events ('data', 'end', …) run in this invocation's context, once bound. */
  request: IncomingMessage | undefined;
  /** The response that answers it; undefined for work FC did not send as a request, and once ended. */
  response: ServerResponse | undefined;
  /** Sets x-fc-status (and x-fc-log-result) when the response writes its headers; see status.ts. */
  statusWriter: ((res: ServerResponse, invocation: Invocation, statusCode: number) => void) | undefined;
  statusWritten = false;

  constructor(
    readonly kind: MarkerKind,
    readonly requestId: string,
    readonly settings: LogSettings,
    response: ServerResponse | undefined,
    /** Called once the End marker is out: the runtime counts it off its requests in flight. */
    private readonly onEnded: () => void = noop,
  ) {
    this.response = response;
    // The Start marker goes out before anything the invocation writes, by any path: it is queued
    // now, and every other write to stdout or to file descriptors 1 and 2 writes the queue first.
    writeLater(startMarker(kind, requestId));
    this.previous = newest;
    if (newest !== undefined) newest.next = this;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- links it into the module's list of open invocations, not an alias for a closure
    else oldest = this;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the same list's newest end
    newest = this;
  }

  /** Keeps this invocation's log for `x-fc-log-result`, from its Start marker on. */
  keepTail(): void {
    this.tail = new Tail();
    this.tail.push(startMarker(this.kind, this.requestId));
  }

  log(level: number, message: string): void {
    if (level < this.settings.level) return;
    this.write(formatLine(level, this.requestId, message));
  }

  /** Writes the End marker now, once; `error` is appended for an invocation cut short by a crash. */
  end(error?: string): void {
    if (!this.ended) writeNow(this.endText(error));
  }

  /**
   * Ends the invocation once the current turn of the event loop is over: Express logs the error
   * of a failed request in a setImmediate after the response has closed, and that line belongs
   * before the End marker. All invocations ending in one turn share a write.
   */
  endSoon(): void {
    // The response's 'close' and the connection's (pipelining.ts) may both end it.
    if (this.endScheduled) return;
    this.endScheduled = true;
    ending.push(this);
    if (ending.length === 1) {
      setImmediate(flushEnds);
      holdPending(true);
    }
  }

  private endText(error?: string): string {
    this.ended = true;
    if (this.previous !== undefined) this.previous.next = this.next;
    else oldest = this.next;
    if (this.next !== undefined) this.next.previous = this.previous;
    else newest = this.previous;
    this.previous = this.next = undefined;
    return endMarker(this.kind, this.requestId, error);
  }

  /** Lines are written at the end of the turn, all of the turn's together (see logging/stdout). */
  private write(text: string): void {
    writeLater(text);
    if (this.tail !== undefined) this.tail.push(text);
  }

  /** Ends every invocation still open, at once: the process is exiting. Unanswered ones say so. */
  static endUnended(): void {
    let text = '';
    for (let invocation = oldest; invocation !== undefined; invocation = oldest) {
      const answered = invocation.response === undefined || invocation.response.writableEnded;
      text += invocation.endText(answered ? undefined : 'the process exited before the invocation was answered');
    }
    writeNow(text);
  }

  /** Every invocation ended in the last turn of the loop, queued with the turn's lines (see writeSettled). */
  static flushEnds(): void {
    const invocations = ending.splice(0);
    holdPending(false);
    let text = '';
    for (const invocation of invocations) if (!invocation.ended) text += invocation.endText();
    writeSettled(text);
    for (const invocation of invocations) {
      invocation.onEnded();
      // Timers, promises and sockets' writes started in its context may hold the invocation well
      // after it ended, and so may garbage that only a full GC finds: holding its request and
      // response too kept whole requests alive through young-generation GCs, a third of their cost.
      invocation.request = undefined;
      invocation.response = undefined;
    }
  }
}

const noop = () => undefined;
const ending: Invocation[] = [];
const flushEnds = (): void => Invocation.flushEnds();
/** The invocations not yet ended, oldest first, linked through `next`. */
let oldest: Invocation | undefined;
let newest: Invocation | undefined;
// Lines wait for a lull while invocations are open: one write per batch on a busy instance.
batchWhile(() => oldest !== undefined);

// An app that calls process.exit() (right after answering, say) would lose the End markers of the
// invocations still open: write them as the process goes — stdout to a pipe or a file is synchronous.
process.on('exit', () => Invocation.endUnended());
