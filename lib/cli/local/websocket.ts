// One WebSocket connection through the local FC: the upgrade to the runtime with fresh common headers, then bytes both ways until either side closes or the function's timeout cuts it.
import { randomUUID } from 'crypto';
import { STATUS_CODES, type IncomingMessage } from 'http';
import type { Duplex } from 'stream';
import type { Instance } from '../fc/instance';
import { passesRequestHeader } from '../fc/limits';
import { NotReady, type FrontOutput, type LocalFunction } from './function';
import { afterEndMarker, summaryLine } from './summary';

/** RFC 6455's codes for a connection that ended without a close frame (1006) and a close frame without a code (1005). */
const ABNORMAL = 1006;
const NO_STATUS = 1005;

/**
 * Finds the first close frame in one direction of a WebSocket byte stream, reading only frame
 * headers: the front passes bytes through untouched (text, binary, ping, pong, extensions alike) and
 * parses just enough to say how the connection ended.
 */
export class CloseSniffer {
  /** The close code once a close frame went by (1005 when it carried none). */
  code: number | undefined;
  private header: number[] = [];
  private skip = 0;
  private closeBytes: number[] | undefined;
  private mask: number[] | undefined;

  constructor(private readonly onClose: (code: number) => void) {}

  private found(code: number): void {
    this.code = code;
    this.onClose(code);
  }

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length && this.code === undefined) {
      if (this.closeBytes !== undefined) {
        this.closeBytes.push(chunk[i++]);
        if (this.closeBytes.length === 2) {
          const mask = this.mask ?? [0, 0];
          const [a, b] = this.closeBytes.map((byte, k) => byte ^ mask[k]);
          this.found((a << 8) | b);
        }
        continue;
      }
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      this.header.push(chunk[i++]);
      const h = this.header;
      if (h.length < 2) continue;
      const len7 = h[1] & 0x7f;
      const masked = (h[1] & 0x80) !== 0;
      const need = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (masked ? 4 : 0);
      if (h.length < need) continue;
      let length = len7;
      if (len7 === 126) length = (h[2] << 8) | h[3];
      else if (len7 === 127) length = h.slice(2, 10).reduce((sum, byte) => sum * 256 + byte, 0);
      const opcode = h[0] & 0x0f;
      this.mask = masked ? h.slice(need - 4, need) : undefined;
      this.header = [];
      if (opcode === 0x8 && length >= 2) this.closeBytes = [];
      else if (opcode === 0x8) this.found(NO_STATUS);
      else this.skip = length;
    }
  }
}

/** An HTTP answer the front writes itself on the client's socket, then closes it. */
function answerRaw(socket: Duplex, status: number, headers: [string, string][], body: Buffer): void {
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, ...headers.map(([name, value]) => `${name}: ${value}`)];
  lines.push(`content-length: ${body.length}`, 'connection: close');
  socket.end(Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), body]));
}

/**
 * Forwards one WebSocket upgrade to the function as FC's HTTP trigger does: fresh common headers, the
 * runtime's 101 (or its refusal) back to the client, then bytes both ways. FC closes the connection at
 * the function's timeout without a close frame (1006); so does this. The per-request line comes once
 * both sides have closed: the connection's life, and how it ended.
 */
