// customRuntimeConfig.healthCheckConfig as FC applies it: GET the path until it answers 200–399 before the instance takes a request.
import type { FcClient } from './client';
import type { HealthCheck } from './function-config';

const isHealthy = (status: number) => status >= 200 && status < 400;

/**
 * Resolves once the health check passed `successThreshold` times in a row (undefined), or with the
 * reason it did not within what is left of the start limit (`startTimeout` ms from spawn, of which
 * `elapsedMs` are gone) — a UserError's line for the caller.
 */
export async function healthy(
  client: FcClient,
  check: HealthCheck,
  elapsedMs: number,
  startTimeout: number,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const deadline = Date.now() - elapsedMs + startTimeout;
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(ms, deadline - Date.now()))));
  await pause(check.initialDelayS * 1000);
  let passes = 0;
  let last = 'no answer yet';
  while (Date.now() < deadline && signal?.aborted !== true) {
    try {
      // FC's probe is a plain GET: no x-fc-* headers, so it is not an invocation.
      const reply = await client.send('GET', check.path, { headers: {}, timeoutMs: check.timeoutS * 1000 });
      last = String(reply.status);
      passes = isHealthy(reply.status) ? passes + 1 : 0;
    } catch (error) {
      last = (error as Error).message;
      passes = 0;
    }
    if (passes >= check.successThreshold) return undefined;
    await pause(check.periodS * 1000);
  }
  if (signal?.aborted === true) return 'stopped before the function passed its health check.';
  return (
    `the health check GET ${check.path} did not answer 200–399 within ${startTimeout / 1000} s (last: ${last}) ` +
    '(FC: FunctionNotStarted); fix the route or customRuntimeConfig.healthCheckConfig.httpGetUrl.'
  );
}
