// One local FC instance: the function's identity, the runtime process that plays it, and the client FC calls it with; started and stopped FC's way.
import createDebug from 'debug';
import { rememberCredentials } from '../../logging/redact';
import type { ControlAnswer } from './answer';
import { FcClient } from './client';
import { environment, newIdentity } from './identity';
import { freePort } from './listening';
import { startableFolder } from './preflight';
import { RuntimeProcess } from './process';

const debug = createDebug('express-fc-runtime:local');

/** How long `/pre-stop` may take before the runtime gets SIGTERM anyway. */
const PRE_STOP_MS = 10_000;

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

export class Instance {
  private constructor(
    /** The process that plays the function. */
    readonly runtime: RuntimeProcess,
    /** How FC calls it, as this function (its names and credentials on every request). */
    readonly client: FcClient,
  ) {}

  /**
   * Checks dir/bootstrap as FC would, starts it, and resolves once its server accepts connections
   * where FC can reach them. Every failure is a UserError, and leaves no process behind.
   */
  static async start({ dir: given, startTimeout, output, env, signal }: InstanceOptions): Promise<Instance> {
    const dir = startableFolder(given);
    const identity = newIdentity(dir);
    // The runtime's output is redacted with these, so the fake secrets never reach the terminal.
    rememberCredentials(identity.credentials.accessKeySecret, identity.credentials.securityToken);
    const port = await freePort();
    const runtime = await RuntimeProcess.start({ dir, env: environment(identity, port, env), port, startTimeout, output, signal });
    return new Instance(runtime, new FcClient(port, identity));
  }

  /** FC's `/pre-stop`, answered within 10 s or given up. */
  preStop(): Promise<ControlAnswer> {
    return this.client.control('/pre-stop', undefined, PRE_STOP_MS);
  }

  /**
   * FC's goodbye: `/pre-stop` (if the runtime is still running), then SIGTERM, then SIGKILL if the
   * runtime is still there after 10 s. Resolves with the `/pre-stop` answer once the runtime has
   * exited and its output has been written; rejects never.
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
