// The FC log line: `${utc time} ${requestId} [${LEVEL}] ${message}`, and the marker lines around invocations.

export const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LEVELS)[number];

/** Levels as numbers, so filtering is one comparison. */
export const DEBUG = 0;
export const INFO = 1;
export const WARN = 2;
export const ERROR = 3;

const TAGS = [' [DEBUG] ', ' [INFO] ', ' [WARN] ', ' [ERROR] '];

/** What FC's classic runtimes call the four kinds of invocation in their markers. */
export type MarkerKind = 'Invoke' | 'Initialize' | 'PreFreeze' | 'PreStop';

// toISOString() is the costliest part of a line: it runs once a second, and the milliseconds are
// appended to the second's prefix; lines within one millisecond share the whole stamp.
let stampMs = -1;
let stamp = '';
let secondMs = -1;
let secondPrefix = ''; // `yyyy-MM-ddTHH:mm:ss.`
function timestamp(): string {
  const now = Date.now();
  if (now !== stampMs) {
    stampMs = now;
    const ms = now % 1000;
    if (now - ms !== secondMs) {
      secondMs = now - ms;
      secondPrefix = new Date(secondMs).toISOString().slice(0, 20);
    }
    stamp = secondPrefix + (ms < 10 ? '00' : ms < 100 ? '0' : '') + ms + 'Z';
  }
  return stamp;
}

export function formatLine(level: number, requestId: string, message: string): string {
  return timestamp() + ' ' + requestId + TAGS[level] + message + '\n';
}

export function startMarker(kind: MarkerKind, requestId: string): string {
  return 'FC ' + kind + ' Start RequestId: ' + requestId + '\n';
}

export function endMarker(kind: MarkerKind, requestId: string, error?: string): string {
  const suffix = error === undefined ? '' : ', Error: ' + error.replace(/\s*\n\s*/g, ' ');
  return 'FC ' + kind + ' End RequestId: ' + requestId + suffix + '\n';
}

export function initedLine(runtime: string): string {
  return 'FunctionCompute ' + runtime + ' runtime inited.\n';
}

/** Parses a level name in any case; undefined when it is not one. */
export function levelOf(name: string): number | undefined {
  const index = (LEVELS as readonly string[]).indexOf(name.toLowerCase());
  return index === -1 ? undefined : index;
}
