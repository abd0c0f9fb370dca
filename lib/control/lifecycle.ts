// GET /pre-freeze and GET /pre-stop: the instance lifecycle hooks.
import createDebug from 'debug';
import type { ServerResponse } from 'http';
import type { Invocation } from '../invocation';
import { WARN } from '../logging/format';
import type { HookHandler } from '../options';
import { callHandler, withTimeout } from './call';
import { respond, respondError } from './respond';

const debug = createDebug('express-fc-runtime:lifecycle');

/**
 * A lifecycle hook. PreFreeze runs before every freeze; PreStop (`once`) runs at most once per
 * process, whether FC's /pre-stop or SIGTERM under serve() asks first, and later askers share it.
 */
export class LifecycleHook {
  private run: Promise<unknown> | undefined;

  constructor(
    private readonly fn: HookHandler | undefined,
    private readonly once: boolean,
    /** Option `timeout`, in ms: how long a run may take before the hook answers a failure. */
    private readonly timeout: number | undefined,
  ) {}

  /** False when there is nothing left to run: no hook, or a once-hook that already ran. */
  get pending(): boolean {
    return this.fn !== undefined && !(this.once && this.run !== undefined);
  }

  /** Runs the hook (or joins a once-hook's run), bounded by option `timeout`. */
  call(invocation: Invocation): Promise<unknown> {
    if (this.fn === undefined) return Promise.resolve();
    const late = (what: string): void => invocation.log(WARN, `The hook was already answered; ${what} came later and was ignored.`);
    let run = this.once ? this.run : undefined;
    if (run === undefined) {
      debug('running the %s hook for %s', invocation.kind, invocation.requestId);
      run = callHandler(this.fn, [invocation.context], late);
      if (this.once) this.run = run;
    }
    const name = invocation.kind === 'PreStop' ? 'preStop' : 'preFreeze';
    return withTimeout(run, this.timeout, `The ${name} hook`, late);
  }

  async handle(res: ServerResponse, invocation: Invocation): Promise<void> {
    try {
      await this.call(invocation);
      respond(res, 200);
    } catch (error) {
      respondError(res, invocation, error);
    }
  }
}
