// What FC requires of the bootstrap file, as an ordered list of rules: each a pure verdict over the file as read once.
import { readFileSync, statSync } from 'fs';
import { join } from 'path';
import { nodeUse } from './node-use';
import { fail, pass, type Check, type Verdict } from './verdict';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const INIT = 'run `fc-runtime init --force`';
/** How much of the file the kernel reads for the #! line. */
const SHEBANG_BYTES = 256;

// Interpreters custom.debian10 has at these paths. FC documents #!/bin/bash; sh and env are there too.
const SHELLS = new Set(['/bin/bash', '/usr/bin/bash', '/bin/sh', '/usr/bin/sh']);
const ENV_SHELLS = new Set(['bash', 'sh']);

/** The local FC's one line for a bootstrap that spawning would fail on, by the error spawn gives. */
export const SPAWN_REFUSALS = {
  ENOENT: 'no bootstrap in the code folder (FC: CAFileNotFound); run `fc-runtime init`.',
  EACCES: 'bootstrap is not executable (FC: permission denied); run `chmod 755 bootstrap`.',
  ENOEXEC: 'bootstrap has no #!/bin/bash first line (FC: CAExited, exec format error); run `fc-runtime init --force`.',
} as const;

/** dir/bootstrap as the rules see it. */
export interface BootstrapFile {
  /** What stat says; undefined when there is no bootstrap. */
  stats: { isFile: boolean; mode: number } | undefined;
  /** Its bytes, or why they could not be read; undefined when it is not a file. */
  content: Buffer | Error | undefined;
}

/**
 * A rule's verdict. A failure may also mean the bootstrap cannot run at all: FC would not start it
 * (`unstartable`: the doctor skips the server checks), or spawning it here would fail too
 * (`refusal`: the local FC's one line, with the fix after `; `).
 */
export type BootstrapVerdict = Verdict & { unstartable?: boolean; refusal?: string };
export type BootstrapRule = Check<BootstrapFile, BootstrapVerdict>;

/** Reads dir/bootstrap once, for the rules. */
export function readBootstrap(dir: string): BootstrapFile {
  const file = join(dir, 'bootstrap');
  let stats;
  try {
    stats = statSync(file);
  } catch {
    return { stats: undefined, content: undefined };
  }
  if (!stats.isFile()) return { stats: { isFile: false, mode: stats.mode }, content: undefined };
  let content: Buffer | Error;
  try {
    content = readFileSync(file);
  } catch (error) {
    content = error as Error;
  }
  return { stats: { isFile: true, mode: stats.mode }, content };
}

function unstartable(verdict: Verdict, refusal?: string): BootstrapVerdict {
  return { ...verdict, unstartable: true, refusal };
}

function octal(mode: number): string {
  return (mode & 0o777).toString(8).padStart(3, '0');
}

function hasBom(content: Buffer): boolean {
  return content.subarray(0, 3).equals(BOM);
}

/** The text after any byte-order mark, when the file could be read. */
function text(content: BootstrapFile['content']): string | undefined {
  return Buffer.isBuffer(content) ? content.subarray(hasBom(content) ? 3 : 0).toString('utf8') : undefined;
}

/** The first line as the kernel reads it for #!: raw bytes, a byte-order mark included. */
function kernelLine(content: Buffer): string {
  return content.subarray(0, SHEBANG_BYTES).toString('latin1').split('\n', 1)[0];
}

export const present: BootstrapRule = ({ stats }) => {
  if (stats === undefined)
    return unstartable(fail('no bootstrap in the code folder (FC: CAFileNotFound)', 'run `fc-runtime init`'), SPAWN_REFUSALS.ENOENT);
  if (!stats.isFile) {
    return unstartable(
      fail('bootstrap is not a file (FC: CAFileNotFound)', 'remove it and run `fc-runtime init`'),
      'bootstrap is not a file (FC: CAFileNotFound); run `fc-runtime init`.',
    );
  }
  return pass('bootstrap exists');
};

/** FC needs it executable by all; here it runs if its user may, so only no execute bit at all is refused. */
export const executable: BootstrapRule = ({ stats }) => {
  if (stats?.isFile !== true) return undefined;
  if ((stats.mode & 0o111) === 0o111) return pass(`bootstrap is executable (mode ${octal(stats.mode)})`);
  return unstartable(
    fail(`bootstrap is not executable by all (mode ${octal(stats.mode)}; FC: permission denied)`, 'run `chmod 755 bootstrap`'),
    (stats.mode & 0o111) === 0 ? SPAWN_REFUSALS.EACCES : undefined,
  );
};

