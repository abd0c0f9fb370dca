// The function's instanceConcurrency on the one local instance: requests over it wait, in order, for a free slot.

/** A counting gate: at most `size` holders at a time, the rest served first come, first served. */
export class Slots {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  /** `size`: the function's instanceConcurrency (Infinity: no gate). */
  constructor(readonly size: number) {}

  /** Whether a request taking a slot now would have to wait. */
  get full(): boolean {
    return this.held >= this.size;
  }

  /** Resolves with the slot's release (call it once) when a slot is free. */
  async take(): Promise<() => void> {
    if (this.full) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.held += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The slot passes straight to the next in line, so a newcomer cannot jump the queue.
      const next = this.waiting.shift();
      if (next === undefined) this.held -= 1;
      else next();
    };
  }
}
