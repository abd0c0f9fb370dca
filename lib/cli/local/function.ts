// The function behind the local HTTP trigger: one instance at a time, initialized once, and a new one after a crash, as FC does.
import { randomUUID } from 'crypto';
import { failed } from '../fc/answer';
import type { FunctionConfig } from '../fc/function-config';
import { Instance, type InstanceOptions } from '../fc/instance';
import { afterEndMarker, summaryLine } from './summary';

/** What the front prints: the runtime's own log is in `options.output`; these are the front's lines. */
export interface FrontOutput {
  /** A line of the front's own (per-request lines, the ready line). */
  say(line: string): void;
  /** A problem worth the user's attention (a limit hit, a dropped header, a crash). */
  warn(line: string): void;
}

/** Why a request could not reach the function: the front answers it itself (502). */
export class NotReady extends Error {
  override name = 'NotReady';
}

export class LocalFunction {
  private current: Promise<Instance> | undefined;
  private readonly initialized = new WeakMap<Instance, Promise<void>>();
  private stopping = false;

  constructor(
    private readonly options: InstanceOptions,
    private readonly output: FrontOutput,
  ) {}

  /** The function's configuration: what the front enforces (timeout, concurrency, limits). */
  get config(): FunctionConfig {
    return this.options.config;
  }

  /** Starts the first instance; its failure (a UserError) is the command's. */
  async start(): Promise<Instance> {
    return this.instance();
  }

  /** Whether stop() has begun: no request should start now. */
  get stopped(): boolean {
    return this.stopping;
  }

  private instance(): Promise<Instance> {
    if (this.current !== undefined) return this.current;
    const starting = Instance.start(this.options);
    this.current = starting;
    starting.then(
      (instance) =>
        void instance.runtime.exited.then((status) => {
          if (this.stopping || this.current !== starting) return;
          this.current = undefined;
          this.output.warn(`fc-runtime local: the runtime exited (${status}); the next request starts a new instance, as FC would.\n`);
        }),
      () => {
        if (this.current === starting) this.current = undefined;
      },
    );
    return starting;
  }

  /** FC's `/initialize`, once per instance when s.yaml configures an initializer, within its timeout; a failure is retried by the next request. */
  private async initialize(instance: Instance): Promise<void> {
    const hook = instance.config.initializer;
    if (hook === undefined) return;
    const requestId = randomUUID();
    const started = Date.now();
    try {
      const answer = await instance.client.control('/initialize', undefined, hook.timeoutS * 1000, requestId);
      await afterEndMarker(instance, requestId);
      this.output.say(summaryLine({ what: 'Initialize', status: answer.status, headers: answer.headers, ms: answer.ms, requestId }));
      if (failed(answer.headers)) throw new NotReady(`the function's initializer failed (${answer.status}); see its log.`);
    } catch (error) {
      if (error instanceof NotReady) throw error;
      this.output.say(
        summaryLine({ what: 'Initialize', status: 'no answer', ms: Date.now() - started, requestId, note: (error as Error).message }),
      );
      throw new NotReady(`the function's runtime gave no answer to /initialize: ${(error as Error).message}`);
    }
  }

  /** The instance, started and initialized, for one request; NotReady if it cannot be. */
  async ready(): Promise<Instance> {
    if (this.stopping) throw new NotReady('the local FC is stopping.');
    let instance: Instance;
    try {
      instance = await this.instance();
    } catch (error) {
      throw new NotReady(`a new instance could not be started: ${(error as Error).message}`);
    }
    let run = this.initialized.get(instance);
    if (run === undefined) {
      run = this.initialize(instance);
      this.initialized.set(instance, run);
      const attempt = run;
      attempt.catch(() => this.initialized.get(instance) === attempt && this.initialized.delete(instance));
    }
    await run;
    return instance;
  }

  /** `/pre-stop`, SIGTERM, and resolves once the runtime is gone (nothing to do if none runs). */
  async stop(): Promise<void> {
    this.stopping = true;
    const instance = await this.current?.catch(() => undefined);
    await instance?.stop();
  }

  /** Stops harder (a second Ctrl-C): SIGKILL to the runtime's process group. */
  async kill(): Promise<void> {
    const instance = await this.current?.catch(() => undefined);
    await instance?.kill('SIGKILL');
  }
}