/** No verdict when it was read: the rules after this one say what they found in it. */
export const readable: BootstrapRule = ({ content }) => {
  if (!(content instanceof Error)) return undefined;
  return unstartable(
    fail(`bootstrap cannot be read: ${content.message}`, 'run `chmod 755 bootstrap`'),
    `bootstrap could not be read: ${content.message}`,
  );
};

export const noByteOrderMark: BootstrapRule = ({ content }) => {
  if (!Buffer.isBuffer(content)) return undefined;
  if (!hasBom(content)) return pass('bootstrap has no byte-order mark');
  return unstartable(
    fail(
      'bootstrap starts with a byte-order mark, so FC finds no #! line (FC: exec format error)',
      `save it as UTF-8 without BOM, or ${INIT}`,
    ),
    SPAWN_REFUSALS.ENOEXEC,
  );
};

/** A CR on the #! line names an interpreter that does not exist; on a later line bash fails only once it gets there. */
export const lfEndings: BootstrapRule = ({ content }) => {
  const body = text(content);
  if (body === undefined) return undefined;
  const crlf = (body.match(/\r\n/g) ?? []).length;
  if (crlf === 0) return pass('bootstrap has LF line endings');
  const first = kernelLine(content as Buffer);
  return unstartable(
    fail(
      `bootstrap has Windows (CRLF) line endings on ${crlf} line${crlf === 1 ? '' : 's'} (FC: /bin/bash^M: bad interpreter)`,
      "convert it to LF, e.g. `sed -i 's/\\r$//' bootstrap`",
    ),
    first.startsWith('#!') && first.endsWith('\r')
      ? 'bootstrap has Windows (CRLF) line endings, so its #! line names no interpreter (FC: CAExited); save it with LF endings.'
      : undefined,
  );
};

/** Only a file without #! at all fails to spawn; another interpreter runs here but is not what FC documents. */
export const bashShebang: BootstrapRule = ({ content }) => {
  const body = text(content);
  if (body === undefined) return undefined;
  const first = body.split('\n', 1)[0].replace(/\r$/, '');
  const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(first);
  if (shebang === null) {
    return unstartable(
      fail(
        'bootstrap does not start with #!/bin/bash (FC: CAExited, exec format error)',
        `make \`#!/bin/bash\` its first line, or ${INIT}`,
      ),
      kernelLine(content as Buffer).startsWith('#!') ? undefined : SPAWN_REFUSALS.ENOEXEC,
    );
  }
  // shebang[2] is undefined when the line has no argument, which no set holds.
  if (SHELLS.has(shebang[1]) || (shebang[1] === '/usr/bin/env' && ENV_SHELLS.has(shebang[2])))
    return pass(`bootstrap starts with ${first.trim()}`);
  return fail(`bootstrap starts with ${first.trim()}, not #!/bin/bash as FC documents`, `make \`#!/bin/bash\` its first line, or ${INIT}`);
};

/** FC's PATH has no Node: a bootstrap must put FC's on PATH, or run one by its path. The server still starts here, where PATH has one. */
export const fcNode: BootstrapRule = ({ content }) => {
  const body = text(content);
  if (body === undefined) return undefined;
  const node = nodeUse(body);
  const major = process.versions.node.split('.')[0];
  const fix = `put \`export PATH=/opt/nodejs${major}/bin:/var/fc/lang/nodejs${major}/bin:$PATH\` before it (for Node ${major}), or ${INIT}`;
  switch (node.kind) {
    case 'path':
      return pass(`bootstrap puts FC's Node on PATH before running ${node.command}`);
    case 'absolute':
      return pass(`bootstrap runs Node by its path (${node.command})`);
    case 'none':
      return pass('bootstrap runs no node, npm or npx that would need FC to find one');
    case 'bare':
      return fail(`bootstrap runs \`${node.command}\` (line ${node.line}) from a PATH where FC has no Node (FC: CAFileNotFound)`, fix);
    case 'elsewhere':
      return fail(
        `bootstrap runs \`${node.command}\` (line ${node.line}), a path FC does not have (FC: CAFileNotFound)`,
        fix.replace('before it', 'and run `node`'),
      );
  }
};

/** The rules in the order they are judged (and printed): a rule after a failed one may have nothing to judge. */
export const BOOTSTRAP_RULES: readonly BootstrapRule[] = [present, executable, readable, noByteOrderMark, lfEndings, bashShebang, fcNode];
