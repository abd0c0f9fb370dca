// Runs inside the site's own Node during `fc-runtime check` (NODE_OPTIONS --require): notes each HTTP
// server's timeouts and the response headers the app set itself, for the check to read. It changes
// nothing the app or FC sees. Keep it free of imports beyond Node's own: it loads before the app.
import * as diagnostics from 'diagnostics_channel';
import { appendFileSync } from 'fs';
import type { Server, ServerResponse, IncomingMessage } from 'http';

/** One server, as it was when it received its first request. */
export interface ServerRecord {
  kind: 'server';
  port: number | undefined;
  keepAliveTimeout: number;
  requestTimeout: number;
  headersTimeout: number;
  timeout: number;
  maxRequestsPerSocket: number;
}

/** One answer: the header names the app set (by setHeader or writeHead), not Node's automatic ones. */
export interface ResponseRecord {
  kind: 'response';
  requestId: string | undefined;
  setByApp: string[];
}

interface Message {
  server: Server;
  request: IncomingMessage;
  response: ServerResponse;
}

/** The names in writeHead's headers argument: an object, a flat [name, value, …] list or [[name, value], …]. */
function headerNames(headers: unknown): string[] {
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) return headers.map((pair: unknown[]) => String(pair[0]));
    return headers.filter((_, i) => i % 2 === 0).map(String);
  }
  if (typeof headers === 'object' && headers !== null) return Object.keys(headers);
  return [];
}

type Listener = (message: unknown) => void;

/** diagnostics_channel.subscribe (Node 18.7+), else the channel's own; a listener that throws is silenced, never the app's problem. */
function on(name: string, listener: Listener): void {
  const safe: Listener = (message) => {
    try {
      listener(message);
    } catch {
      // The check reads what it can.
    }
  };
  const subscribe = (diagnostics as { subscribe?: (name: string, listener: Listener) => void }).subscribe;
  if (subscribe !== undefined) subscribe(name, safe);
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the fallback for Node before 18.7, which has only the channel's own subscribe
  else diagnostics.channel(name).subscribe(safe);
}

export function install(reportFile: string): void {
  const write = (record: ServerRecord | ResponseRecord) => {
    try {
      appendFileSync(reportFile, `${JSON.stringify(record)}\n`);
    } catch {
      // The check reads what it can; the app must not notice.
    }
  };
  const seen = new WeakSet<Server>();
  const given = new WeakMap<ServerResponse, Set<string>>();

  on('http.server.request.start', (message) => {
    const { server, response } = message as Message;
    if (!seen.has(server)) {
      seen.add(server);
      const address = server.address();
      write({
        kind: 'server',
        port: typeof address === 'object' && address !== null ? address.port : undefined,
        keepAliveTimeout: server.keepAliveTimeout,
        requestTimeout: server.requestTimeout,
        headersTimeout: server.headersTimeout,
        timeout: server.timeout,
        maxRequestsPerSocket: server.maxRequestsPerSocket ?? 0,
      });
    }
    // Headers passed to writeHead() without a setHeader() before never show in getHeaderNames().
    const names = new Set<string>();
    given.set(response, names);
    // eslint-disable-next-line @typescript-eslint/unbound-method -- applied below to the wrapper's own receiver, as the original would be called
    const writeHead = response.writeHead;
    response.writeHead = function probedWriteHead(this: ServerResponse, ...args: unknown[]) {
      for (const name of headerNames(typeof args[1] === 'string' ? args[2] : args[1])) names.add(name.toLowerCase());
      return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    };
  });

  on('http.server.response.finish', (message) => {
    const { request, response } = message as Message;
    const names = given.get(response) ?? new Set<string>();
    for (const name of response.getHeaderNames()) names.add(name);
    const id = request.headers['x-fc-request-id'];
    write({ kind: 'response', requestId: Array.isArray(id) ? id[0] : id, setByApp: [...names] });
  });
}
