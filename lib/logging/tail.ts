// The answer to `x-fc-log-type: Tail`: the newest part of one invocation's log, base64, in x-fc-log-result.
import { redact } from './redact';

/**
 * 3 KB of log encode to exactly 4 KB of base64, which keeps the header well inside FC's 8 KB
 * limit for all response headers together.
 */
export const TAIL_BYTES = 3072;

// Characters kept before the final cut: never fewer bytes than TAIL_BYTES.
const KEEP_CHARS = TAIL_BYTES;

export class Tail {
  private text = '';

  /** Redacted as it comes: the cut below must never halve a secret and leave its tail readable. */
  push(lines: string): void {
    this.text += redact(lines);
    if (this.text.length > 4 * KEEP_CHARS) this.text = this.text.slice(-KEEP_CHARS);
  }

  /** Base64 of the last TAIL_BYTES bytes, cut at a character boundary, secrets redacted. */
  encode(): string {
    let bytes = Buffer.from(redact(this.text), 'utf8');
    if (bytes.length > TAIL_BYTES) {
      let start = bytes.length - TAIL_BYTES;
      while (start < bytes.length && (bytes[start] & 0xc0) === 0x80) start++;
      bytes = bytes.subarray(start);
    }
    return bytes.toString('base64');
  }
}
