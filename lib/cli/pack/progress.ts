// The progress line of a large pack, on stderr: redrawn in place on a terminal, a line per quarter elsewhere.
import { sizeText } from '../size-text';

/** A tree is large, and worth a progress line, past either of these. */
export const LARGE_FILES = 1000;
export const LARGE_BYTES = 20 * 1024 * 1024;
const REDRAW_MS = 100;

export class Progress {
  private files = 0;
  private bytes = 0;
  private quarter = 0;
  private drawn = 0;
  private readonly enabled: boolean;
  private readonly tty: boolean;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly totalFiles: number,
    private readonly totalBytes: number,
  ) {
    this.enabled = totalFiles > LARGE_FILES || totalBytes > LARGE_BYTES;
    this.tty = out.isTTY === true;
  }

  /** Done so far, by files: what a reader can count along with. */
  private share(): number {
    return this.files / Math.max(1, this.totalFiles);
  }

  private line(): string {
    return `packing: ${Math.floor(this.share() * 100)}% (${this.files} of ${this.totalFiles} files, ${sizeText(this.bytes)} of ${sizeText(this.totalBytes)})`;
  }

  /** One more file read into the ZIP. */
  add(bytes: number): void {
    this.files += 1;
    this.bytes += bytes;
    if (!this.enabled) return;
    if (this.tty) {
      const now = Date.now();
      if (now - this.drawn < REDRAW_MS) return;
      this.drawn = now;
      this.out.write(`\r${this.line()}\x1b[K`);
      return;
    }
    const quarter = Math.floor(this.share() * 4);
    if (quarter > this.quarter && quarter < 4) {
      this.quarter = quarter;
      this.out.write(`${this.line()}\n`);
    }
  }

  /** The last state, once everything is in. */
  finish(): void {
    if (!this.enabled) return;
    this.out.write(this.tty ? `\r${this.line()}\x1b[K\n` : `${this.line()}\n`);
  }
}
