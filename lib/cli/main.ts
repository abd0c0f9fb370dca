#!/usr/bin/env node
// fc-runtime: argv → one command → exit code. The only file that ends the process.
import { CommanderError } from 'commander';
import { firstLine, UserError } from '../user-error';
import { parseCommandLine, type CliCommand, type Io } from './args';
import { check } from './check';
import { init } from './init';
import { localStart } from './local/start';
import { localInvoke } from './local/invoke';
import { pack } from './pack';
import { start } from './start';

/** Runs the command; a number is the exit code, undefined leaves the process running (a server). */
function run(command: CliCommand, io: Io): Promise<number | undefined> {
  switch (command.name) {
    case 'init':
      return init(command, io);
    case 'start':
      return start(command, io);
    case 'local invoke':
      return localInvoke(command, io);
    case 'local start':
      return localStart(command, io);
    case 'check':
      return check(command, io);
    case 'pack':
      return pack(command, io);
  }
}

/** Exits once what was written to stdout and stderr has left: pipes are asynchronous, and process.exit would cut them. */
function exit(code: number): void {
  let pending = 2;
  const done = () => --pending === 0 && process.exit(code);
  process.stdout.write('', done);
  process.stderr.write('', done);
}

/** A reader that goes away (`fc-runtime local start | head -1`) ends the command quietly, as SIGPIPE would. */
function onStdoutError(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EPIPE') throw error;
  process.exit(128 + 13);
}

async function main(): Promise<void> {
  process.stdout.on('error', onStdoutError);
  const io: Io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
  let command: CliCommand;
  try {
    command = parseCommandLine(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof CommanderError) {
      exit(error.exitCode);
      return;
    }
    process.stderr.write(`fc-runtime: ${firstLine(error)}\n`);
    exit(1);
    return;
  }
  try {
    const code = await run(command, io);
    if (code !== undefined) exit(code);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    process.stderr.write(`fc-runtime ${command.name}: ${error.message}\n`);
    exit(1);
  }
}

void main();
