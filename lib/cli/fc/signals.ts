// Ctrl-C and friends while a local function runs: the runtime is in its own process group, so only the CLI hears them and stops it FC's way.

const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export interface StopSignals {
  /** Resolves with the first stop signal received. */
  readonly received: Promise<NodeJS.Signals>;
  /** Aborted at the first stop signal. */
  readonly signal: AbortSignal;
  /** Called at every later stop signal (a second Ctrl-C): stop harder. */
  onRepeat(handler: () => void): void;
  /** Stops listening; the signals' default actions apply again. */
  dispose(): void;
}

/** Listens for SIGINT, SIGTERM and SIGHUP instead of letting them end the process. */
export function stopSignals(): StopSignals {
  const controller = new AbortController();
  let count = 0;
  let repeat = () => {};
  let resolveReceived!: (signal: NodeJS.Signals) => void;
  const received = new Promise<NodeJS.Signals>((resolve) => (resolveReceived = resolve));
  const listener = (signal: NodeJS.Signals) => {
    count += 1;
    if (count === 1) {
      controller.abort();
      resolveReceived(signal);
    } else {
      repeat();
    }
  };
  for (const name of STOP_SIGNALS) process.on(name, listener);
  return {
    received,
    signal: controller.signal,
    onRepeat: (handler) => (repeat = handler),
    dispose: () => {
      for (const name of STOP_SIGNALS) process.off(name, listener);
    },
  };
}

/** The exit code of a process ended by `signal`, as a shell reports it (SIGINT: 130). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as Record<string, number>)[signal];
}
