// Whether FC's long-lived connections survive: FC reuses them for 15 minutes and more, and an invocation may run as long.
import { fail, pass, type Verdict } from '../fc/verdict';
import type { Answer } from './headers';
import type { ServerRecord } from './probe';

export const FC_CONNECTION_MS = 15 * 60 * 1000;

/** What the check saw of the connection's life. */
export interface ConnectionEvidence {
  /** The server's settings, from the probe inside the site's Node; undefined when it could not run. */
  server: ServerRecord | undefined;
  answers: readonly Answer[];
  /** How long a keep-alive connection stayed idle, and whether the server closed it meanwhile. */
  idle: { ms: number; closed: boolean };
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

const TIMEOUTS = ['keepAliveTimeout', 'requestTimeout', 'headersTimeout', 'timeout'] as const;

/**
 * What an idle connection closed by the server does on FC, which finds out only by sending the next
 * request on it: the failure users report as "the first POST works, one ten seconds later fails".
 */
const IDLE_CLOSE_ON_FC =
  'FC sends the next request on a connection the server closed while idle: a GET is retried, a POST fails with 502 ' +
  '"Process exited unexpectedly before completing request"';

export function connectionVerdict({ server, answers, idle }: ConnectionEvidence): Verdict {
  const problems: string[] = [];
  let idleCut = idle.closed;
  if (server !== undefined) {
    for (const name of TIMEOUTS) {
      const value = server[name];
      if (value > 0 && value < FC_CONNECTION_MS) problems.push(`${name} ${seconds(value)}`);
    }
    if (server.keepAliveTimeout > 0 && server.keepAliveTimeout < FC_CONNECTION_MS) idleCut = true;
    if (server.maxRequestsPerSocket > 0) problems.push(`maxRequestsPerSocket ${server.maxRequestsPerSocket}`);
  }
  const seen = new Set<string>();
  for (const answer of answers) {
    const keepAlive = String(answer.headers['keep-alive'] ?? '');
    if (/timeout=\d/.test(keepAlive)) {
      seen.add(`Keep-Alive: ${keepAlive} announced`);
      idleCut = true;
    }
    if (/\bclose\b/i.test(answer.headers.connection ?? '')) seen.add(`Connection: close on ${answer.what}`);
  }
  problems.push(...seen);
  if (idle.closed) problems.push(`an idle connection closed within ${seconds(idle.ms)}`);
  if (problems.length > 0) {
    return fail(
      `connections are cut before FC's 15 minutes: ${problems.join(', ')}${idleCut ? `; ${IDLE_CLOSE_ON_FC}` : ''}`,
      "set the server's keepAliveTimeout, requestTimeout, headersTimeout and timeout to 0 (serve() and `node -r express-fc-runtime/register` do)",
    );
  }
  if (server === undefined) {
    return pass(
      `no Keep-Alive timeout announced; an idle connection stayed open ${seconds(idle.ms)} (the server's own timeouts could not be read)`,
    );
  }
  const values = TIMEOUTS.map((name) => `${name} ${server[name]}`).join(', ');
  return pass(`no timeout cuts FC's long-lived connections (${values})`);
}