export async function proxyUpgrade(
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  fn: LocalFunction,
  output: FrontOutput,
): Promise<void> {
  const requestId = randomUUID();
  const started = process.hrtime.bigint();
  const what = `${String(req.method)} ${String(req.url)} (WebSocket)`;
  let instance: Instance | undefined;
  let status = 'no answer' as number | string;
  let note: string | undefined;
  // The side whose close frame came first closed the connection; the other's only answers it.
  let closedBy: { code: number; by: string } | undefined;
  const fromClient = new CloseSniffer((code) => (closedBy ??= { code, by: 'the client' }));
  const fromFunction = new CloseSniffer((code) => (closedBy ??= { code, by: 'the function' }));
  client.on('error', () => client.destroy());
  const clientClosed = new Promise<void>((resolve) => client.once('close', resolve));

  const finish = async (): Promise<void> => {
    await clientClosed;
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (note === undefined && status === 101) {
      note = closedBy === undefined ? `closed ${ABNORMAL} (no close frame)` : `closed ${closedBy.code} by ${closedBy.by}`;
    }
    await afterEndMarker(instance, requestId);
    output.say(summaryLine({ what, status, ms, requestId, note }));
  };
  const refuse = (code: number, errorCode: string, message: string): void => {
    status = code;
    note = errorCode;
    output.warn(`fc-runtime local: ${what}: ${message} Answered ${code} ${errorCode}.\n`);
    const body = Buffer.from(JSON.stringify({ ErrorCode: errorCode, ErrorMessage: message }));
    answerRaw(
      client,
      code,
      [
        ['content-type', 'application/json; charset=utf-8'],
        ['x-fc-request-id', requestId],
      ],
      body,
    );
  };

  // From rawHeaders: every value of a repeated header, in the client's order; FC sets x-fc-* itself.
  const headers: Record<string, string[]> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i].toLowerCase();
    if (passesRequestHeader(name)) (headers[name] ??= []).push(req.rawHeaders[i + 1]);
  }
  try {
    instance = await fn.ready();
  } catch (error) {
    if (!(error instanceof NotReady)) throw error;
    refuse(502, 'FunctionNotReady', error.message);
    return finish();
  }
  if (client.destroyed) return finish();

  const forwarded: Record<string, string | string[]> = {};
  for (const [name, values] of Object.entries(headers)) forwarded[name] = values.length === 1 ? values[0] : values;
  const upstream = instance.client.request(String(req.method), String(req.url), {
    ...forwarded,
    connection: 'Upgrade',
    upgrade: String(req.headers.upgrade),
    ...instance.client.headers('/http-invoke', requestId),
  });
  upstream.end();
  client.once('close', () => status === 101 || upstream.destroy());
  upstream.on('error', (error) => {
    if (status === 101) return;
    refuse(502, 'FunctionNoAnswer', `the function's runtime closed the connection without an answer: ${error.message}; see its log.`);
  });
  // Not upgraded: the runtime's answer (a 400, a 404) goes back as it is, and the connection closes.
  upstream.on('response', (res: IncomingMessage) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => {
      status = res.statusCode ?? 502;
      note = 'not upgraded';
      const passed: [string, string][] = [];
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
        const name = res.rawHeaders[i].toLowerCase();
        if (!['connection', 'content-length', 'transfer-encoding', 'keep-alive'].includes(name))
          passed.push([res.rawHeaders[i], res.rawHeaders[i + 1]]);
      }
      passed.push(['x-fc-request-id', requestId]);
      answerRaw(client, status, passed, Buffer.concat(chunks));
    });
  });
  upstream.on('upgrade', (res: IncomingMessage, runtime: Duplex, runtimeHead: Buffer) => {
    status = 101;
    const lines = [`HTTP/1.1 101 ${res.statusMessage ?? 'Switching Protocols'}`];
    for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
    lines.push(`x-fc-request-id: ${requestId}`);
    client.write(lines.join('\r\n') + '\r\n\r\n');
    runtime.on('error', () => runtime.destroy());
    client.on('data', (chunk: Buffer) => fromClient.push(chunk));
    runtime.on('data', (chunk: Buffer) => fromFunction.push(chunk));
    if (runtimeHead.length > 0) {
      fromFunction.push(runtimeHead);
      client.write(runtimeHead);
    }
    if (head.length > 0) {
      fromClient.push(head);
      runtime.write(head);
    }
    client.pipe(runtime);
    runtime.pipe(client);
    // A side that goes away takes the other with it: FC holds no half of a connection.
    client.once('close', () => runtime.destroy());
    runtime.once('close', () => client.destroy());
    const timeoutS = fn.config.timeoutS;
    if (Number.isFinite(timeoutS)) {
      const timer = setTimeout(() => {
        note = `closed ${ABNORMAL} at the function's timeout (${timeoutS} s), as FC does`;
        client.destroy();
        runtime.destroy();
      }, timeoutS * 1000);
      client.once('close', () => clearTimeout(timer));
    }
  });
  return finish();
}
