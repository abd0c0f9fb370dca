// The FC log line: `${utc time} ${requestId} [${LEVEL}] ${message}`, and the marker lines around invocations.
import { envSetting } from '../env-settings';
import type { MarkerKind } from '../routing';

export const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LEVELS)[number];

/** Levels as numbers, so filtering is one comparison. */
export const DEBUG = 0;
export const INFO = 1;
export const WARN = 2;
export const ERROR = 3;

const TAGS = [' [DEBUG] ', ' [INFO] ', ' [WARN] ', ' [ERROR] '];

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
    stamp = secondPrefix + (ms < 10 ? '00' : ms < 100 ? '0' : '') + String(ms) + 'Z';
  }
  return stamp;
}

// Line breaks and terminal control characters (C0 but the tab, DEL, C1): most messages have none,
// and one test() is all they cost. Control characters are what these match, hence the rule's exception.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;
// eslint-disable-next-line no-control-regex
const UNSAFE_ALL = /\r?\n|[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;
/** What starts every continuation line of a message: no line of a message reads as a marker or a log line. */
export const CONTINUATION = '  ';

function escapeUnsafe(match: string): string {
  if (match === '\n' || match === '\r\n') return '\n' + CONTINUATION;
  return '\\x' + match.charCodeAt(0).toString(16).padStart(2, '0');
}

/**
 * The message made safe for FC's log: continuation lines indented (Log Service's default rule
 * starts an entry only at a line that begins with a date, so they stay in this one, and none can
 * pass for a marker or another request's line), control characters written as `\xHH`.
 */
export function safeMessage(message: string): string {
  return UNSAFE.test(message) ? message.replace(UNSAFE_ALL, escapeUnsafe) : message;
}

export function formatLine(level: number, requestId: string, message: string): string {
  return timestamp() + ' ' + requestId + TAGS[level] + safeMessage(message) + '\n';
}

export function startMarker(kind: MarkerKind, requestId: string): string {
  return 'FC ' + kind + ' Start RequestId: ' + requestId + '\n';
}

export function endMarker(kind: MarkerKind, requestId: string, error?: string): string {
  const suffix = error === undefined ? '' : ', Error: ' + safeMessage(error.replace(/\s*\n\s*/g, ' '));
  return 'FC ' + kind + ' End RequestId: ' + requestId + suffix + '\n';
}

export function initedLine(runtime: string): string {
  return 'FunctionCompute ' + runtime + ' runtime inited.\n';
}

/** The cold-start line as a reader of the log finds it; group 1 is the runtime's name. */
export const INITED_LINE = /^FunctionCompute (.+) runtime inited\.$/;

/** A marker line as a reader of the log finds it, one line without its newline. */
export interface Marker {
  kind: string;
  edge: 'Start' | 'End';
  requestId: string;
  /** The `, Error: …` an End marker carries after a crash. */
  error: string | undefined;
}

const MARKER_LINE = /^FC (\w+) (Start|End) RequestId: (.*?)(?:, Error: (.*))?$/;

/** Reads a marker line (startMarker() or endMarker() without the newline); undefined for any other line. */
export function parseMarker(line: string): Marker | undefined {
  const match = MARKER_LINE.exec(line);
  if (match === null) return undefined;
  return { kind: match[1], edge: match[2] as Marker['edge'], requestId: match[3], error: match[4] };
}

/** Parses a level name in any case; undefined when it is not one. */
export function levelOf(name: string): number | undefined {
  const index = (LEVELS as readonly string[]).indexOf(name.toLowerCase());
  return index === -1 ? undefined : index;
}

/** The level from env `EXPRESS_FC_LOG_LEVEL`, else info; a value that is no level is a configuration error. */
export function envLevel(env: NodeJS.ProcessEnv = process.env): number {
  const setting = envSetting(env, 'logLevel');
  if (setting === undefined) return INFO;
  const level = levelOf(setting.text);
  if (level === undefined) {
    throw new TypeError(`${setting.name} must be one of ${LEVELS.join(', ')}, got "${setting.text}".`);
  }
  return level;
}
