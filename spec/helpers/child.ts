// Child processes for the specs that need a whole process: serve(), SIGTERM, crashes.
import { spawn, type ChildProcess } from 'child_process';
import { join } from 'path';

export interface Child {
  process: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the first stdout or stderr line matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>;
}

/** Compiled fixtures live beside the compiled specs. */
export function fixture(name: string): string {
  return join(__dirname, '..', 'fixtures', name);
}

export interface RunOptions {
  /** Working directory of the child. Defaults to this process's. */
  cwd?: string;
  /** Bytes written to the child's stdin, which is then closed. Defaults to no stdin at all. */
  input?: string | Buffer;
  /** Node flags before the script, such as `-r express-fc-runtime/register`. */
  execArgv?: string[];
}

export function run(script: string, env: Record<string, string> = {}, args: string[] = [], options: RunOptions = {}): Child {
  const child = spawn(process.execPath, [...(options.execArgv ?? []), script, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...env },
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  return watch(child);
}

/** Follows a child spawned with piped stdout and stderr: its output as it comes, and its exit. */
export function watch(child: ChildProcess): Child {
  const result: Child = {
    process: child,
    stdout: '',
    stderr: '',
    waitFor(pattern, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = (result.stdout + '\n' + result.stderr).split('\n').find((l) => pattern.test(l));
          if (line === undefined) return false;
          cleanup();
          resolve(line);
          return true;
        };
        const onExit = () => {
          if (!check()) {
            cleanup();
            reject(new Error(`exited before a line matching ${String(pattern)}; stdout:\n${result.stdout}\nstderr:\n${result.stderr}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(`no line matching ${String(pattern)} within ${timeoutMs} ms; stdout:\n${result.stdout}\nstderr:\n${result.stderr}`),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          child.stderr!.off('data', check);
          child.off('exit', onExit);
        };
        if (check()) return;
        child.stdout!.on('data', check);
        child.stderr!.on('data', check);
        child.once('exit', onExit);
      });
    },
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1))),
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (result.stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (result.stderr += chunk));
  return result;
}

/** A child's stdout as the marker assertions (spec/helpers/markers.ts) read a log. */
export function logOf(child: Child): { waitFor(pattern: RegExp): Promise<string>; readonly stdoutLines: string[] } {
  return {
    waitFor: (pattern) => child.waitFor(pattern),
    get stdoutLines() {
      return child.stdout.split('\n');
    },
  };
}
