// One invocation through the local HTTP trigger, as FC makes it: a free slot of instanceConcurrency, the function's timeout, the
// connection FC would send it on, FC's response limits and forbidden headers, and the answer back byte for byte.
import type { IncomingMessage, OutgoingHttpHeaders } from 'http';
import { pipeline, type Writable } from 'stream';
import type { FunctionConfig } from '../fc/function-config';
import type { Instance } from '../fc/instance';
import { headerBytes, MAX_BODY_BYTES, MAX_RESPONSE_HEADER_BYTES, responseHeaderFate } from '../fc/limits';
import { sizeText } from '../size-text';
import { NotReady, type FrontOutput, type LocalFunction } from './function';
import { Slots } from './slots';
import { afterEndMarker, summaryLine } from './summary';

/** FC retries these on a new connection when the one it sent them on was closed; any other method gets a 502. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
/** FC's message for a request sent on a connection the runtime had closed (or a runtime that died under it). */
const CLOSED_MESSAGE = 'Process exited unexpectedly before completing request';

export interface TriggerOptions {
  /** The function: its timeout, instanceConcurrency, and whether a custom domain routes to it. */
  config: FunctionConfig;
  /** Answer as FC's default trigger domain does: `content-disposition: attachment` on every answer. */
  defaultDomain: boolean;
}

/** The local HTTP trigger: what holds across requests (the function's slots, the warnings given once). */
export class HttpTrigger {
  readonly slots: Slots;
  private readonly warned = new Set<string>();

  constructor(
    readonly fn: LocalFunction,
    readonly output: FrontOutput,
    readonly options: TriggerOptions,
  ) {
    this.slots = new Slots(options.config.concurrency);
  }

  /** A warning that is worth saying once per run. */
  warnOnce(key: string, line: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.output.warn(line);
  }
}

/** Where an invocation's answer goes: the client's ServerResponse, or nowhere (async.ts's Discard) for an asynchronous one. */
export interface Reply extends Writable {
  statusCode: number;
  readonly headersSent: boolean;
  writeHead(status: number, message: string | undefined, headers: OutgoingHttpHeaders | string[]): unknown;
}

/** One request as the runtime gets it. */
export interface Invocation {
  requestId: string;
  /** `GET /path?query`, for the lines. */
  what: string;
  method: string;
  url: string;
  headers: OutgoingHttpHeaders;
  /** The client's body as it comes (counted against 32 MB), or the whole body of an asynchronous one. */
  body: IncomingMessage | Buffer;
}

interface AnswerOptions {
  /** The request body was not read: the connection cannot be reused. */
  close?: boolean;
  /** FC is documented to answer so. */
  documented?: boolean;
  /** The body, when FC's is not `{ErrorCode, ErrorMessage}`. */
  body?: object;
  headers?: OutgoingHttpHeaders;
}

const htmlType = (type: string | undefined) => /^\s*(text\/html|application\/xhtml\+xml)\b/i.test(type ?? '');

/**
 * Runs one invocation on the function and writes the answer to `reply`, as FC does: a free slot of
 * instanceConcurrency first, the function's timeout, FC's limits and forbidden headers, and FC's
 * error JSON (with a warning line) for what the front answers itself.
 */
