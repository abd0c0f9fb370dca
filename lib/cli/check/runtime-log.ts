// The runtime's output as the check sees it: every line kept, and waits for the lines FC requires.
import { Writable } from 'stream';
import { StringDecoder } from 'string_decoder';

/** Keeps at most this many lines (the oldest go first): markers are looked for right after their request. */
const MAX_LINES = 20_000;

export class RuntimeLog extends Writable {
  readonly lines: string[] = [];
  private readonly decoder = new StringDecoder('utf8');
  private open = '';
  private readonly waiters = new Set<() => void>();

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const parts = (this.open + this.decoder.write(chunk)).split('\n');
    this.open = parts.pop() ?? '';
    for (const line of parts) this.lines.push(line.replace(/\r$/, ''));
    if (this.lines.length > MAX_LINES) this.lines.splice(0, this.lines.length - MAX_LINES);
    for (const waiter of this.waiters) waiter();
    callback();
  }

  /** Resolves once each test has passed on some whole line, or after `timeoutMs` with those that have. */
  async waitForAll(tests: readonly ((line: string) => boolean)[], timeoutMs: number): Promise<void> {
    const done = () => tests.every((test) => this.lines.some(test));
    if (done()) return;
    await new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve();
      };
      const waiter = () => {
        if (done()) finish();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** The last `count` lines, the unfinished one too. */
  tail(count: number): string[] {
    const all = this.open === '' ? this.lines : [...this.lines, this.open];
    return all.slice(-count);
  }
}
