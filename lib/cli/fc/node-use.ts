// How a bootstrap finds Node, read as bash would read it, roughly: FC's PATH has no Node, so a bare `node` fails there.

// What needs a Node.js binary from PATH: FC's PATH has none (CAFileNotFound).
const NODE_COMMANDS = new Set(['node', 'nodejs', 'npm', 'npx', 'yarn', 'pnpm']);
// Where custom.debian10 keeps its Node and a Node.js layer puts one.
const FC_NODE_DIR = /(?:^|:)(?:\/opt\/nodejs\d+\/bin|\/var\/fc\/lang\/nodejs\d+\/bin)\/?(?::|$)/;
// Words that may come before the command itself on a line.
const PREFIXES = new Set(['exec', 'export', 'env', 'nohup', 'time', 'command', 'builtin']);

/** How the bootstrap finds Node: the first command that needs one, and whether FC's PATH would give it. */
export type NodeUse =
  /** No command needs Node. */
  | { kind: 'none' }
  /** `path`: FC's Node put on PATH first; `absolute`: run by its path; `bare`: `node` from a PATH without it; `elsewhere`: an absolute path FC does not have. */
  | { kind: 'path' | 'absolute' | 'bare' | 'elsewhere'; command: string; line: number };

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
      const words = segment
        .trim()
        .split(/\s+/)
        .filter((word) => word !== '');
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
      if (i === words.length) continue;
      const command = words[i];
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
