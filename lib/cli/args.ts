// The command line: argv and env in, one command with its settings out. Nothing runs or exits here.
import { Command, InvalidArgumentError, Option } from 'commander';
import { UserError } from '../user-error';

export interface InitCommand {
  name: 'init';
  dir: string;
  entry: string | undefined;
  start: boolean;
  force: boolean;
}
export interface StartCommand {
  name: 'start';
  entry: string;
}
/** Which function of s.yaml a command runs, and the local values it runs with. */
export interface FunctionSelection {
  /** `--function NAME`: one of several functions in s.yaml. */
  functionName: string | undefined;
  /** `--env KEY=VALUE`, repeatable: over the function's own environmentVariables. */
  env: Record<string, string>;
  /** `--env-file FILE` (dotenv format): over environmentVariables, under --env. */
  envFile: string | undefined;
  /** `--start-timeout`: undefined for FC's own (120 s with s.yaml, 30 s for a bare bootstrap folder). */
  startTimeout: number | undefined;
  /** `--function-port`: the port the function listens on here, over customRuntimeConfig.port; 0 for any free one. */
  functionPort: number | undefined;
}
export interface LocalInvokeCommand extends FunctionSelection {
  name: 'local invoke';
  dir: string;
  event: string | undefined;
}
export interface LocalStartCommand extends FunctionSelection {
  name: 'local start';
  dir: string;
  port: number;
  /** Answer as FC's default trigger domain does: `content-disposition: attachment` on everything. */
  defaultDomain: boolean;
}
export interface CheckCommand extends FunctionSelection {
  name: 'check';
  dir: string;
}
export interface PackCommand {
  name: 'pack';
  dir: string;
  output: string;
}
export type CliCommand = InitCommand | StartCommand | LocalInvokeCommand | LocalStartCommand | CheckCommand | PackCommand;

/** Where commands read and write: the process's own streams, or a test's. */
export interface Io {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

function port(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 65535) throw new InvalidArgumentError('a port number from 1 to 65535 is expected.');
  return value;
}

function portOrZero(text: string): number {
  return text === '0' ? 0 : port(text);
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `--env KEY=VALUE`, added to the ones before it. */
function envPair(text: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = text.indexOf('=');
  const name = at === -1 ? text : text.slice(0, at);
  if (at === -1 || !ENV_NAME.test(name)) throw new InvalidArgumentError('KEY=VALUE expected, KEY a variable name.');
  return { ...previous, [name]: text.slice(at + 1) };
}

function seconds(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0)
    throw new InvalidArgumentError('a number of seconds above 0 is expected.');
  return value;
}

/** A setting several commands take, declared once: flag, env var, default and parser (precedence flag > env > default). */
interface Setting<T> {
  key: string;
  flags: string;
  env: string;
  /** undefined: the command decides (and says so in its help). */
  defaultValue: T;
  description: string;
  parse: (text: string) => T;
}

const PORT: Setting<number> = {
  key: 'port',
  flags: '-p, --port <port>',
  env: 'FC_LOCAL_PORT',
  defaultValue: 8000,
  description: 'port of the local HTTP trigger',
  parse: port,
};
const START_TIMEOUT: Setting<number | undefined> = {
  key: 'startTimeout',
  flags: '--start-timeout <seconds>',
  env: 'FC_START_TIMEOUT',
  defaultValue: undefined,
  description: "how long the server has to start listening (default: FC 3.0's 120 s with s.yaml, else FC 2.0's 30 s)",
  parse: seconds,
};

function option<T>(setting: Setting<T>): Option {
  const option = new Option(setting.flags, `${setting.description} (env ${setting.env})`).argParser(setting.parse);
  return setting.defaultValue === undefined ? option : option.default(setting.defaultValue);
}

/** The setting's value: the flag if given, else its env var, else the default. */
function settle<T>(command: Command, setting: Setting<T>, env: NodeJS.ProcessEnv): T {
  const text = env[setting.env];
  if (command.getOptionValueSource(setting.key) === 'cli' || text === undefined || text === '') {
    return (command.getOptionValue(setting.key) as T | undefined) ?? setting.defaultValue;
  }
  try {
    return setting.parse(text);
  } catch (error) {
    throw new UserError(`${setting.env}="${text}": ${(error as Error).message}`);
  }
}

/** commander's output, so tests can keep it. */
export interface CliOutput {
  writeOut: (text: string) => void;
  writeErr: (text: string) => void;
}

const processOutput: CliOutput = {
  writeOut: (text) => process.stdout.write(text),
  writeErr: (text) => process.stderr.write(text),
};

/**
 * Parses `argv` (without node and the script). Throws commander's CommanderError when help or the
 * version was printed (exitCode 0) or the arguments are wrong (exitCode 1, its one line already
 * written), and a UserError for a bad env var.
 */
