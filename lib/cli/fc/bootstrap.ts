// The checks on the bootstrap file itself: what FC refuses before any server starts.
import { readFileSync, statSync } from 'fs';
import { join } from 'path';
import type { Report } from '../check/report';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const INIT = 'run `fc-runtime init --force`';

// Interpreters custom.debian10 has at these paths. FC documents #!/bin/bash; sh and env are there too.
const SHELLS = new Set(['/bin/bash', '/usr/bin/bash', '/bin/sh', '/usr/bin/sh']);
const ENV_SHELLS = new Set(['bash', 'sh']);

// What needs a Node.js binary from PATH: FC's PATH has none (CAFileNotFound).
const NODE_COMMANDS = new Set(['node', 'nodejs', 'npm', 'npx', 'yarn', 'pnpm']);
// Where custom.debian10 keeps its Node and a Node.js layer puts one.
const FC_NODE_DIR = /(?:^|:)(?:\/opt\/nodejs\d+\/bin|\/var\/fc\/lang\/nodejs\d+\/bin)\/?(?::|$)/;
// Words that may come before the command itself on a line.
const PREFIXES = new Set(['exec', 'export', 'env', 'nohup', 'time', 'command', 'builtin']);

/** How the bootstrap finds Node: the first command that needs one, and whether FC's PATH would give it. */
export interface NodeUse {
  /** `path`: FC's Node put on PATH first; `absolute`: run by its path; `none`: no command needs Node; `bare`: `node` from a PATH without it; `elsewhere`: an absolute path FC does not have. */
  kind: 'path' | 'absolute' | 'none' | 'bare' | 'elsewhere';
  command?: string;
  line?: number;
}

