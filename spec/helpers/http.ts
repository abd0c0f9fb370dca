// The specs' one HTTP client besides supertest: one request with Node's own http.request, and its whole answer.
import { request, type Agent, type IncomingHttpHeaders, type OutgoingHttpHeaders, type Server } from 'http';
import { portOf } from './apps';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  /** Header names and values in the order and casing they came on the wire. */
  rawHeaders: string[];
  body: Buffer;
  /** The body as UTF-8. */
  text: string;
}

export interface Call {
  /** Defaults to GET. */
  method?: string;
  /** Goes on the wire exactly as written. */
  path: string;
  /** Header names keep the casing given here. */
  headers?: OutgoingHttpHeaders;
  /** Sent as it is; a list of chunks is written one after another (chunked unless headers give a content-length). */
  body?: string | Buffer | Buffer[];
  /** The agent whose connections carry the request; a fresh connection without one. */
  agent?: Agent | false;
  /** Gives up after this long; without it, the test's own timeout bounds the wait. */
  timeoutMs?: number;
}

/**
 * One request to 127.0.0.1 on `port` (or where `server` listens): fast enough for thousands, and
 * the connection is in the caller's hands.
 */
export function call(to: number | Server, { method = 'GET', path, headers = {}, body, agent = false, timeoutMs }: Call): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const signal = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
    const fail = (error: Error) => {
      reject(signal?.aborted ? new Error(`${method} ${path}: no answer within ${String(timeoutMs)} ms`) : error);
    };
    const req = request(
      { host: '127.0.0.1', port: typeof to === 'number' ? to : portOf(to), method, path, headers, agent, signal },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const bytes = Buffer.concat(chunks);
          resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, body: bytes, text: bytes.toString('utf8') });
        });
        res.on('error', fail);
      },
    );
    req.on('error', fail);
    if (!Array.isArray(body)) return void req.end(body);
    const write = async () => {
      for (const chunk of body) if (!req.write(chunk)) await new Promise((drained) => req.once('drain', drained));
      req.end();
    };
    write().catch(fail);
  });
}
