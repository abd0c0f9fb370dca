// Native modules in the ZIP that FC's linux-x64 cannot load: `.node` files read by their header, prebuilds/ folders by their names.
import { closeSync, openSync, readSync } from 'fs';
import type { FileEntry } from './files';
import { packageOf } from './limits';

/** FC runs code on this platform. */
export const FC_PLATFORM = 'linux-x64';

// ELF e_machine values (the ELF specification's registry) for the architectures a Node binary can be built for.
const ELF_MACHINES: Record<number, string> = {
  0x03: 'ia32',
  0x28: 'arm',
  0x3e: 'x64',
  0xb7: 'arm64',
  0xf3: 'riscv64',
  0x15: 'ppc64',
  0x16: 's390x',
};
// Mach-O CPU types (mach/machine.h), 64-bit flag included.
const MACHO_CPUS: Record<number, string> = { 0x01000007: 'x64', 0x0100000c: 'arm64', 0x07: 'ia32', 0x0c: 'arm' };

/**
 * The platform a native module was built for, from its first bytes: `linux-x64`, `linux-arm64`,
 * `darwin-arm64`, `darwin` (a universal binary), `win32`; undefined when the header is none of these.
 */
export function platformOf(header: Buffer): string | undefined {
  if (header.length >= 20 && header.readUInt32BE(0) === 0x7f454c46) {
    const machine = header[5] === 2 ? header.readUInt16BE(18) : header.readUInt16LE(18);
    return `linux-${ELF_MACHINES[machine] ?? `machine ${machine}`}`;
  }
  if (header.length >= 8 && (header.readUInt32LE(0) === 0xfeedfacf || header.readUInt32LE(0) === 0xfeedface)) {
    const cpu = header.readUInt32LE(4);
    return `darwin-${MACHO_CPUS[cpu] ?? `cpu ${cpu}`}`;
  }
  if (header.length >= 4 && header.readUInt32BE(0) === 0xcafebabe) return 'darwin';
  if (header.length >= 2 && header.toString('latin1', 0, 2) === 'MZ') return 'win32';
  return undefined;
}

function readHeader(path: string): Buffer {
  const header = Buffer.alloc(20);
  const fd = openSync(path, 'r');
  try {
    return header.subarray(0, readSync(fd, header, 0, header.length, 0));
  } finally {
    closeSync(fd);
  }
}

/** `prebuilds/<platform>-<arch>/…` as node-gyp-build and prebuildify lay them out: the folder's name. */
const PREBUILD = /(?:^|\/)prebuilds\/([^/]+)\//;

/** Whether a prebuilds/ folder name (`linux-x64`, `darwin-x64+arm64`) includes FC's platform. */
function servesFc(folder: string): boolean {
  const [os, archs = ''] = folder.split('-');
  return os === 'linux' && archs.split('+').includes('x64');
}

/**
 * Packages whose native code FC cannot load, each with what it was built for: a `.node` file for
 * another platform (prebuilds/ folders aside), or a prebuilds/ folder with no linux-x64 build.
 */
export function foreignNatives(files: readonly FileEntry[]): string[] {
  const foreign = new Map<string, Set<string>>();
  const prebuilds = new Map<string, Set<string>>();
  const note = (map: Map<string, Set<string>>, name: string, platform: string) => map.set(name, (map.get(name) ?? new Set()).add(platform));
  for (const file of files) {
    if (!file.zipPath.endsWith('.node')) continue;
    const prebuild = PREBUILD.exec(file.zipPath);
    if (prebuild !== null) {
      note(prebuilds, packageOf(file.zipPath) ?? file.zipPath, prebuild[1]);
      continue;
    }
    let platform: string | undefined;
    try {
      platform = platformOf(readHeader(file.realPath));
    } catch {
      continue;
    }
    if (platform !== undefined && platform !== FC_PLATFORM) note(foreign, packageOf(file.zipPath) ?? file.zipPath, platform);
  }
  for (const [name, platforms] of prebuilds) {
    if (![...platforms].some(servesFc)) {
      note(foreign, name, `prebuilds for ${[...platforms].sort().join(', ')} only`);
    }
  }
  return [...foreign].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, platforms]) => `${name} (${[...platforms].sort().join(', ')})`);
}