function unquote(text: string): string {
  return text.replace(/^(['"])(.*)\1$/, '$2');
}

/** Reads the bootstrap as bash would, roughly: PATH assignments in order, then each command's first word. */
export function nodeUse(text: string): NodeUse {
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  let fcNodeOnPath = false;
  let found: NodeUse = { kind: 'none' };
  for (const [index, line] of lines.entries()) {
    const number = index + 1;
    if (index === 0 && line.startsWith('#!')) {
      const env = /^#!\s*\/usr\/bin\/env\s+(?:-\S+\s+)*(\S+)/.exec(line);
      if (env !== null && NODE_COMMANDS.has(env[1])) return { kind: 'bare', command: env[1], line: number };
      continue;
    }
    const code = line.replace(/(^|\s)#.*$/, '');
    for (const segment of code.split(/&&|\|\||\$\(|[;&|()`]/)) {
      const words = segment.trim().split(/\s+/).filter((word) => word !== '');
      let i = 0;
      for (; i < words.length; i++) {
        const assignment = /^([A-Za-z_]\w*)=(.*)$/.exec(words[i]);
        if (assignment !== null) {
          if (assignment[1] === 'PATH') {
            const value = unquote(assignment[2]);
            const keepsOld = /\$\{?PATH\}?/.test(value);
            fcNodeOnPath = FC_NODE_DIR.test(value) || (keepsOld && fcNodeOnPath);
          }
          continue;
        }
        if (!PREFIXES.has(words[i]) && !(words[i].startsWith('-') && i > 0 && words[i - 1] === 'exec')) break;
      }
      const command = words[i];
      if (command === undefined) continue;
      if (NODE_COMMANDS.has(command)) {
        if (!fcNodeOnPath) return { kind: 'bare', command, line: number };
        if (found.kind === 'none') found = { kind: 'path', command, line: number };
      } else if (command.startsWith('/') && NODE_COMMANDS.has(command.slice(command.lastIndexOf('/') + 1))) {
        if (!/^\/(opt|var\/fc\/lang|code)\//.test(command)) return { kind: 'elsewhere', command, line: number };
        if (found.kind === 'none') found = { kind: 'absolute', command, line: number };
      }
    }
  }
  return found;
}

function octal(mode: number): string {
  return (mode & 0o777).toString(8).padStart(3, '0');
}

/**
 * Checks `dir/bootstrap` as FC would see it. Returns whether it can be started here at all (when not,
 * the server checks cannot run).
 */
export function checkBootstrap(dir: string, report: Report): boolean {
  const file = join(dir, 'bootstrap');
  let stats;
  try {
    stats = statSync(file);
  } catch {
    report.fail('no bootstrap in the code folder (FC: CAFileNotFound)', 'run `fc-runtime init`');
    return false;
  }
  if (!stats.isFile()) {
    report.fail('bootstrap is not a file (FC: CAFileNotFound)', 'remove it and run `fc-runtime init`');
    return false;
  }
  report.pass('bootstrap exists');

  let runnable = true;
  if ((stats.mode & 0o111) === 0o111) {
    report.pass(`bootstrap is executable (mode ${octal(stats.mode)})`);
  } else {
    report.fail(`bootstrap is not executable by all (mode ${octal(stats.mode)}; FC: permission denied)`, 'run `chmod 755 bootstrap`');
    runnable = false;
  }

  let content: Buffer;
  try {
    content = readFileSync(file);
  } catch (error) {
    report.fail(`bootstrap cannot be read: ${(error as Error).message}`, 'run `chmod 755 bootstrap`');
    return false;
  }

  const bom = content.subarray(0, 3).equals(BOM);
  if (bom) {
    report.fail('bootstrap starts with a byte-order mark, so FC finds no #! line (FC: exec format error)', `save it as UTF-8 without BOM, or ${INIT}`);
    runnable = false;
  } else {
    report.pass('bootstrap has no byte-order mark');
  }

  const text = content.subarray(bom ? 3 : 0).toString('utf8');
  const crlf = (text.match(/\r\n/g) ?? []).length;
  if (crlf > 0) {
    report.fail(
      `bootstrap has Windows (CRLF) line endings on ${crlf} line${crlf === 1 ? '' : 's'} (FC: /bin/bash^M: bad interpreter)`,
      "convert it to LF, e.g. `sed -i 's/\\r$//' bootstrap`",
    );
    runnable = false;
  } else {
    report.pass('bootstrap has LF line endings');
  }

  const first = text.split('\n', 1)[0].replace(/\r$/, '');
  const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(first);
  if (shebang === null) {
    report.fail('bootstrap does not start with #!/bin/bash (FC: CAExited, exec format error)', `make \`#!/bin/bash\` its first line, or ${INIT}`);
    runnable = false;
  } else if (SHELLS.has(shebang[1]) || (shebang[1] === '/usr/bin/env' && ENV_SHELLS.has(shebang[2] ?? ''))) {
    report.pass(`bootstrap starts with ${first.trim()}`);
  } else {
    report.fail(`bootstrap starts with ${first.trim()}, not #!/bin/bash as FC documents`, `make \`#!/bin/bash\` its first line, or ${INIT}`);
  }

  const node = nodeUse(text);
  const where = `\`${node.command}\` (line ${node.line})`;
  const major = process.versions.node.split('.')[0];
  const fix = `put \`export PATH=/opt/nodejs${major}/bin:/var/fc/lang/nodejs${major}/bin:$PATH\` before it (for Node ${major}), or ${INIT}`;
  switch (node.kind) {
    case 'path':
      report.pass(`bootstrap puts FC's Node on PATH before running ${node.command}`);
      break;
    case 'absolute':
      report.pass(`bootstrap runs Node by its path (${node.command})`);
      break;
    case 'none':
      report.pass('bootstrap runs no node, npm or npx that would need FC to find one');
      break;
    case 'bare':
      report.fail(`bootstrap runs ${where} from a PATH where FC has no Node (FC: CAFileNotFound)`, fix);
      break;
    case 'elsewhere':
      report.fail(`bootstrap runs ${where}, a path FC does not have (FC: CAFileNotFound)`, fix.replace('before it', 'and run `node`'));
      break;
  }
  return runnable;
}