export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv, output: CliOutput = processOutput): CliCommand {
  let parsed: CliCommand | undefined;
  const program = new Command('fc-runtime')
    .description('Run an Express site on Alibaba Cloud Function Compute: bootstrap, local FC, checks and the code ZIP.')
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- package.json is outside rootDir (lib/), so not importable; the package's self-reference finds it from dist/ and build/ alike
    .version((require('express-fc-runtime/package.json') as { version: string }).version)
    .configureOutput({
      writeOut: output.writeOut,
      writeErr: output.writeErr,
      // One line, whatever commander adds ("Did you mean --event?" comes on a line of its own).
      outputError: (text, write) =>
        write(
          `fc-runtime: ${text
            .replace(/^error: /, '')
            .trim()
            .replace(/\s*\n\s*/g, ' ')} (see --help)\n`,
        ),
    })
    .exitOverride();

  const configure = (command: Command) => command.exitOverride().configureOutput(program.configureOutput());
  /** The options of every command that runs the function: which one, with what local values, how long it may take to start. */
  const runsFunction = (command: Command) =>
    command
      .option('--function <name>', 'the function of s.yaml to run, when it has several (its resource key or functionName)')
      .option('--env <KEY=VALUE>', "a local value over the function's environmentVariables (repeatable)", envPair)
      .option('--env-file <file>', 'local values from a dotenv file, under --env')
      .option(
        '--function-port <port>',
        'where the function listens here, over customRuntimeConfig.port (0: any free port), for an app that reads FC_CUSTOM_LISTEN_PORT',
        portOrZero,
      )
      .addOption(option(START_TIMEOUT));
  const selection = (command: Command): FunctionSelection => ({
    functionName: command.getOptionValue('function') as string | undefined,
    env: (command.getOptionValue('env') as Record<string, string> | undefined) ?? {},
    envFile: command.getOptionValue('envFile') as string | undefined,
    startTimeout: settle(command, START_TIMEOUT, env),
    functionPort: command.getOptionValue('functionPort') as number | undefined,
  });

  program
    .command('init')
    .description('write a bootstrap for FC that runs the site with fcRuntime in front')
    .argument('[dir]', 'code folder', '.')
    .option('--entry <file>', "the site's entry (default: package.json main or start script)")
    .option('--start', 'for an entry that exports an app without listening: run it with `fc-runtime start`', false)
    .option('--force', 'overwrite an existing bootstrap', false)
    .action((dir: string, opts: { entry?: string; start: boolean; force: boolean }) => {
      parsed = { name: 'init', dir, entry: opts.entry, start: opts.start, force: opts.force };
    });
  program
    .command('start')
    .description('serve an entry the way FC runs it: its own server taken over, or its exported app served')
    .argument('<entry>', "the site's entry file")
    .action((entry: string) => {
      parsed = { name: 'start', entry };
    });
  const local = program
    .command('local')
    .description('a local Function Compute 3.0: run the function of s.yaml (or dir/bootstrap) the way FC does');
  runsFunction(
    local
      .command('invoke')
      .description(
        'start the function as s.yaml (or dir/bootstrap) says, send /initialize if configured and one event, print the answer, stop it',
      )
      .argument('[dir]', 'the folder of s.yaml (or the code folder)', '.')
      .option('--event <file>', "the event's bytes: a file, or - for stdin (default: empty)"),
  ).action((dir: string, _opts: unknown, command: Command) => {
    parsed = { name: 'local invoke', dir, event: command.getOptionValue('event') as string | undefined, ...selection(command) };
  });
  runsFunction(
    local
      .command('start')
      .description('start the function behind a local HTTP trigger; Ctrl-C sends /pre-stop (if configured) and stops it')
      .argument('[dir]', 'the folder of s.yaml (or the code folder)', '.')
      .addOption(option(PORT))
      .option('--default-domain', "answer as FC's default domain does: content-disposition: attachment (browsers download pages)", false),
  ).action((dir: string, opts: { defaultDomain: boolean }, command: Command) => {
    parsed = { name: 'local start', dir, port: settle(command, PORT, env), defaultDomain: opts.defaultDomain, ...selection(command) };
  });
  runsFunction(
    program
      .command('check')
      .description('check what FC would reject; one line per check with its fix, exit 1 on any failure')
      .argument('[dir]', 'the folder of s.yaml (or the code folder)', '.'),
  ).action((dir: string, _opts: unknown, command: Command) => {
    parsed = { name: 'check', dir, ...selection(command) };
  });
  program
    .command('pack')
    .description('write the code ZIP FC takes: bootstrap executable, dev-only and VCS files left out')
    .argument('[dir]', 'code folder', '.')
    .option('-o, --output <file>', 'where to write the ZIP', 'code.zip')
    .action((dir: string, opts: { output: string }) => {
      parsed = { name: 'pack', dir, output: opts.output };
    });
  for (const command of [...program.commands, ...local.commands]) configure(command);

  program.parse(argv, { from: 'user' });
  if (parsed === undefined) throw new UserError('no command given; run fc-runtime --help.');
  return parsed;
}
