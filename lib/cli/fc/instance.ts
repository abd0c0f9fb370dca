// One local FC instance: the function's identity, the runtime process that plays it, and the client FC calls it with; started and stopped FC's way.
import createDebug from 'debug';
import { rememberCredentials } from '../../logging/redact';
import { UserError } from '../../user-error';
import type { ControlAnswer } from './answer';
import { FcClient } from './client';
import { runsBootstrap, type FunctionConfig } from './function-config';
import { healthy } from './health-check';
import { environment, newIdentity } from './identity';
import { accepts, freePort } from './listening';
import { startableFolder } from './preflight';
import { RuntimeProcess } from './process';

const debug = createDebug('express-fc-runtime:local');

export interface InstanceOptions {
  /** The function to run: what, where, on which port, with which environment. */
  config: FunctionConfig;
  /** Local values over the function's environmentVariables (--env-file, --env). */
  localEnv?: Record<string, string>;
  /** How long, in ms, the server has to accept a connection (FC 3.0 gives 120 s). */
  startTimeout: number;
  /** Where the instance's stdout and stderr go (FC collects stdout as the function's log). */
  output: NodeJS.WritableStream;
  /** The environment of the CLI: PATH, HOME and the like are passed on, as FC gives its own. */
  env: NodeJS.ProcessEnv;
  /** Gives up starting (the bootstrap is stopped and start() rejects) when this aborts, e.g. on Ctrl-C. */
  signal?: AbortSignal;
}

export class Instance {
  private constructor(
    /** The function it is an instance of. */
    readonly config: FunctionConfig,
    /** The process that plays the function. */
    readonly runtime: RuntimeProcess,
    /** How FC calls it, as this function (its names and credentials on every request). */
    readonly client: FcClient,
  ) {}

  /**
   * Checks what FC would refuse to spawn, starts the function's command (or bootstrap) in its code
   * folder, and resolves once its server accepts connections where FC can reach them and passes its
   * health check. Every failure is a UserError, and leaves no process behind.
   */
  static async start({ config, localEnv, startTimeout, output, env, signal }: InstanceOptions): Promise<Instance> {
    const dir = runsBootstrap(config) ? startableFolder(config.codeDir) : config.codeDir;
    const identity = newIdentity(config);
    // The runtime's output is redacted with these, so the fake secrets never reach the terminal.
    rememberCredentials(identity.credentials.accessKeySecret, identity.credentials.securityToken);
    const port = config.port ?? (await freePort());
    // s.yaml's port is the one the app may hard-code: it must be free here, as it is on FC.
    if (config.port !== undefined && (await accepts(port))) {
      throw new UserError(
        `port ${port} (customRuntimeConfig.port) is in use on this machine; stop what listens there: the function needs it, as on FC.`,
      );
    }
    // FC's code folder is /code: a command or argument that names a file there names it in the code folder here.
    const runtime = await RuntimeProcess.start({
      dir,
      command: config.command?.map((word) => (word === '/code' || word.startsWith('/code/') ? config.codeDir + word.slice(5) : word)),
      env: environment(identity, port, env, localEnv),
      port,
      startTimeout,
      output,
      signal,
    });
    const client = new FcClient(port, identity);
    if (config.healthCheck !== undefined) {
      const failure = await healthy(client, config.healthCheck, runtime.startMs, startTimeout, signal);
      if (failure !== undefined) {
        await runtime.kill();
        client.destroy();
        throw new UserError(failure);
      }
    }
    return new Instance(config, runtime, client);
  }

  /** FC's `/pre-stop` when s.yaml configures one, answered within its timeout or given up; undefined when none is. */
  async preStop(): Promise<ControlAnswer | undefined> {
    const hook = this.config.preStop;
    if (hook === undefined) return undefined;
    return this.client.control('/pre-stop', undefined, hook.timeoutS * 1000);
  }

  /**
   * FC's goodbye: `/pre-stop` (if configured and the runtime is still running), then SIGTERM, then
   * SIGKILL if the runtime is still there after 10 s. Resolves with the `/pre-stop` answer once the
   * runtime has exited and its output has been written; rejects never.
   */
  async stop(): Promise<ControlAnswer | undefined> {
    let answer: ControlAnswer | undefined;
    if (this.runtime.exitStatus === undefined) {
      try {
        answer = await this.preStop();
      } catch (error) {
        debug('/pre-stop failed: %s', (error as Error).message);
      }
    }
    await this.kill();
    return answer;
  }

  /**
   * SIGTERM to the runtime's whole process group (or `signal` at once), SIGKILL after a grace
   * period; resolves once it exited and its output has been passed on.
   */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    // Idle keep-alive connections would hold up the runtime's drain; requests in flight may finish.
    this.client.closeIdle();
    const killed = this.runtime.kill(signal);
    await this.runtime.exited;
    this.client.destroy();
    await killed;
  }
}
