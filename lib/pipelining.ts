// Pipelined requests whose answers wait their turn: their invocations end when the connection goes.
import type { Socket } from 'net';
import type { Invocation } from './invocation';

/**
 * A response that waits behind another on its connection (HTTP pipelining) has no socket yet, and
 * when the connection goes Node closes only the response it was writing: the waiting ones never
 * emit 'close' before Node 24, and their requests may have closed long before. So the connection
 * itself ends them. One listener per connection, whatever the depth of the pipeline.
 */
const waiting = new WeakMap<Socket, Invocation[]>();

export function endWithConnection(socket: Socket, invocation: Invocation): void {
  let queue = waiting.get(socket);
  if (queue === undefined) {
    const created: Invocation[] = [];
    waiting.set(socket, created);
    socket.once('close', () => {
      for (const queued of created) queued.endSoon();
      waiting.delete(socket);
    });
    queue = created;
  }
  // Answers go out in order: the ones at the head have mostly ended, and a long-lived connection
  // must not keep them.
  while (queue.length > 0 && queue[0].ended) queue.shift();
  queue.push(invocation);
}
