// One invocation in flight: its context, its markers (each written exactly once) and its log lines.
import type { ServerResponse } from 'http';
import type { FcContext } from './context';
import { endMarker, formatLine, startMarker, type MarkerKind } from './logging/format';
import type { Tail } from './logging/tail';

/** Where the middleware keeps the invocation on req and res. */
export const kInvocation = Symbol('express-fc-runtime.invocation');

/** The per-runtime settings an invocation's logging needs. */
export interface LogSettings {
  level: number;
  console: boolean;
  keepAliveOnCrash: boolean;
}

export class Invocation {
  /**
   * The Start marker is written with the first line of the invocation, or together with the End
   * marker: one write instead of two for the many requests that log nothing, same order on stdout.
   */
  private started = false;
  ended = false;
  context!: FcContext;
  tail: Tail | undefined;

  constructor(
    readonly kind: MarkerKind,
    readonly requestId: string,
    readonly settings: LogSettings,
    readonly response: ServerResponse | undefined,
  ) {}

  /** Writes the Start marker now, if no line has yet: a Tail answer must show it. */
  begin(): void {
    if (!this.started) this.write('');
  }

  log(level: number, message: string): void {
    if (level < this.settings.level) return;
    this.write(formatLine(level, this.requestId, message));
  }

  /** Writes the End marker, once; `error` is appended for an invocation cut short by a crash. */
  end(error?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.write(endMarker(this.kind, this.requestId, error));
  }

  private write(text: string): void {
    if (!this.started) {
      this.started = true;
      text = startMarker(this.kind, this.requestId) + text;
    }
    process.stdout.write(text);
    if (this.tail !== undefined) this.tail.push(text);
  }
}
