// A WebSocket client for the specs (the real `ws`): messages queued to be read in order, how it closed, the front's request id.
import WebSocket from 'ws';

export interface Client {
  ws: WebSocket;
  /** The next message, as text. */
  next(): Promise<string>;
  /** The next message, as bytes. */
  nextBytes(): Promise<Buffer>;
  /** Resolves with the close code once the connection has closed. */
  closed: Promise<number>;
  /** `x-fc-request-id` of the 101 answer (the local FC's), if any. */
  requestId: string | undefined;
}

/** Opens a connection to `url` and resolves once it is open. */
export async function connect(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const ws = new WebSocket(url, { headers });
  const queue: Buffer[] = [];
  const waiting: ((data: Buffer) => void)[] = [];
  ws.on('message', (data: Buffer) => {
    const take = waiting.shift();
    if (take !== undefined) take(data);
    else queue.push(data);
  });
  let requestId: string | undefined;
  ws.once('upgrade', (res) => {
    const id = res.headers['x-fc-request-id'];
    requestId = typeof id === 'string' ? id : undefined;
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const nextBytes = () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise<Buffer>((resolve) => waiting.push(resolve)));
  return { ws, closed, next: async () => String(await nextBytes()), nextBytes, requestId };
}
