// The request store: the invocation whose async flow the code runs in. A leaf that imports only types,
// so that logging, crash handling and the context can all read it without importing each other.
import { AsyncLocalStorage } from 'async_hooks';
import type { Invocation } from './invocation';

/** Carries the invocation through the request's whole async flow. */
export const storage = new AsyncLocalStorage<Invocation>();
