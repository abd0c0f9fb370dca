// One HTTP-trigger request through the local FC: the client's request to the runtime as `/http-invoke`, the answer back, byte for byte, within FC's limits.
import { randomUUID } from 'crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'http';
import { pipeline } from 'stream';
import type { Instance } from '../fc/instance';
import { headerBytes, MAX_BODY_BYTES, MAX_RESPONSE_HEADER_BYTES, passesRequestHeader, responseHeaderFate } from '../fc/limits';
import { sizeText } from '../size-text';
import { NotReady, type FrontOutput, type LocalFunction } from './function';
import { afterEndMarker, summaryLine } from './summary';

const tooLargeMessage = (size: string) => `the request body is ${size}, over FC's 32 MB limit for a synchronous invocation.`;

/**
 * Forwards one client request to the function as FC's HTTP trigger does and streams the answer back.
 * Everything the front answers itself (a limit, a runtime that is down) is FC's error JSON with a warning line.
 */
export async function forward(
  req: IncomingMessage,
  res: ServerResponse,
  fn: LocalFunction,
  output: FrontOutput,
  expectsContinue = false,
): Promise<void> {
  const requestId = randomUUID();
  const started = process.hrtime.bigint();
  const what = `${String(req.method)} ${String(req.url)}`;
  let sentBytes = 0;
  let answeredBy: 'function' | 'front' | undefined;
  let note: string | undefined;

  let instance: Instance | undefined;
  let fcHeaders: Record<string, string> = {};
  res.once('close', () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const status = res.headersSent ? res.statusCode : 'no answer';
    const end = res.writableFinished ? sizeText(sentBytes) : `${sizeText(sentBytes)} before the client went away`;
    const line = summaryLine({ what, status, headers: answeredBy === 'function' ? fcHeaders : {}, ms, requestId, note: note ?? end });
    // After the runtime's own End marker for this request, so the log reads in order.
    void afterEndMarker(instance, requestId).then(() => output.say(line));
  });

  /**
   * The front's own answer, in the shape of FC's error responses, and a warning line; `close` when the
   * request body was not read; `documented` when FC is documented to answer so.
   */
  const answer = (status: number, code: string, message: string, { close = false, documented = false } = {}) => {
    if (answeredBy !== undefined || res.destroyed) {
      res.destroy();
      return;
    }
    answeredBy = 'front';
    note = code;
    output.warn(`fc-runtime local: ${what}: ${message} Answered ${status} ${code}${documented ? ', as FC does' : ''}.\n`);
    const body = JSON.stringify({ ErrorCode: code, ErrorMessage: message });
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'x-fc-request-id': requestId,
      ...(close ? { connection: 'close' } : {}),
    });
    res.end(body);
  };

  const declared = Number(req.headers['content-length']);
  if (declared > MAX_BODY_BYTES) {
    // Before `100 Continue`, if the client asked: a client that waits sends no body at all.
    answer(400, 'InvalidArgument', tooLargeMessage(sizeText(declared)), { close: true, documented: true });
    return;
  }
  if (expectsContinue) res.writeContinue();

  // From rawHeaders: every value of a repeated header, in the client's order.
  const headers: Record<string, string[]> = {};
  const dropped = new Set<string>();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i].toLowerCase();
    if (passesRequestHeader(name)) (headers[name] ??= []).push(req.rawHeaders[i + 1]);
    else if (name.startsWith('x-fc-')) dropped.add(name);
  }
  if (dropped.size > 0)
    output.warn(`fc-runtime local: ${what}: request headers ${[...dropped].join(', ')} dropped: FC sets x-fc-* headers itself.\n`);

  let ready: Instance;
  try {
    ready = instance = await fn.ready();
  } catch (error) {
    if (!(error instanceof NotReady)) throw error;
    answer(502, 'FunctionNotReady', error.message, { close: true });
    return;
  }
  if (res.destroyed) return;

  const forwarded: OutgoingHttpHeaders = {};
  for (const [name, values] of Object.entries(headers)) forwarded[name] = values.length === 1 ? values[0] : values;
  const upstream = ready.client.request(req.method ?? 'GET', req.url ?? '/', {
    ...forwarded,
    ...ready.client.headers('/http-invoke', requestId),
  });
  // The body is piped, not pipelined: over the limit the client still gets its 400 (Node reads and
  // drops the rest of the body), which a destroyed request socket would not allow.
  let bodyBytes = 0;
  const count = (chunk: Buffer) => {
    bodyBytes += chunk.length;
    if (bodyBytes <= MAX_BODY_BYTES || answeredBy !== undefined) return;
    req.off('data', count);
    req.unpipe(upstream);
    answer(400, 'InvalidArgument', tooLargeMessage(`more than ${sizeText(MAX_BODY_BYTES)}`), { documented: true });
    upstream.destroy();
    req.resume();
  };
  req.on('data', count);
  req.pipe(upstream);
  // A client that goes away mid-request takes the runtime's request with it.
  req.once('close', () => req.complete || upstream.destroy());
  res.once('close', () => res.writableFinished || upstream.destroy());

  upstream.on('error', (error) => {
    if (answeredBy === 'function') res.destroy();
    if (answeredBy !== undefined || res.destroyed) return;
    const exited = ready.runtime.exitStatus === undefined ? '' : ` (the runtime exited: ${ready.runtime.exitStatus})`;
    answer(
      502,
      'FunctionNoAnswer',
      `the function's runtime closed the connection without an answer: ${error.message}${exited}; see its log.`,
      { close: true },
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
      answer(502, 'ResponseHeadersTooLarge', `the function's response headers are ${sizeText(size)}, over FC's 8 KB limit.`, {
        documented: true,
      });
      return;
    }
    const passed: string[] = [];
    const forbidden: string[] = [];
    fcHeaders = {};
    for (let i = 0; i + 1 < upstreamRes.rawHeaders.length; i += 2) {
      const [name, value] = [upstreamRes.rawHeaders[i], upstreamRes.rawHeaders[i + 1]];
      const fate = responseHeaderFate(name);
      if (fate === 'pass') passed.push(name, value);
      else if (fate === 'forbidden' && !forbidden.includes(name.toLowerCase())) forbidden.push(name.toLowerCase());
      if (name.toLowerCase() === 'x-fc-status') fcHeaders['x-fc-status'] = value;
    }
    if (forbidden.length > 0) {
      output.warn(`fc-runtime local: ${what}: response headers ${forbidden.join(', ')} dropped: FC does not let a function set them.\n`);
    }
    passed.push('x-fc-request-id', requestId);
    answeredBy = 'function';
    res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, passed);
    upstreamRes.on('data', (chunk: Buffer) => (sentBytes += chunk.length));
    pipeline(upstreamRes, res, () => {
      // A client that went away ends the download; the per-request line says so.
    });
  });
}
