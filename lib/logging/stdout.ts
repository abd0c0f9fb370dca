// Our own stdout lines, gathered over a turn of the event loop and written together: one write instead of one per line.

// A batch this large is written at once rather than held to the end of the turn.
const FLUSH_AT = 64 * 1024;

let pending = '';
let queued = false;
let held = false;
let exitHooked = false;

/**
 * Queues `text` for the end of this turn of the event loop. Anything else written to stdout in the
 * meantime (the app's own process.stdout.write, a console outside requests) writes the queue first
 * through the stream guard, and so does the process exiting: stdout keeps the order of the calls.
 */
export function writeLater(text: string): void {
  pending += text;
  if (pending.length >= FLUSH_AT) return flushPending();
  if (!queued) {
    queued = true;
    setImmediate(flushQueued);
  }
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', flushPending);
  }
}

/** Writes what is queued and then `text`, in one write. */
export function writeNow(text: string): void {
  const out = pending === '' ? text : pending + text;
  pending = '';
  if (out !== '') process.stdout.write(out);
}

/** Writes what is queued, if anything. */
export function flushPending(): void {
  if (pending !== '') writeNow('');
}

/**
 * Says a writeNow() is already due later in this turn (the End markers'): the queue waits for it
 * and goes out in the same write. `false` once that write is done.
 */
export function holdPending(hold: boolean): void {
  held = hold;
}

function flushQueued(): void {
  queued = false;
  if (!held) flushPending();
}
