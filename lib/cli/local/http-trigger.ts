// One HTTP-trigger request through the local FC: FC's request limits, the client's headers as FC passes them, and an
// asynchronous request answered 202 at once; the invocation itself is invocation.ts's.
import { randomUUID } from 'crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'http';
import { INVOCATION_TYPE, MAX_ASYNC_BODY_BYTES, MAX_BODY_BYTES, passesRequestHeader, requestOverLimit } from '../fc/limits';
import { sizeText } from '../size-text';
import { Discard, isAsync, readAsyncBody } from './async';
import { invoke, type HttpTrigger } from './invocation';
import { summaryLine } from './summary';

/**
 * Forwards one client request to the function as FC's HTTP trigger does and streams the answer back;
 * an asynchronous one is answered 202 at once and run after. Everything the front answers itself (a
 * limit, a runtime that is down) is FC's error JSON with a warning line.
 */
export async function forward(req: IncomingMessage, res: ServerResponse, trigger: HttpTrigger, expectsContinue = false): Promise<void> {
  const requestId = randomUUID();
  const what = `${String(req.method)} ${String(req.url)}`;
  const later = isAsync(req);
  const refuse = (message: string) => {
    const body = JSON.stringify({ ErrorCode: 'InvalidArgument', ErrorMessage: message });
    trigger.output.warn(`fc-runtime local: ${what}: ${message} Answered 400 InvalidArgument, as FC does.\n`);
    res.writeHead(400, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'x-fc-request-id': requestId,
      ...(trigger.options.defaultDomain ? { 'content-disposition': 'attachment' } : {}),
      connection: 'close',
    });
    res.end(body);
    trigger.output.say(summaryLine({ what, status: 400, ms: 0, requestId, note: 'InvalidArgument' }));
  };

  const overLimit = requestOverLimit(String(req.url), req.rawHeaders);
  if (overLimit !== undefined) {
    refuse(overLimit);
    return;
  }
  const limit = later ? MAX_ASYNC_BODY_BYTES : MAX_BODY_BYTES;
  const limitText = later ? "FC's 128 KB limit for an asynchronous invocation" : "FC's 32 MB limit for a synchronous invocation";
  const declared = Number(req.headers['content-length']);
  // Before `100 Continue`, if the client asked: a client that waits sends no body at all.
  if (declared > limit) {
    refuse(`the request body is ${sizeText(declared)}, over ${limitText}.`);
    return;
  }

  // From rawHeaders: every value of a repeated header, in the client's order.
  const headers: Record<string, string[]> = {};
  const dropped = new Set<string>();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i].toLowerCase();
    if (passesRequestHeader(name)) (headers[name] ??= []).push(req.rawHeaders[i + 1]);
    else if (name.startsWith('x-fc-') && name !== INVOCATION_TYPE) dropped.add(name);
  }
  if (dropped.size > 0)
    trigger.output.warn(`fc-runtime local: ${what}: request headers ${[...dropped].join(', ')} dropped: FC sets x-fc-* headers itself.\n`);
  const forwarded: OutgoingHttpHeaders = {};
  for (const [name, values] of Object.entries(headers)) forwarded[name] = values.length === 1 ? values[0] : values;
  const call = { requestId, what, method: req.method ?? 'GET', url: req.url ?? '/', headers: forwarded };

  if (expectsContinue) res.writeContinue();
  if (!later) {
    await invoke(trigger, { ...call, body: req }, res);
    return;
  }

  const body = await readAsyncBody(req);
  if (body === undefined) {
    refuse(`the request body is more than 128 KB, over ${limitText}.`);
    return;
  }
  // FC queues it and answers at once; the function's answer goes nowhere but the log.
  res.writeHead(202, {
    'content-length': 0,
    'x-fc-request-id': requestId,
    ...(trigger.options.defaultDomain ? { 'content-disposition': 'attachment' } : {}),
  });
  res.end();
  trigger.output.say(summaryLine({ what, status: 202, ms: 0, requestId, note: 'queued (x-fc-invocation-type: Async)' }));
  forwarded['content-length'] = String(body.length);
  delete forwarded['transfer-encoding'];
  await invoke(trigger, { ...call, what: `${what} (async)`, body }, new Discard());
}
