// Log capture: what the process writes to stdout and stderr during a test, after the runtime's redaction.
import { format } from 'util';

type Write = (...args: unknown[]) => boolean;

/** `text` as a regular expression source that matches exactly it: for request ids and messages inside patterns. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

class Recording {
  stdout = '';
  stderr = '';
  private waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];

  /** Both streams together, as a list of lines. */
  get lines(): string[] {
    return (this.stdout + this.stderr).split('\n').filter((line) => line !== '');
  }

  /** Lines of stdout only, in the order written. */
  get stdoutLines(): string[] {
    return this.stdout.split('\n').filter((line) => line !== '');
  }

  push(stream: 'stdout' | 'stderr', chunk: unknown): void {
    this[stream] += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    this.waiters = this.waiters.filter(({ pattern, resolve }) => {
      const line = this.lines.find((l) => pattern.test(l));
      if (line !== undefined) resolve(line);
      return line === undefined;
    });
  }

  /** Resolves with the first line matching `pattern`, as soon as it is written. */
  waitFor(pattern: RegExp, timeoutMs = 5000): Promise<string> {
    const line = this.lines.find((l) => pattern.test(l));
    if (line !== undefined) return Promise.resolve(line);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no line matching ${String(pattern)} within ${timeoutMs} ms; got:\n${this.lines.join('\n')}`)),
        timeoutMs,
      );
      this.waiters.push({
        pattern,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
    });
  }
}

let current: Recording | undefined;
const originals = new Map<NodeJS.WriteStream, Write>();

/**
 * Installed by spec/helpers/setup.ts before any runtime exists, so the runtime's redacting guard
 * wraps this layer and a recording holds exactly the bytes that would reach the terminal.
 */
export function installCapture(): void {
  for (const [name, stream] of [
    ['stdout', process.stdout],
    ['stderr', process.stderr],
  ] as const) {
    const original = (stream as { write: Write }).write;
    originals.set(stream, original);
    stream.write = function capturingWrite(this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      if (current === undefined) return original.call(this, chunk, ...rest);
      current.push(name, chunk);
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      if (callback) process.nextTick(callback);
      return true;
    };
  }
}

/** Writes to the real stdout, past any recording: for mocha's reporter. */
export function writeThrough(...args: unknown[]): void {
  originals.get(process.stdout)!.call(process.stdout, format(...args) + '\n');
}

/**
 * Records stdout and stderr during each test of the enclosing describe, instead of printing them.
 * `output()` gives the current test's recording.
 */
export function recordOutput(): () => Recording {
  beforeEach(() => {
    current = new Recording();
  });
  afterEach(() => {
    current = undefined;
  });
  return () => {
    if (current === undefined) throw new Error('recordOutput(): no test is running');
    return current;
  };
}