export async function invoke(trigger: HttpTrigger, call: Invocation, reply: Reply): Promise<void> {
  const { fn, output, options } = trigger;
  const { requestId, what } = call;
  const started = process.hrtime.bigint();
  let sentBytes = 0;
  let answeredBy: 'function' | 'front' | undefined;
  let note: string | undefined;
  let instance: Instance | undefined;
  let fcHeaders: Record<string, string> = {};
  const attachment = options.defaultDomain ? { 'content-disposition': 'attachment' } : {};
  reply.once('close', () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const status = reply.headersSent ? reply.statusCode : 'no answer';
    const end = reply.writableFinished ? sizeText(sentBytes) : `${sizeText(sentBytes)} before the client went away`;
    const line = summaryLine({ what, status, headers: answeredBy === 'function' ? fcHeaders : {}, ms, requestId, note: note ?? end });
    // After the runtime's own End marker for this request, so the log reads in order.
    void afterEndMarker(instance, requestId).then(() => output.say(line));
  });

  /**
   * The front's own answer, in the shape of FC's error responses (or `body`), and a warning line;
   * `close` when the request body was not read; `documented` when FC is documented to answer so.
   */
  const answer = (
    status: number,
    code: string,
    message: string,
    { close = false, documented = false, body, headers }: AnswerOptions = {},
  ) => {
    if (answeredBy !== undefined || reply.destroyed) {
      reply.destroy();
      return;
    }
    answeredBy = 'front';
    note = code;
    output.warn(`fc-runtime local: ${what}: ${message} Answered ${status} ${code}${documented ? ', as FC does' : ''}.\n`);
    const text = JSON.stringify(body ?? { ErrorCode: code, ErrorMessage: message });
    reply.writeHead(status, undefined, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'x-fc-request-id': requestId,
      ...attachment,
      ...headers,
      ...(close ? { connection: 'close' } : {}),
    });
    reply.end(text);
  };
  const streamed = !Buffer.isBuffer(call.body);
  const drop = () => {
    if (Buffer.isBuffer(call.body)) return;
    call.body.resume();
  };

  // One local instance takes instanceConcurrency requests at once; FC would start more instances.
  if (trigger.slots.full) {
    const { size } = trigger.slots;
    trigger.warnOnce(
      'slots',
      `fc-runtime local: the function's instanceConcurrency (${size}) is taken by requests in flight; ` +
        'later ones wait for a free slot here, on the one local instance (FC would start another instance).\n',
    );
  }
  const release = await trigger.slots.take();
  // The client may have gone while its request waited.
  const gone = () => reply.destroyed;
  if (gone()) {
    release();
    return;
  }

  let ready: Instance;
  try {
    ready = instance = await fn.ready();
  } catch (error) {
    release();
    if (!(error instanceof NotReady)) throw error;
    answer(502, 'FunctionNotReady', error.message, { close: streamed });
    return;
  }
  if (gone()) {
    release();
    return;
  }

  const idleMs = ready.client.agent.takeClosedIdle();
  if (idleMs !== undefined) {
    const cause =
      `the function's server closed its idle keep-alive connection after ${(idleMs / 1000).toFixed(1)} s ` +
      '(its keepAliveTimeout; FC keeps connections open for 15 minutes and more and sends the next request on it)';
    const fix = 'set server.keepAliveTimeout = 0 (serve() and `node -r express-fc-runtime/register` do)';
    if (IDEMPOTENT.has(call.method)) {
      output.warn(`fc-runtime local: ${what}: ${cause}: FC retries a ${call.method} on a new connection, a POST would fail; ${fix}.\n`);
    } else {
      release();
      drop();
      answer(502, 'UnhandledInvocationError', `${cause}: FC answers a ${call.method} on it 502; ${fix}.`, {
        close: streamed,
        documented: true,
        body: { errorMessage: CLOSED_MESSAGE },
        headers: { 'x-fc-error-type': 'UnhandledInvocationError' },
      });
      return;
    }
  }

  const upstream = ready.client.request(call.method, call.url, { ...call.headers, ...ready.client.headers('/http-invoke', requestId) });
  upstream.once('close', release);
  // FC's timeout covers the whole invocation, a streamed answer included; FC keeps the instance.
  const { timeoutS } = options.config;
  const timer = Number.isFinite(timeoutS)
    ? setTimeout(() => {
        const line = `the function ran past its timeout (${timeoutS} s) and was cut; its request was aborted, the instance kept, as FC does.`;
        if (answeredBy === 'function') {
          output.warn(`fc-runtime local: ${what}: ${line}\n`);
          note = 'timed out';
          reply.destroy();
        } else {
          answer(502, 'UnhandledInvocationError', line, {
            body: { errorMessage: `Function timed out after ${timeoutS} seconds` },
            headers: { 'x-fc-error-type': 'UnhandledInvocationError' },
          });
        }
        upstream.destroy();
        drop();
      }, timeoutS * 1000)
    : undefined;
  upstream.once('close', () => clearTimeout(timer));

  if (Buffer.isBuffer(call.body)) {
    upstream.end(call.body);
  } else {
    const req = call.body;
    // The body is piped, not pipelined: over the limit the client still gets its 400 (Node reads and
    // drops the rest of the body), which a destroyed request socket would not allow.
    let bodyBytes = 0;
    const count = (chunk: Buffer) => {
      bodyBytes += chunk.length;
      if (bodyBytes <= MAX_BODY_BYTES || answeredBy !== undefined) return;
      req.off('data', count);
      req.unpipe(upstream);
      answer(400, 'InvalidArgument', `the request body is more than ${sizeText(MAX_BODY_BYTES)}, over FC's 32 MB limit.`, {
        documented: true,
      });
      upstream.destroy();
      req.resume();
    };
    req.on('data', count);
    req.pipe(upstream);
    // A client that goes away mid-request takes the runtime's request with it.
    req.once('close', () => req.complete || upstream.destroy());
  }
  reply.once('close', () => reply.writableFinished || upstream.destroy());

  upstream.on('error', (error) => {
    if (answeredBy === 'function') reply.destroy();
    if (answeredBy !== undefined || reply.destroyed) return;
    const exited = ready.runtime.exitStatus === undefined ? '' : ` (the runtime exited: ${ready.runtime.exitStatus})`;
    answer(
      502,
      'FunctionNoAnswer',
      `the function's runtime closed the connection without an answer: ${error.message}${exited}; see its log.`,
      { close: streamed },
    );
  });

  upstream.once('response', (upstreamRes: IncomingMessage) => {
    if (answeredBy !== undefined) {
      upstreamRes.resume();
      return;
    }
    const size = headerBytes(upstreamRes.rawHeaders);
    if (size > MAX_RESPONSE_HEADER_BYTES) {
      upstreamRes.resume();
      answer(502, 'BadResponse', `the function's response headers are ${sizeText(size)}, over FC's 8 KB limit.`, { documented: true });
      return;
    }
    const passed: string[] = [];
    const forbidden: string[] = [];
    fcHeaders = {};
    for (let i = 0; i + 1 < upstreamRes.rawHeaders.length; i += 2) {
      const [name, value] = [upstreamRes.rawHeaders[i], upstreamRes.rawHeaders[i + 1]];
      const fate = responseHeaderFate(name);
      // FC's default domain sets its own, whatever the function said.
      if (fate === 'pass' && !(options.defaultDomain && name.toLowerCase() === 'content-disposition')) passed.push(name, value);
      else if (fate === 'forbidden' && !forbidden.includes(name.toLowerCase())) forbidden.push(name.toLowerCase());
      if (name.toLowerCase() === 'x-fc-status') fcHeaders['x-fc-status'] = value;
    }
    if (forbidden.length > 0) {
      output.warn(`fc-runtime local: ${what}: response headers ${forbidden.join(', ')} dropped: FC does not let a function set them.\n`);
    }
    if (htmlType(upstreamRes.headers['content-type']) && !options.config.customDomain && !options.defaultDomain) {
      trigger.warnOnce(
        'html',
        `fc-runtime local: ${what} answers HTML, and no custom domain routes to the function: on FC's default domain browsers ` +
          'would download it (content-disposition: attachment). Add an fc3-domain resource with `domainName: auto` to s.yaml; ' +
          '--default-domain shows here what browsers would get.\n',
      );
    }
    passed.push('x-fc-request-id', requestId);
    if (options.defaultDomain) passed.push('content-disposition', 'attachment');
    answeredBy = 'function';
    reply.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, passed);
    upstreamRes.on('data', (chunk: Buffer) => (sentBytes += chunk.length));
    pipeline(upstreamRes, reply, () => {
      // A client that went away ends the download; the per-request line says so.
    });
  });
}
