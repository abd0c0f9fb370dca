// Which request is which: FC's control requests by x-fc-control-path, with the spec's header-less fallback.
import { IncomingMessage, type IncomingHttpHeaders } from 'http';

export const HTTP_INVOKE = '/http-invoke';

/**
 * FC's control requests, the one closed set every part of the package reads: each path with the one
 * method FC sends it with and the kind its log markers name. Adding a control path is one row here
 * and one handler in middleware.ts.
 */
export const CONTROL_PATHS = {
  '/invoke': { method: 'POST', kind: 'Invoke' },
  '/initialize': { method: 'POST', kind: 'Initialize' },
  '/pre-freeze': { method: 'GET', kind: 'PreFreeze' },
  '/pre-stop': { method: 'GET', kind: 'PreStop' },
} as const;

export type ControlPath = keyof typeof CONTROL_PATHS;
export type ControlRoute = (typeof CONTROL_PATHS)[ControlPath];
/** What FC's classic runtimes call the kinds of invocation in their markers. */
export type MarkerKind = ControlRoute['kind'];

// A Map, not the object: a header such as `constructor` must never find Object.prototype's.
const ROUTES: ReadonlyMap<string, ControlRoute> = new Map(Object.entries(CONTROL_PATHS));

/** The route of a control path FC sends; undefined for anything else, inherited names included. */
export function controlRoute(path: string): ControlRoute | undefined {
  return ROUTES.get(path);
}

/**
 * The request's control path: the x-fc-control-path header as sent (an unknown one included), or,
 * without it, the control path of an FC request (one with x-fc-request-id) that is exactly
 * `POST /invoke`, `POST /initialize`, `GET /pre-freeze` or `GET /pre-stop` — lifecycle hooks may
 * come without the header. Everything else is plain HTTP for the app, `/http-invoke`.
 */
export function controlPathOf(req: IncomingMessage, headers: IncomingHttpHeaders = req.headers): string {
  const header = headers['x-fc-control-path'];
  if (typeof header === 'string') return header;
  const url = req.url ?? '';
  if (headers['x-fc-request-id'] !== undefined && ROUTES.get(url)?.method === req.method) return url;
  return HTTP_INVOKE;
}

// FC 2.0's default URL: `/2016-08-15/proxy/<service>[.<qualifier>]/<function>`, then the app's path.
const PROXY_PREFIX = /^\/2016-08-15\/proxy\/[^/?#]+\/[^/?#]+\/?$/;

/**
 * Removes the `x-fc-base-path` prefix from req.url when it is FC 2.0's proxy prefix. FC 3.0 sends
 * the header too, with the whole request path in it (seen behind an API gateway: `/get` on
 * `GET /get?apikey=…`): taking that off would send every route to `/`, so any other value is left
 * alone (the context still has it).
 */
export function stripBasePath(req: IncomingMessage, headers: IncomingHttpHeaders = req.headers): void {
  const header = headers['x-fc-base-path'];
  if (typeof header !== 'string' || !PROXY_PREFIX.test(header)) return;
  const prefix = header.endsWith('/') ? header.slice(0, -1) : header;
  const url = req.url ?? '';
  if (!url.startsWith(prefix)) return;
  const rest = url.slice(prefix.length);
  if (rest !== '' && rest[0] !== '?' && rest[0] !== '/') return; // `/site` is no prefix of `/sitemap`
  req.url = rest[0] === '/' ? rest : '/' + rest;
}

const SECRET_HEADER = 'x-fc-access-key-secret';
const TOKEN_HEADER = 'x-fc-security-token';

// Node builds req.headersDistinct on first read from as many entries of rawHeaders as it parsed,
// a count it keeps apart from the list: it must shrink with the list, or the read throws. Found
// by name, as Node does not export it; where it is not found, headersDistinct is built before.
const kHeadersCount = Object.getOwnPropertySymbols(new IncomingMessage(null as never)).find((key) => key.description === 'kHeadersCount');

/** Removes the two credential headers from req.headers and req.rawHeaders; the context keeps them. */
export function dropCredentialHeaders(req: IncomingMessage, headers: IncomingHttpHeaders = req.headers): void {
  if (headers[SECRET_HEADER] === undefined && headers[TOKEN_HEADER] === undefined) return;
  // A copy without them, not `delete`: that turns the object into a dictionary, which costs more to
  // make than the copy and makes every later read of a header slower.
  const kept: IncomingHttpHeaders = {};
  for (const name in headers) if (name !== SECRET_HEADER && name !== TOKEN_HEADER) kept[name] = headers[name];
  req.headers = kept;
  if (kHeadersCount === undefined) dropFromDistinct(req);
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    // A name of another length cannot match: only the few that can are compared, lower-cased if need be.
    const name = raw[i];
    if (name.length !== SECRET_HEADER.length && name.length !== TOKEN_HEADER.length) continue;
    const lower = name === SECRET_HEADER || name === TOKEN_HEADER ? name : name.toLowerCase();
    if (lower !== SECRET_HEADER && lower !== TOKEN_HEADER) continue;
    raw.splice(i, 2);
    if (kHeadersCount !== undefined) (req as unknown as Record<symbol, number>)[kHeadersCount] -= 2;
  }
}

function dropFromDistinct(req: IncomingMessage): void {
  const distinct = req.headersDistinct;
  Reflect.deleteProperty(distinct, SECRET_HEADER);
  Reflect.deleteProperty(distinct, TOKEN_HEADER);
}
