// req.fc on Express's Request, by declaration merging: a route behind fcRuntime() reads it typed.
import type { FcContext } from './context';

declare global {
  namespace Express {
    interface Request {
      /** The FC context of this request; set by fcRuntime(), absent on routes without it. */
      fc?: FcContext;
    }
  }
}

export {};
