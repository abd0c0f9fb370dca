// Loads a user's file (an entry, a config file) as Node runs it: require() while it can, import() for an ES module it cannot.
import { pathToFileURL } from 'url';

/** What loading gave: the exports now, or, for an ES module require() cannot load, the import() of it. */
export type Loaded = { exports: unknown } | { imported: Promise<unknown> };

// Node 18 cannot require() any ES module (ERR_REQUIRE_ESM); Node 20.19+ and 22.12+ can, except one
// whose graph has top-level await (ERR_REQUIRE_ASYNC_MODULE), found before any of it runs.
const NEEDS_IMPORT = new Set(['ERR_REQUIRE_ESM', 'ERR_REQUIRE_ASYNC_MODULE']);

/**
 * Runs `file` (an absolute path) synchronously with require() when Node can, so that a server it
 * starts listens as it would under `node file`; an ES module that require() refuses is import()ed.
 */
export function loadModule(file: string): Loaded {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- synchronous first: the file's listen() then runs before anything else, as under `node file`
    return { exports: require(file) };
  } catch (error) {
    if (!NEEDS_IMPORT.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
  return { imported: import(pathToFileURL(file).href) };
}

/**
 * What an ES module exports, as a CommonJS module would: its default export if it has one, else its
 * named exports. A CommonJS module's exports, or TypeScript's `export default` compiled to them
 * (`__esModule` and `default`), are read the same way.
 */
export function moduleValue(exported: unknown): unknown {
  if (typeof exported !== 'object' || exported === null) return exported;
  const esModule =
    Object.prototype.toString.call(exported) === '[object Module]' || (exported as { __esModule?: unknown }).__esModule === true;
  if (!esModule) return exported;
  if ('default' in exported) return exported.default;
  return Object.fromEntries(Object.entries(exported).filter(([name]) => name !== '__esModule'));
}

/** Whether `error` is CommonJS code (`module.exports`, `require`) run as an ES module. */
export function isCommonJsInEsm(error: unknown): boolean {
  return (
    error instanceof ReferenceError &&
    /^(module|exports|require|__dirname|__filename) is not defined in ES module scope/.test(error.message)
  );
}
