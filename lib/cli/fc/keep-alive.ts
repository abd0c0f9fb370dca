// FC's connections to the runtime: kept alive for as long as the runtime keeps them, whatever Keep-Alive hint it sends, and
// noted when the runtime closes one that sat idle, which FC finds out only by sending the next request on it.
import { Agent, type ClientRequest } from 'http';
import type { Duplex } from 'stream';

export class FcAgent extends Agent {
  /** When each idle connection went idle. */
  private readonly idleSince = new WeakMap<Duplex, number>();
  private readonly watched = new WeakSet<Duplex>();
  /** How long each connection the runtime closed under the agent had been idle, oldest first. */
  private readonly closedIdle: number[] = [];
  /** Set once the agent is destroyed: its connections close by its own doing. */
  private closing = false;

  constructor() {
    super({ keepAlive: true });
  }

  /**
   * Keeps the connection without a timer. Node's agent (20+) would close it before the server's
   * `Keep-Alive: timeout=N` runs out, or not keep it at all under 1 s; FC does neither, which is
   * how an app's own keepAliveTimeout breaks it, so the local FC does neither too.
   */
  override keepSocketAlive(socket: Duplex): boolean {
    const net = socket as Duplex & { setKeepAlive(enable: boolean): void; setTimeout(ms: number): void; unref(): void };
    net.setKeepAlive(true);
    net.setTimeout(0);
    net.unref();
    this.idleSince.set(socket, Date.now());
    if (!this.watched.has(socket)) {
      this.watched.add(socket);
      socket.once('close', () => {
        const since = this.idleSince.get(socket);
        if (since !== undefined && !this.closing) this.closedIdle.push(Date.now() - since);
      });
    }
    return true;
  }

  override reuseSocket(socket: Duplex, request: ClientRequest): void {
    this.idleSince.delete(socket);
    super.reuseSocket(socket, request);
  }

  /**
   * How long a connection the runtime closed while idle had been idle, once per such connection, or
   * undefined when there is none: FC would have sent the next request on it.
   */
  takeClosedIdle(): number | undefined {
    return this.closedIdle.shift();
  }

  /** Closes the idle connections (this agent's doing, not the runtime's). */
  closeIdle(): void {
    for (const sockets of Object.values(this.freeSockets)) {
      for (const socket of sockets ?? []) {
        this.idleSince.delete(socket);
        socket.destroy();
      }
    }
  }

  override destroy(): void {
    this.closing = true;
    super.destroy();
  }
}
