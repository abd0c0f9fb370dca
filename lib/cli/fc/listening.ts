// Where a port is listening, read from the kernel's socket tables: FC reaches the instance from outside, so 127.0.0.1 is not enough.
import { readFileSync } from 'fs';

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
      const [, local, , state] = line.trim().split(/\s+/);
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
