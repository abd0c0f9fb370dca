// The client that calls the runtime as FC does: FC's common headers on each request, keep-alive connections, control requests answered in full.
import { randomUUID } from 'crypto';
import { request, type Agent, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'http';
import type { Socket } from 'net';
import { controlRoute } from '../../routing';
import type { ControlAnswer } from './answer';
import { commonHeaders, type Identity } from './identity';
import { FcAgent } from './keep-alive';

/** How long a control request may take before it is given up: FC's own limits are of this order. */
const CONTROL_MS = 60_000;
/** Node's client refuses response headers over 16 KB; FC's limit (8 KB) is measured by the callers, so allow more here. */
const MAX_HEADER_BYTES = 1024 * 1024;

/** A whole answer, as received. */
export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  ms: number;
  /** The connection it came on, handed back to its agent (and left idle, for a keep-alive one). */
  socket: Socket | undefined;
}

export interface SendOptions {
  headers: OutgoingHttpHeaders;
  body?: Buffer;
  /** Gives up after this long (Infinity: never). */
  timeoutMs: number;
  /** What went unanswered, for the timeout's message: `no answer to /invoke within 60 s`, or `no answer within 30 s` without it. */
  what?: string;
  /** The connections to send on; the client's own keep-alive ones by default. */
  agent?: Agent;
}

/** No answer within the time allowed: FC's timeout, not a runtime that went away. */
export class TimedOut extends Error {
  override name = 'TimedOut';
}

export class FcClient {
  /** Keep-alive connections, kept as FC keeps them. */
  readonly agent = new FcAgent();

  constructor(
    readonly port: number,
    private readonly identity: Identity,
  ) {}

  /** Fresh common headers for one request, as FC sends them. */
  headers(controlPath: string, requestId: string = randomUUID()): Record<string, string> {
    return commonHeaders(this.identity, controlPath, requestId);
  }

  /** Sends one request to the runtime; the caller writes (or pipes) the body and reads the answer. */
  request(method: string, path: string, headers: OutgoingHttpHeaders, agent: Agent = this.agent): ClientRequest {
    return request({ host: '127.0.0.1', port: this.port, method, path, headers, agent, maxHeaderSize: MAX_HEADER_BYTES });
  }

  /** One request, answered in full. Rejects when the runtime closes the connection without an answer, or gives none within `timeoutMs`. */
  send(method: string, path: string, { headers, body, timeoutMs, what, agent }: SendOptions): Promise<Reply> {
    const started = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
      const req = this.request(method, path, headers, agent);
      const unanswered = what === undefined ? 'no answer' : `no answer to ${what}`;
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => req.destroy(new TimedOut(`${unanswered} within ${timeoutMs / 1000} s`)), timeoutMs)
        : undefined;
      const fail = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      req.once('error', fail);
      req.once('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', fail);
        res.once('end', () => {
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(chunks),
            ms: Number(process.hrtime.bigint() - started) / 1e6,
            socket: req.socket ?? undefined,
          });
        });
      });
      req.end(body);
    });
  }

  /**
   * One control request (`/initialize`, `/invoke`, `/pre-stop`), with the method FC sends it with,
   * answered in full. Rejects as send() does (`timeoutMs` Infinity: no limit).
   */
  async control(
    controlPath: string,
    body: Buffer = Buffer.alloc(0),
    timeoutMs = CONTROL_MS,
    requestId: string = randomUUID(),
  ): Promise<ControlAnswer> {
    const method = controlRoute(controlPath)?.method ?? 'POST';
    const withBody = method === 'POST';
    const headers = {
      ...this.headers(controlPath, requestId),
      ...(withBody ? { 'content-type': 'application/octet-stream', 'content-length': String(body.length) } : {}),
    };
    const reply = await this.send(method, controlPath, { headers, body: withBody ? body : undefined, timeoutMs, what: controlPath });
    return { requestId, status: reply.status, headers: reply.headers, body: reply.body, ms: reply.ms };
  }

  /** Closes the idle keep-alive connections, which would hold up the runtime's drain; requests in flight may finish. */
  closeIdle(): void {
    this.agent.closeIdle();
  }

  /** Closes every connection. */
  destroy(): void {
    this.agent.destroy();
  }
}
