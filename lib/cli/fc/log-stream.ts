// The runtime's log on its way to the terminal: the function's fake credentials redacted, and each whole line seen by the instance.
import { Transform, type TransformCallback } from 'stream';
import { StringDecoder } from 'string_decoder';
import { redact } from '../../logging/redact';

// A line still open this long is written anyway (a prompt, a progress bar), redacted as far as it goes.
const OPEN_LINE_MS = 50;

/**
 * A Transform for one of the runtime's output streams. Text is passed on line by line with every
 * secret given to rememberCredentials() replaced, so a secret split across two chunks is still
 * caught; `onLine` gets each whole line.
 */
export class LogStream extends Transform {
  private readonly decoder = new StringDecoder('utf8');
  /** Text after the last newline, not written yet. */
  private open = '';
  /** The part of the current line already written because it stayed open: still part of the line `onLine` gets. */
  private written = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly onLine: (line: string) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.accept(this.decoder.write(chunk));
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.accept(this.decoder.end());
    this.writeOpen();
    if (this.written !== '') this.onLine(redact(this.written));
    this.written = '';
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.timer);
    callback(error);
  }

  private accept(text: string): void {
    if (text === '') return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const end = text.lastIndexOf('\n');
    if (end === -1) {
      this.open += text;
    } else {
      const complete = this.open + text.slice(0, end + 1);
      this.open = text.slice(end + 1);
      this.push(redact(complete));
      const lines = (this.written + complete).split('\n');
      this.written = '';
      lines.pop();
      for (const line of lines) this.onLine(redact(line.replace(/\r$/, '')));
    }
    if (this.open !== '') this.timer = setTimeout(() => this.writeOpen(), OPEN_LINE_MS);
  }

  private writeOpen(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.open === '') return;
    this.push(redact(this.open));
    this.written += this.open;
    this.open = '';
  }
}
