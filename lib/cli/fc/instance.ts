// One local FC instance: dir/bootstrap started the way FC starts it, and the control requests FC sends it.
import { spawn, type ChildProcess } from 'child_process';
import { randomBytes, randomUUID } from 'crypto';
import createDebug from 'debug';
import { closeSync, openSync, readSync, statSync } from 'fs';
import { Agent, request, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'http';
import { connect, createServer } from 'net';
import { basename, join, resolve } from 'path';
import { UserError } from '../../user-error';
import { listeningAddresses, reachable } from './listening';
import { LogStream } from './log-stream';

const debug = createDebug('express-fc-runtime:local');

export interface InstanceOptions {
  /** The code folder: bootstrap's cwd. */
  dir: string;
  /** How long, in ms, the server has to accept a connection (FC gives 30 s). */
  startTimeout: number;
  /** Where the instance's stdout and stderr go (FC collects stdout as the function's log). */
  output: NodeJS.WritableStream;
  /** The environment of the CLI: PATH, HOME and the like are passed on, as FC gives its own. */
  env: NodeJS.ProcessEnv;
  /** Gives up starting (the bootstrap is stopped and start() rejects) when this aborts, e.g. on Ctrl-C. */
  signal?: AbortSignal;
}

/** A whole answer to a control request, as FC reads it. */
export interface ControlAnswer {
  requestId: string;
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  ms: number;
}

// What a host lends the runtime from its own environment, and this package's own settings
// (FC_LOG_LEVEL, FC_RUNTIME_*), which a function sets in its FC configuration; everything else comes from FC.
const PASSED_ENV = ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR', 'DEBUG', 'NODE_OPTIONS', 'FC_LOG_LEVEL'];
const PASSED_PREFIX = 'FC_RUNTIME_';
const POLL_MS = 20;
const STOP_MS = 10_000;
/** How long a control request may take before it is given up: FC's own limits are of this order. */
const CONTROL_MS = 60_000;
/** How long `/pre-stop` may take before the runtime gets SIGTERM anyway. */
const PRE_STOP_MS = 10_000;
/** How long the runtime's output may trail its exit (a grandchild holding the pipe) before it is left. */
const DRAIN_MS = 1_000;
/** Node's client refuses response headers over 16 KB; FC's limit (8 KB) is measured by the front, so allow more here. */
const MAX_HEADER_BYTES = 1024 * 1024;
/** How many of the runtime's last lines waitForLine() looks back at. */
const RECENT_LINES = 100;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(true)).once('error', () => resolve(false));
    socket.once('close', () => socket.destroy());
    socket.once('connect', () => socket.end());
  });
}

