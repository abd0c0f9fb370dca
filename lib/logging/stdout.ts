// Our own stdout lines, gathered and written together: one write for many lines, not one per line.

// A batch this large is written at once rather than held.
const FLUSH_AT = 64 * 1024;
// While other invocations are open, lines wait at most this long for a lull.
const MAX_DELAY_MS = 20;

let pending = '';
let queued = false;
let held = false;
let exitHooked = false;
let timer: NodeJS.Timeout | undefined;
let busy: () => boolean = () => false;

/**
 * Queues `text`. It is written at the end of this turn of the event loop if no invocation is open
 * then, else at the first turn that ends with none open, or after MAX_DELAY_MS at the latest: a
 * busy instance makes one write per batch instead of one per turn, and an idle one — which FC may
 * freeze at any moment — has written everything. Anything else written to stdout in the meantime
 * (the app's own process.stdout.write, a console outside requests) writes the queue first through
 * the stream guard, and so does the process exiting: stdout keeps the order of the calls.
 */
export function writeLater(text: string): void {
  pending += text;
  if (pending.length >= FLUSH_AT) return flushPending();
  if (!queued) {
    queued = true;
    setImmediate(flushQueued);
  }
  hookExit();
}

/** Queues `text` and writes the queue now if no invocation is open, else within MAX_DELAY_MS. */
export function writeSettled(text: string): void {
  pending += text;
  if (pending.length >= FLUSH_AT || !busy()) return flushPending();
  timer ??= setTimeout(flushPending, MAX_DELAY_MS).unref();
  hookExit();
}

/** Writes what is queued and then `text`, in one write. */
export function writeNow(text: string): void {
  const out = pending === '' ? text : pending + text;
  pending = '';
  if (timer !== undefined) {
    clearTimeout(timer);
    timer = undefined;
  }
  if (out !== '') process.stdout.write(out);
}

/** Writes what is queued, if anything. */
export function flushPending(): void {
  if (pending !== '') writeNow('');
}

/**
 * Says a writeSettled() is already due later in this turn (the End markers'): the queue waits for
 * it. `false` once that is done.
 */
export function holdPending(hold: boolean): void {
  held = hold;
}

/** `isBusy()` says whether invocations are open, so that queued lines may wait for a lull. */
export function batchWhile(isBusy: () => boolean): void {
  busy = isBusy;
}

function flushQueued(): void {
  queued = false;
  if (!held && pending !== '') writeSettled('');
}

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', flushPending);
}
