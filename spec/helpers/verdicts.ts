// What the doctor's verdict specs share: a verdict as the report prints it, and a server's settings as the probe records them.
import type { ServerRecord } from '../../lib/cli/check/probe';
import type { Verdict } from '../../lib/cli/fc/verdict';

/** The verdict's line as `fc-runtime check` prints it (✔, ⚠ with the fix, ✖ with the fix), or undefined for no verdict. */
export function line(verdict: Verdict | undefined): string | undefined {
  if (verdict === undefined) return undefined;
  if (!verdict.ok) return `✖ ${verdict.what} — ${verdict.fix}`;
  return verdict.warning === undefined ? `✔ ${verdict.what}` : `⚠ ${verdict.what} — ${verdict.warning}`;
}

/** A server on port 9000 with every timeout lifted, as serve() leaves it, but for `settings`. */
export function serverRecord(settings: Partial<ServerRecord> = {}): ServerRecord {
  return {
    kind: 'server',
    port: 9000,
    keepAliveTimeout: 0,
    requestTimeout: 0,
    headersTimeout: 0,
    timeout: 0,
    maxRequestsPerSocket: 0,
    ...settings,
  };
}
