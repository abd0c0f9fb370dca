// POST /initialize: the initializer runs once per process; concurrent calls share the run, a failure is retried.
import createDebug from 'debug';
import type { ServerResponse } from 'http';
import type { Invocation } from '../invocation';
import { WARN } from '../logging/format';
import type { HookHandler } from '../options';
import { callHandler } from './call';
import { controlError, respond, respondError } from './respond';

/** The longest initializer FC 3.0 allows. */
const MAX_INITIALIZATION_S = 300;

const debug = createDebug('express-fc-runtime:initialize');

export class Initializer {
  private run: Promise<unknown> | undefined;
  /** What requests held during the run wait for: opened when the run settles or is abandoned. */
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  private done = false;

  constructor(private readonly fn: HookHandler | undefined) {}

  /** True while the initializer runs: requests for the app and `invoke` wait for it. */
  get running(): boolean {
    return this.run !== undefined;
  }

  /** Resolves when the running initializer has settled, either way, or timed out and been abandoned. */
  settled(): Promise<void> {
    return this.gate ?? Promise.resolve();
  }

  /** Ends `run` if it is still the current one: no longer running, and the requests it held go on. */
  private finish(run: Promise<unknown>): boolean {
    if (this.run !== run) return false;
    this.run = undefined;
    const open = this.openGate;
    this.gate = this.openGate = undefined;
    open?.();
    return true;
  }

  async handle(res: ServerResponse, invocation: Invocation): Promise<void> {
    try {
      await this.start(invocation);
      respond(res, 200);
    } catch (error) {
      respondError(res, invocation, error);
    }
  }

  private start(invocation: Invocation): Promise<unknown> {
    if (this.fn === undefined || this.done) return Promise.resolve();
    const late = (what: string): void => invocation.log(WARN, `The initializer had already finished; ${what} came later and was ignored.`);
    if (this.run === undefined) {
      debug('running the initializer for %s', invocation.requestId);
      const run: Promise<unknown> = callHandler(this.fn, [invocation.context], late).then(
        () => {
          if (this.run !== run) return; // abandoned after a timeout: it does not count
          debug('initializer done');
          this.done = true;
          this.finish(run);
        },
        (error: unknown) => {
          debug('initializer failed: %s', error);
          this.finish(run);
          throw error;
        },
      );
      this.run = run;
      this.gate = new Promise((resolve) => (this.openGate = resolve));
    }
    return this.withTimeout(this.run, invocation.context.function.initializationTimeout);
  }

  /**
   * Enforces `x-fc-initialization-timeout` (seconds), at most FC 3.0's 300 s: a larger value would
   * also overflow setTimeout, which then fires at once. A run that times out is abandoned: the
   * next /initialize starts a new one, as FC itself would on a fresh instance.
   */
  private withTimeout(run: Promise<unknown>, sent: number | undefined): Promise<unknown> {
    if (sent === undefined || sent <= 0) return run;
    const seconds = Math.min(sent, MAX_INITIALIZATION_S);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        debug('initializer timed out after %d s', seconds);
        this.finish(run);
        reject(controlError('InitializationTimeout', `The initializer did not finish within ${seconds} s (x-fc-initialization-timeout).`));
      }, seconds * 1000);
      run.then(resolve, reject).finally(() => clearTimeout(timer));
    });
  }
}
