// The public surface of express-fc-runtime: re-exports only.
import './express-request';

export { fcRuntime, type FcRuntimeMiddleware } from './middleware';
export { serve, type ServeOptions, type Handler } from './serve';
export {
  currentContext,
  requestIdMixin,
  type FcContext,
  type FcCredentials,
  type FcFunctionInfo,
  type FcServiceInfo,
  type FcTracing,
} from './context';
export { logger, type FcLogger } from './logging/logger';
export type { LogLevel } from './logging/format';
export type { Options, InvokeHandler, HookHandler, Callback, ClsNamespace } from './options';
