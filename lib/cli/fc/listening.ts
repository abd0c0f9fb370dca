// The instance's port: a free one to give it, whether it accepts connections yet, and on which addresses (FC reaches it from outside, so 127.0.0.1 is not enough).
import { readFileSync } from 'fs';
import { connect, createServer } from 'net';

const LISTEN = '0A';

/** An IPv4 or IPv6 address as /proc/net/tcp{,6} prints it (32-bit words in host order, little-endian here). */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) => (word.match(/../g) ?? []).reverse().map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/**
 * The local addresses listening on `port` ('0.0.0.0', '::', '127.0.0.1', …), or undefined where the
 * kernel's tables cannot be read (not Linux).
 */
export function listeningAddresses(port: number): string[] | undefined {
  const found: string[] = [];
  let readable = false;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'latin1');
    } catch {
      continue;
    }
    readable = true;
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/) as (string | undefined)[];
      if (state !== LISTEN || local === undefined) continue;
      const [address, portHex] = local.split(':');
      if (parseInt(portHex, 16) === port) found.push(decodeAddress(address));
    }
  }
  return readable ? found : undefined;
}

/** Whether FC, connecting from outside the instance, could reach a server listening on these addresses. */
export function reachable(addresses: string[]): boolean {
  return addresses.some((address) => !/^(127\.|::1$)/.test(address));
}

/** A port nothing listens on now, for the next instance. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Whether something accepts a connection on `port` of 127.0.0.1. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(true)).once('error', () => resolve(false));
    socket.once('close', () => socket.destroy());
    socket.once('connect', () => socket.end());
  });
}
