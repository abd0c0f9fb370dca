// One local FC instance: dir/bootstrap started the way FC starts it, and the control requests FC sends it.
import { spawn, type ChildProcess } from 'child_process';
import { randomBytes, randomUUID } from 'crypto';
import createDebug from 'debug';
import { Agent, request, type IncomingHttpHeaders, type IncomingMessage } from 'http';
import { connect, createServer } from 'net';
import { basename, join } from 'path';
import { UserError } from '../../user-error';
import { listeningAddresses, reachable } from './listening';

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
}

/** A whole answer to a control request, as FC reads it. */
export interface ControlAnswer {
  requestId: string;
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  ms: number;
}

// What a host lends the runtime from its own environment; everything else comes from FC.
const PASSED_ENV = ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR', 'DEBUG', 'NODE_OPTIONS'];
const POLL_MS = 20;
const STOP_MS = 10_000;

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
  readonly exited: Promise<number | string>;
  private readonly agent = new Agent({ keepAlive: true });
  private child!: ChildProcess;

  private constructor(
    private readonly options: InstanceOptions,
    readonly port: number,
  ) {
    this.functionName = basename(options.dir).replace(/[^\w-]/g, '-') || 'function';
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  private resolveExit!: (status: number | string) => void;

  /** Starts dir/bootstrap and resolves once its server accepts connections where FC can reach them. */
  static async start(options: InstanceOptions): Promise<Instance> {
    const instance = new Instance(options, await freePort());
    await instance.spawn();
    return instance;
  }

  /** The environment FC gives a custom runtime (FC 3.0 names, FC 2.0's port too). */
  private environment(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const name of PASSED_ENV) if (this.options.env[name] !== undefined) env[name] = this.options.env[name];
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
    const { dir, output, startTimeout } = this.options;
    // Its own process group, so Ctrl-C reaches the CLI only and the runtime gets /pre-stop first; and
    // so stop() can end whatever the bootstrap started.
    const child = spawn(join(dir, 'bootstrap'), [], { cwd: dir, env: this.environment(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    child.stdout!.pipe(output, { end: false });
    child.stderr!.pipe(output, { end: false });
    child.once('exit', (code, signal) => this.resolveExit(code ?? signal ?? -1));
    const spawned = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) => reject(spawnFailure(error)));
    });
    await spawned;
    debug('bootstrap started (pid %d); waiting for port %d', child.pid, this.port);

    let exitStatus: number | string | undefined;
    void this.exited.then((status) => (exitStatus = status));
    const deadline = Date.now() + startTimeout;
    while (!(await accepts(this.port))) {
      if (exitStatus !== undefined) {
        throw new UserError(`bootstrap exited (${exitStatus}) before listening on port ${this.port} (FC: CAExited); see its log above.`);
      }
      if (Date.now() > deadline) {
        await this.kill();
        throw new UserError(
          `nothing listened on port ${this.port} within ${startTimeout / 1000} s (FC: FunctionNotStarted); listen on FC_CUSTOM_LISTEN_PORT (or 9000).`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
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
  request(method: string, path: string, headers: Record<string, string | string[]>): ReturnType<typeof request> {
    return request({ host: '127.0.0.1', port: this.port, method, path, headers, agent: this.agent });
  }

  /** One control request (`/initialize`, `/invoke`, `/pre-stop`), answered in full. */
  control(controlPath: string, body: Buffer = Buffer.alloc(0)): Promise<ControlAnswer> {
    const method = controlPath === '/pre-stop' || controlPath === '/pre-freeze' ? 'GET' : 'POST';
    const headers = this.headers(controlPath);
    const started = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
      const req = this.request(method, controlPath, {
        ...headers,
        ...(method === 'POST' ? { 'content-type': 'application/octet-stream', 'content-length': String(body.length) } : {}),
      });
      req.once('error', reject);
      req.once('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', reject);
        res.once('end', () =>
          resolve({
            requestId: headers['x-fc-request-id'],
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            ms: Number(process.hrtime.bigint() - started) / 1e6,
          }),
        );
      });
      req.end(method === 'POST' ? body : undefined);
    });
  }

  /** FC's goodbye: `/pre-stop`, then SIGTERM, then SIGKILL if the runtime is still there after 10 s. */
  async stop(): Promise<ControlAnswer | undefined> {
    let answer: ControlAnswer | undefined;
    try {
      answer = await this.control('/pre-stop');
    } catch (error) {
      debug('/pre-stop failed: %s', (error as Error).message);
    }
    await this.kill();
    return answer;
  }

  /** SIGTERM to the bootstrap's whole process group, SIGKILL after a grace period; resolves once it exited. */
  private async kill(): Promise<void> {
    this.agent.destroy();
    const group = -(this.child.pid as number);
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(group, name);
      } catch {
        // The group is already gone.
      }
    };
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), STOP_MS);
    await this.exited;
    clearTimeout(timer);
    // Whatever the bootstrap left behind in its group goes too.
    signal('SIGKILL');
  }
}
