// Answers to FC control requests: success, and the {errorMessage, errorType, stackTrace} failure.
import type { ServerResponse } from 'http';
import { inspect, types } from 'util';
import type { Invocation } from '../invocation';
import { ERROR } from '../logging/format';
import { redact } from '../logging/redact';

export interface FcError {
  errorMessage: string;
  errorType: string;
  stackTrace: string[];
}

const UNREADABLE = '(a value that cannot be inspected)';

/** What a value inside an error reads, or `fallback` when reading it throws (a getter, a Proxy trap). */
function read<T>(get: () => T, fallback: T): T {
  try {
    return get();
  } catch {
    return fallback;
  }
}

/** An Error of this realm or another (vm, iframes), without touching a Proxy's traps. */
function isError(value: unknown): value is Error {
  return types.isNativeError(value) || read(() => value instanceof Error, false);
}

/**
 * Describes anything thrown: Errors by name, message and stack; other values by their type.
 * Never throws, whatever the value: a failure must still be answered.
 */
export function describeError(error: unknown): FcError {
  if (isError(error)) {
    const stack = read(() => error.stack, undefined);
    return {
      // An Error's message and name may have been set to anything: String() whatever they hold.
      errorMessage: String(read((): unknown => error.message, '')),
      errorType: String(read((): unknown => error.name, 'Error')),
      stackTrace:
        typeof stack === 'string'
          ? stack
              .split('\n')
              .filter((line) => /^\s+at /.test(line))
              .map((line) => line.trim())
          : [],
    };
  }
  return {
    errorMessage: typeof error === 'string' ? error : read(() => inspect(error), UNREADABLE),
    errorType: error === null ? 'null' : typeof error,
    stackTrace: [],
  };
}

/** How a failure reads in the log: an Error's stack, anything else as util.inspect shows it; never throws. */
export function errorText(error: unknown): string {
  if (isError(error)) {
    const stack = read(() => error.stack, undefined);
    if (typeof stack === 'string' && stack !== '') return stack;
    const { errorType, errorMessage } = describeError(error);
    return `${errorType}: ${errorMessage}`;
  }
  return read(() => inspect(error), UNREADABLE);
}

/** The FC answer: x-fc-status follows the status, 200 for success, 404 for any failure. */
export function respond(res: ServerResponse, status: number, body: string | Buffer = '', type?: string): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = status;
  res.setHeader('x-fc-status', status === 200 ? '200' : '404');
  if (type !== undefined) res.setHeader('content-type', type);
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

/** Answers FC the failure, described as FC's runtimes do; an error quoting a secret does not carry it back. */
export function respondFailure(res: ServerResponse, error: unknown, status = 404): void {
  respond(res, status, redact(JSON.stringify(describeError(error))), 'application/json; charset=utf-8');
}

/** Fails the invocation: the stack to the log at ERROR with its request id, the description to FC. */
export function respondError(res: ServerResponse, invocation: Invocation, error: unknown, status = 404): void {
  invocation.log(ERROR, errorText(error));
  respondFailure(res, error, status);
}

/** A failure of FC's own making (bad request, no handler), described by a type and a message. */
export function controlError(type: string, message: string): Error {
  const error = new Error(message);
  error.name = type;
  // The stack would point into this package, which is no help to whoever reads the log.
  error.stack = `${type}: ${message}`;
  return error;
}