/** The code folder, resolved, with a bootstrap FC could run: what FC would refuse is one UserError line with the fix. */
function checkedBootstrap(dir: string): string {
  const folder = resolve(dir);
  let stats;
  try {
    stats = statSync(folder);
  } catch {
    throw new UserError(`no code folder ${dir}`);
  }
  if (!stats.isDirectory()) throw new UserError(`${dir} is not a folder; give the code folder that holds bootstrap.`);
  const file = join(folder, 'bootstrap');
  try {
    stats = statSync(file);
  } catch {
    throw spawnFailure({ code: 'ENOENT' } as NodeJS.ErrnoException);
  }
  if (!stats.isFile()) throw new UserError('bootstrap is not a file (FC: CAFileNotFound); run `fc-runtime init`.');
  if ((stats.mode & 0o111) === 0) throw spawnFailure({ code: 'EACCES' } as NodeJS.ErrnoException);
  const head = Buffer.alloc(256);
  let length = 0;
  try {
    const fd = openSync(file, 'r');
    try {
      length = readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw new UserError(`bootstrap could not be read: ${(error as Error).message}`);
  }
  const firstLine = head.subarray(0, length).toString('latin1').split('\n', 1)[0];
  if (!firstLine.startsWith('#!')) throw spawnFailure({ code: 'ENOEXEC' } as NodeJS.ErrnoException);
  if (firstLine.endsWith('\r')) {
    throw new UserError('bootstrap has Windows (CRLF) line endings, so its #! line names no interpreter (FC: CAExited); save it with LF endings.');
  }
  return folder;
}

/** What FC says when a bootstrap cannot be started, with the fix. */
function spawnFailure(error: NodeJS.ErrnoException): UserError {
  switch (error.code) {
    case 'ENOENT':
      return new UserError('no bootstrap in the code folder (FC: CAFileNotFound); run `fc-runtime init`.');
    case 'EACCES':
      return new UserError('bootstrap is not executable (FC: permission denied); run `chmod 755 bootstrap`.');
    case 'ENOEXEC':
      return new UserError('bootstrap has no #!/bin/bash first line (FC: CAExited, exec format error); run `fc-runtime init --force`.');
    default:
      return new UserError(`bootstrap could not be started: ${error.message}`);
  }
}

export class Instance {
  /** The function's fake temporary credentials: in the environment and on every request, like FC's. */
  readonly credentials = {
    accessKeyId: `STS.local${randomBytes(8).toString('hex')}`,
    accessKeySecret: randomBytes(24).toString('base64url'),
    securityToken: `CAIS${randomBytes(48).toString('base64url')}`,
  };
  readonly functionName: string;
  /** Resolves with the exit code (or signal name) once the bootstrap has exited. */
  readonly exited: Promise<number | string>;
  /** The exit code or signal once the bootstrap has exited, else undefined. */
  exitStatus: number | string | undefined;
  /** When the server first accepted a connection, in ms after the bootstrap was spawned. */
  startMs = 0;
  private readonly agent = new Agent({ keepAlive: true });
  private child!: ChildProcess;
  private closed!: Promise<void>;
  private readonly lineWaiters = new Set<(line: string) => void>();
  private readonly recentLines: string[] = [];

  private constructor(
    private readonly options: InstanceOptions,
    readonly port: number,
  ) {
    this.functionName = basename(options.dir).replace(/[^\w-]/g, '-') || 'function';
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  private resolveExit!: (status: number | string) => void;

  /**
   * Checks dir/bootstrap as FC would, starts it, and resolves once its server accepts connections
   * where FC can reach them. Every failure is a UserError, and leaves no process behind.
   */
  static async start(options: InstanceOptions): Promise<Instance> {
    const dir = checkedBootstrap(options.dir);
    const instance = new Instance({ ...options, dir }, await freePort());
    await instance.spawn();
    return instance;
  }

  /** The pid of the bootstrap (its process group has the same id). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Resolves with a line of the runtime's output matching `pattern` — one of the last few written, or
   * the next — or with undefined after `timeoutMs`.
   */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string | undefined> {
    const seen = this.recentLines.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const done = (line: string | undefined) => {
        clearTimeout(timer);
        this.lineWaiters.delete(waiter);
        resolve(line);
      };
      const waiter = (line: string) => pattern.test(line) && done(line);
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.lineWaiters.add(waiter);
    });
  }

  /** The environment FC gives a custom runtime (FC 3.0 names, FC 2.0's port too). */
  private environment(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(this.options.env)) {
      if (value !== undefined && (PASSED_ENV.includes(name) || name.startsWith(PASSED_PREFIX))) env[name] = value;
    }
    return {
      ...env,
      FC_CUSTOM_LISTEN_PORT: String(this.port),
      FC_SERVER_PORT: String(this.port),
      FC_FUNCTION_NAME: this.functionName,
      FC_FUNCTION_HANDLER: 'index.handler',
      FC_FUNCTION_MEMORY_SIZE: '512',
      FC_REGION: 'cn-hangzhou',
      FC_ACCOUNT_ID: '1000000000000000',
      FC_INSTANCE_ID: `c-local-${randomBytes(6).toString('hex')}`,
      ALIBABA_CLOUD_ACCESS_KEY_ID: this.credentials.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: this.credentials.accessKeySecret,
      ALIBABA_CLOUD_SECURITY_TOKEN: this.credentials.securityToken,
    };
  }

  private async spawn(): Promise<void> {
    const { dir, output, startTimeout, signal } = this.options;
    // Its own process group, so Ctrl-C reaches the CLI only and the runtime gets /pre-stop first; and
    // so stop() can end whatever the bootstrap started.
    const started = Date.now();
    const child = spawn(join(dir, 'bootstrap'), [], { cwd: dir, env: this.environment(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    const secrets = [this.credentials.accessKeySecret, this.credentials.securityToken];
    const onLine = (line: string) => {
      this.recentLines.push(line);
      if (this.recentLines.length > RECENT_LINES) this.recentLines.shift();
      for (const waiter of this.lineWaiters) waiter(line);
    };
    for (const stream of [child.stdout!, child.stderr!]) stream.pipe(new LogStream(secrets, onLine)).pipe(output, { end: false });
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
      child.once('error', (error) => reject(spawnFailure(error)));
    });
    await spawned;
    debug('bootstrap started (pid %d); waiting for port %d', child.pid, this.port);

    const deadline = started + startTimeout;
    while (!(await accepts(this.port))) {
      if (this.exitStatus !== undefined) {
        await this.kill();
        throw new UserError(`bootstrap exited (${this.exitStatus}) before listening on port ${this.port} (FC: CAExited); see its log above.`);
      }
      if (signal?.aborted) {
        await this.kill();
        throw new UserError('stopped before the function started listening.');
      }
      if (Date.now() > deadline) {
        await this.kill();
        throw new UserError(
          `nothing listened on port ${this.port} within ${startTimeout / 1000} s (FC: FunctionNotStarted); listen on FC_CUSTOM_LISTEN_PORT (or 9000).`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    this.startMs = Date.now() - started;
    const addresses = listeningAddresses(this.port);
    if (addresses !== undefined && !reachable(addresses)) {
      await this.kill();
      throw new UserError(`the server listens on ${addresses.join(', ')} only, which FC cannot reach (FC: FunctionNotStarted); listen on 0.0.0.0.`);
    }
  }

  /** Fresh common headers for one request, as FC sends them. */
  headers(controlPath: string, requestId: string = randomUUID()): Record<string, string> {
    return {
      'x-fc-request-id': requestId,
      'x-fc-access-key-id': this.credentials.accessKeyId,
      'x-fc-access-key-secret': this.credentials.accessKeySecret,
      'x-fc-security-token': this.credentials.securityToken,
      'x-fc-function-name': this.functionName,
      'x-fc-function-handler': 'index.handler',
      'x-fc-function-memory': '512',
      'x-fc-function-initializer': 'index.initializer',
      'x-fc-initialization-timeout': '30',
      'x-fc-instance-lifecycle-pre-stop-handler': 'index.preStop',
      'x-fc-region': 'cn-hangzhou',
      'x-fc-account-id': '1000000000000000',
      'x-fc-qualifier': 'LATEST',
      'x-fc-version-id': '1',
      'x-fc-control-path': controlPath,
    };
  }

  /** Sends one request to the runtime; the caller writes (or pipes) the body and reads the answer. */
  request(method: string, path: string, headers: OutgoingHttpHeaders): ClientRequest {
    return request({ host: '127.0.0.1', port: this.port, method, path, headers, agent: this.agent, maxHeaderSize: MAX_HEADER_BYTES });
  }

  /**
   * One control request (`/initialize`, `/invoke`, `/pre-stop`), answered in full. Rejects when the
   * runtime closes the connection without an answer, or gives none within `timeoutMs` (Infinity: no limit).
   */
  control(controlPath: string, body: Buffer = Buffer.alloc(0), timeoutMs = CONTROL_MS, requestId: string = randomUUID()): Promise<ControlAnswer> {
    const method = controlPath === '/pre-stop' || controlPath === '/pre-freeze' ? 'GET' : 'POST';
    const headers = this.headers(controlPath, requestId);
    const started = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
      const req = this.request(method, controlPath, {
        ...headers,
        ...(method === 'POST' ? { 'content-type': 'application/octet-stream', 'content-length': String(body.length) } : {}),
      });
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => req.destroy(new Error(`no answer to ${controlPath} within ${timeoutMs / 1000} s`)), timeoutMs)
        : undefined;
      const fail = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      req.once('error', fail);
      req.once('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', fail);
        res.once('end', () => {
          clearTimeout(timer);
          resolve({
            requestId: headers['x-fc-request-id'],
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            ms: Number(process.hrtime.bigint() - started) / 1e6,
          });
        });
      });
      req.end(method === 'POST' ? body : undefined);
    });
  }

  /**
   * FC's goodbye: `/pre-stop` (if the runtime is still running; at most 10 s), then SIGTERM, then
   * SIGKILL if the runtime is still there after 10 s. Resolves with the `/pre-stop` answer once the
   * runtime has exited and its output has been written; rejects never.
   */
  async stop(): Promise<ControlAnswer | undefined> {
    let answer: ControlAnswer | undefined;
    if (this.exitStatus === undefined) {
      try {
        answer = await this.control('/pre-stop', undefined, PRE_STOP_MS);
      } catch (error) {
        debug('/pre-stop failed: %s', (error as Error).message);
      }
    }
    await this.kill();
    return answer;
  }

  /**
   * SIGTERM to the bootstrap's whole process group (or `signal` at once), SIGKILL after a grace
   * period; resolves once it exited and its output has been passed on.
   */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    // Idle keep-alive connections would hold up the runtime's drain; requests in flight may finish.
    for (const sockets of Object.values(this.agent.freeSockets)) for (const socket of sockets ?? []) socket.destroy();
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
    this.agent.destroy();
    // Whatever the bootstrap left behind in its group goes too.
    send('SIGKILL');
    let drainTimer: NodeJS.Timeout | undefined;
    await Promise.race([this.closed, new Promise((resolve) => (drainTimer = setTimeout(resolve, DRAIN_MS)))]);
    clearTimeout(drainTimer);
  }
}
