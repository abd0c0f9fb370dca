// A package.json start script read as the shell and Node read it: the environment it sets, Node's own options, the entry and its arguments.
import { parse } from 'shell-quote';

/** A start script that runs `node <entry>`, in words as the shell split them. */
export interface NodeCommand {
  /** `NAME=value` assignments before `node`, which the app's environment gets. */
  env: string[];
  /** Node's options before the entry (`-r dotenv/config`, `--max-old-space-size=512`), values included. */
  nodeArgs: string[];
  /** The entry as written (`dist/main`, `./bin/www`): Node resolves it further. */
  entry: string;
  /** The app's own arguments after the entry. */
  args: string[];
}

/** What a start script runs: a Node command, something else with a hint for it, or nothing init can use. */
export type StartScript = { node: NodeCommand } | { hint: string } | undefined;

// Node's options whose value is the next word when written without `=`.
const TAKES_VALUE = new Set([
  '-r',
  '--require',
  '--import',
  '--loader',
  '--experimental-loader',
  '-C',
  '--conditions',
  '--env-file',
  '--title',
  '--input-type',
  '--inspect-port',
  '--stack-size',
  '--max-old-space-size',
  '--openssl-config',
]);

// Node runs no entry file with these: the code comes from the command line or the tests.
const NO_ENTRY = new Set(['-e', '--eval', '-p', '--print', '--test', '-i', '--interactive', '-v', '--version', '-h', '--help']);

const ASSIGNMENT = /^[A-Za-z_]\w*=/;

/** What to do instead, for commands that start an app without a file `node` can run. */
function hintFor(command: string, words: string[]): string | undefined {
  const line = [command, ...words].join(' ');
  switch (command) {
    case 'nest':
      return `the start script runs \`${line}\`, the Nest CLI: build first (\`nest build\`, usually \`npm run build\`), then run init again or pass --entry dist/main.js.`;
    case 'tsx':
    case 'ts-node':
    case 'ts-node-dev':
      return `the start script runs TypeScript through ${command} (\`${line}\`): compile it first (\`npm run build\`, or \`tsc\`), then pass --entry <the compiled .js file>.`;
    case 'next':
      return `the start script runs \`${line}\`: set output: 'standalone' in next.config and build, then run init again (it serves .next/standalone/server.js).`;
    case 'npm':
    case 'yarn':
    case 'pnpm':
      return `the start script runs another script (\`${line}\`): pass --entry <the file that script runs with node>.`;
    default:
      return undefined;
  }
}

/** `node`'s words after the command: options (with their values), the entry, its arguments; undefined when it runs no file. */
function nodeCommand(env: string[], words: string[]): NodeCommand | undefined {
  const nodeArgs: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word === '--') return i + 1 < words.length ? { env, nodeArgs, entry: words[i + 1], args: words.slice(i + 2) } : undefined;
    if (NO_ENTRY.has(word.split('=', 1)[0])) return undefined;
    if (!word.startsWith('-') || word === '-') {
      return word === '-' ? undefined : { env, nodeArgs, entry: word, args: words.slice(i + 1) };
    }
    nodeArgs.push(word);
    if (!word.includes('=') && TAKES_VALUE.has(word) && i + 1 < words.length) nodeArgs.push(words[++i]);
  }
  return undefined;
}

/**
 * Reads `script` as the shell would: the first command that runs `node <file>`
 * (`npm run build && node dist/main` runs dist/main), else a hint for the first command init
 * knows it cannot map (`nest start`, `tsx src/main.ts`, `npm run x`, `next start`).
 */
export function readStartScript(script: string | undefined): StartScript {
  if (script === undefined) return undefined;
  // Variables stay as written: init reads the script, it does not run it.
  const tokens = parse(script, (name) => `$${name}`);
  const commands: string[][] = [[]];
  for (const token of tokens) {
    if (typeof token === 'string') commands[commands.length - 1].push(token);
    else if ('comment' in token) break;
    else if (token.op === 'glob') commands[commands.length - 1].push(token.pattern);
    else commands.push([]);
  }
  let hint: string | undefined;
  for (const command of commands) {
    let at = 0;
    while (at < command.length && ASSIGNMENT.test(command[at])) at++;
    if (at === command.length) continue;
    const [program, ...words] = command.slice(at);
    if (program === 'node' || program.endsWith('/node')) {
      const node = nodeCommand(command.slice(0, at), words);
      if (node !== undefined) return { node };
    }
    hint ??= hintFor(program.replace(/^.*\//, ''), words);
  }
  return hint === undefined ? undefined : { hint };
}
