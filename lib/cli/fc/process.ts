// The runtime's process: dir/bootstrap spawned the way FC spawns it, in a process group of its own; its log lines, its exit, and its end.
import { spawn, type ChildProcess } from 'child_process';
import createDebug from 'debug';
import { join } from 'path';
import { UserError } from '../../user-error';
import { SPAWN_REFUSALS } from './bootstrap';
import { runsBootstrap } from './function-config';
import { accepts, listeningAddresses, reachable } from './listening';
import { LogStream } from './log-stream';

const debug = createDebug('express-fc-runtime:local');

const POLL_MS = 20;
const STOP_MS = 10_000;
/** How long the runtime's output may trail its exit (a grandchild holding the pipe) before it is left. */
const DRAIN_MS = 1_000;
/** How many of the runtime's last lines waitForLine() looks back at. */
const RECENT_LINES = 100;

export interface ProcessOptions {
  /** The code folder, resolved, its bootstrap checked: the runtime's cwd. */
  dir: string;
  /** `customRuntimeConfig.command` + `args`; undefined: dir/bootstrap. */
  command: string[] | undefined;
  /** The runtime's whole environment. */
  env: NodeJS.ProcessEnv;
  /** Where FC expects the server; start() resolves once it accepts connections there. */
  port: number;
  /** How long, in ms, the server has to accept a connection (FC 3.0 gives 120 s). */
  startTimeout: number;
  /** Where the runtime's stdout and stderr go, redacted (FC collects stdout as the function's log). */
  output: NodeJS.WritableStream;
  /** Gives up starting (the bootstrap is stopped and start() rejects) when this aborts, e.g. on Ctrl-C. */
  signal?: AbortSignal;
}

/** What FC says when the runtime cannot be started, with the fix. */
function spawnFailure(error: NodeJS.ErrnoException, command: string[] | undefined): UserError {
  const code = error.code ?? '';
  if (runsBootstrap({ command })) {
    return new UserError(
      Object.hasOwn(SPAWN_REFUSALS, code)
        ? SPAWN_REFUSALS[code as keyof typeof SPAWN_REFUSALS]
        : `bootstrap could not be started: ${error.message}`,
    );
  }
  const [file] = command as string[];
  if (code === 'ENOENT') {
    const where = file.includes('/') ? 'in the code folder' : "on the function's PATH";
    return new UserError(
      `customRuntimeConfig.command ${file} was not found ${where} (FC: CAFileNotFound); give its path, or set PATH in environmentVariables.`,
    );
  }
  if (code === 'EACCES')
    return new UserError(`customRuntimeConfig.command ${file} is not executable (FC: permission denied); chmod 755 it.`);
  return new UserError(`customRuntimeConfig.command ${file} could not be started: ${error.message}`);
}

export class RuntimeProcess {
  /** Resolves with the exit code (or signal name) once the bootstrap has exited. */
  readonly exited: Promise<number | string>;
  /** The exit code or signal once the bootstrap has exited, else undefined. */
  exitStatus: number | string | undefined;
  /** When the server first accepted a connection, in ms after the bootstrap was spawned. */
  startMs = 0;
  private child!: ChildProcess;
  private closed!: Promise<void>;
  private readonly lineWaiters = new Set<(line: string) => void>();
  private readonly recentLines: string[] = [];
  private resolveExit!: (status: number | string) => void;

  private constructor() {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  /**
   * Starts dir/bootstrap and resolves once its server accepts connections where FC can reach them.
   * Every failure is a UserError, and leaves no process behind.
   */
  static async start(options: ProcessOptions): Promise<RuntimeProcess> {
    const runtime = new RuntimeProcess();
    await runtime.spawn(options);
    return runtime;
  }

  /** The pid of the bootstrap (its process group has the same id). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Resolves with a line of the runtime's output that passes `test` — one of the last few written, or
   * the next — or with undefined after `timeoutMs`.
   */
  waitForLine(test: (line: string) => boolean, timeoutMs: number): Promise<string | undefined> {
    const seen = this.recentLines.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const done = (line: string | undefined) => {
        clearTimeout(timer);
        this.lineWaiters.delete(waiter);
        resolve(line);
      };
      const waiter = (line: string) => {
        if (test(line)) done(line);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.lineWaiters.add(waiter);
    });
  }

  private async spawn({ dir, command, env, port, startTimeout, output, signal }: ProcessOptions): Promise<void> {
    // Its own process group, so Ctrl-C reaches the CLI only and the runtime gets /pre-stop first; and
    // so kill() can end whatever the bootstrap started. The command runs without a shell, as FC runs it;
    // a bare name is looked up on the runtime's own PATH.
    const started = Date.now();
    const [file, ...args] = command ?? [join(dir, 'bootstrap')];
    const child = spawn(file, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    const onLine = (line: string) => {
      this.recentLines.push(line);
      if (this.recentLines.length > RECENT_LINES) this.recentLines.shift();
      for (const waiter of this.lineWaiters) waiter(line);
    };
    for (const stream of [child.stdout, child.stderr]) stream.pipe(new LogStream(onLine)).pipe(output, { end: false });
    this.closed = new Promise((resolve) => child.once('close', () => resolve()));
    // The runtime is in its own group, so it would outlive a CLI that dies (an uncaught error, its
    // stdout closed under `| head`): take the group down with the CLI whatever the way out.
    const orphaned = () => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    process.once('exit', orphaned);
    child.once('exit', (code, signal) => {
      process.off('exit', orphaned);
      this.exitStatus = code ?? signal ?? -1;
      this.resolveExit(this.exitStatus);
    });
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) => reject(spawnFailure(error, command)));
    });
    await spawned;
    debug('bootstrap started (pid %d); waiting for port %d', child.pid, port);

    const deadline = started + startTimeout;
    while (!(await accepts(port))) {
      if (this.exitStatus !== undefined) {
        await this.kill();
        const what = runsBootstrap({ command }) ? 'bootstrap' : (command as string[]).join(' ');
        throw new UserError(`${what} exited (${this.exitStatus}) before listening on port ${port} (FC: CAExited); see its log above.`);
      }
      if (signal?.aborted) {
        await this.kill();
        throw new UserError('stopped before the function started listening.');
      }
      if (Date.now() > deadline) {
        await this.kill();
        throw new UserError(
          `nothing listened on port ${port} within ${startTimeout / 1000} s (FC: FunctionNotStarted); listen on FC_CUSTOM_LISTEN_PORT (customRuntimeConfig.port, 9000 by default).`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    this.startMs = Date.now() - started;
    const addresses = listeningAddresses(port);
    if (addresses !== undefined && !reachable(addresses)) {
      await this.kill();
      throw new UserError(
        `the server listens on ${addresses.join(', ')} only, which FC cannot reach (FC: FunctionNotStarted); listen on 0.0.0.0.`,
      );
    }
  }

  /**
   * `signal` (SIGTERM by default) to the bootstrap's whole process group, SIGKILL after a grace
   * period; resolves once it exited and its output has been passed on.
   */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const group = -(this.child.pid as number);
    const send = (name: NodeJS.Signals) => {
      try {
        process.kill(group, name);
      } catch {
        // The group is already gone.
      }
    };
    send(signal);
    const timer = setTimeout(() => send('SIGKILL'), STOP_MS);
    await this.exited;
    clearTimeout(timer);
    // Whatever the bootstrap left behind in its group goes too.
    send('SIGKILL');
    let drainTimer: NodeJS.Timeout | undefined;
    await Promise.race([this.closed, new Promise((resolve) => (drainTimer = setTimeout(resolve, DRAIN_MS)))]);
    clearTimeout(drainTimer);
  }
}
