// Response headers FC refuses: more than 8 KB of them, or names it reserves for itself.
import type { IncomingHttpHeaders } from 'http';
import { headerBytes, MAX_RESPONSE_HEADER_BYTES, responseHeaderFate } from '../fc/limits';
import { fail, pass, type Verdict } from '../fc/verdict';
import { sizeText } from '../size-text';

/** One answer the runtime gave during the check. */
export interface Answer {
  /** The request in words: `POST /invoke`, `GET / (/http-invoke)`. */
  what: string;
  requestId: string;
  status: number;
  headers: IncomingHttpHeaders;
  /** As received, when the check read the answer itself; else rebuilt from `headers`. */
  rawHeaders?: string[];
}

// Node writes these on every answer by itself; only the app setting them is the runtime's doing.
const AUTOMATIC = new Set(['connection', 'keep-alive', 'date']);

function raw(answer: Answer): string[] {
  if (answer.rawHeaders !== undefined) return answer.rawHeaders;
  return Object.entries(answer.headers).flatMap(([name, value]) =>
    value === undefined ? [] : (Array.isArray(value) ? value : [value]).flatMap((one) => [name, one]),
  );
}

export function headerSizeVerdict(answers: readonly Answer[]): Verdict {
  const sized = answers.map((answer) => ({ answer, bytes: headerBytes(raw(answer)) })).sort((a, b) => b.bytes - a.bytes);
  const largest = sized.at(0);
  if (largest === undefined) return pass('no answer to measure response headers on');
  if (largest.bytes > MAX_RESPONSE_HEADER_BYTES) {
    return fail(
      `${largest.answer.what} answered with ${sizeText(largest.bytes)} of headers, over FC's 8 KB (FC answers 502)`,
      'send less in headers: large cookies, Content-Security-Policy or Link lists',
    );
  }
  return pass(`response headers within FC's 8 KB (largest ${sizeText(largest.bytes)}, ${largest.answer.what})`);
}

/**
 * FC reserves `x-fc-*` (but `x-fc-status`) and connection, keep-alive, date, server, upgrade. Node adds
 * the last three's first ones itself, so those count only when `setByApp` (the probe) says the app set them.
 */
export function forbiddenHeadersVerdict(answers: readonly Answer[], setByApp: (requestId: string) => string[] | undefined): Verdict {
  const found: string[] = [];
  let unknown = false;
  for (const answer of answers) {
    const names = new Set<string>();
    const wire = raw(answer).filter((_, i) => i % 2 === 0);
    for (const name of wire) if (responseHeaderFate(name) === 'forbidden') names.add(name.toLowerCase());
    const own = setByApp(answer.requestId);
    if (own === undefined) unknown = true;
    else for (const name of own) if (AUTOMATIC.has(name)) names.add(name);
    if (names.size > 0) found.push(`${[...names].join(', ')} on ${answer.what}`);
  }
  if (found.length > 0) {
    return fail(
      `the runtime sets response headers FC reserves: ${found.join('; ')}`,
      'remove them: FC owns x-fc-* (but x-fc-status) and connection, keep-alive, date, server, upgrade',
    );
  }
  const note = unknown ? "; Node's own connection and date could not be told from the app's" : '';
  return pass(`no response header FC reserves (x-fc-* but x-fc-status, connection, keep-alive, date, server, upgrade)${note}`);
}
