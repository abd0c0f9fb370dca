// Calls a user handler in any of FC's styles: a value, a promise, or an FC callback — whichever answers first.
import type { Callback } from '../options';
import { controlError } from './respond';

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * `args` are passed first and a callback last. A handler declared with the callback parameter
 * (`fn.length > args.length`) may also return a promise, as `async (event, context, callback)`
 * often does in old FC code: its rejection or a defined result settles the call, but a promise
 * resolving to `undefined` waits for the callback, as FC's classic runtime would. Whatever comes
 * after the call is settled is ignored and reported through `late`.
 */
export function callHandler<A extends unknown[]>(
  fn: (...args: [...A, Callback]) => unknown,
  args: [...A],
  late: (what: string) => void,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (failed: boolean, value: unknown, what: string): void => {
      if (settled) return late(what);
      settled = true;
      if (failed) reject(value);
      else resolve(value);
    };
    const callback = (error?: unknown, result?: unknown): void => {
      if (error !== undefined && error !== null) settle(true, error, 'callback(error)');
      else settle(false, result, 'callback(null, result)');
    };
    let returned: unknown;
    try {
      returned = fn(...args, callback);
    } catch (error) {
      return settle(true, error, 'a throw');
    }
    const usesCallback = fn.length > args.length;
    if (isThenable(returned)) {
      returned.then(
        (value) => {
          if (value === undefined && usesCallback) return;
          settle(false, value, 'the returned promise');
        },
        (error: unknown) => settle(true, error, 'the returned promise'),
      );
    } else if (!usesCallback) {
      settle(false, returned, 'the return value');
    }
  });
}

/**
 * Bounds a handler's run by option `timeout` (ms): past it, the returned promise rejects with a
 * `TimeoutError` naming `what` and the option, and whatever the run gives later is reported
 * through `late`. Without a timeout the run is returned as it is.
 */
export function withTimeout(run: Promise<unknown>, ms: number | undefined, what: string, late: (what: string) => void): Promise<unknown> {
  if (ms === undefined) return run;
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      reject(controlError('TimeoutError', `${what} did not finish within ${ms} ms (option "timeout" of fcRuntime()).`));
    }, ms);
    run.then(
      (value) => {
        if (timedOut) return late("the handler's result");
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (timedOut) return late("the handler's failure");
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
