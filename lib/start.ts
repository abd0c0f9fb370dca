// `node -r express-fc-runtime/start index.js`: what `fc-runtime start` does, as a preload Node resolves like
// any package (also where npm workspaces hoist it). An entry point like register: problems end here in one line, exit 1.
import { basename } from 'path';
import { loadOptions } from './config';
import { nothingToServe, serveExported } from './exported';
import { takeOver } from './takeover';
import { exitWithError as fail } from './user-error';

try {
  const takeover = takeOver(loadOptions(process.argv[1], process.env));
  takeover.listening.catch(fail);
  // Runs once the main module has been loaded (the module whose id is '.'): serve its exports if it did not listen.
  setImmediate(() => {
    if (takeover.taken) return;
    const main = Object.values(require.cache).find((module) => module?.id === '.');
    serveExported(takeover, main?.exports);
  });
  const onBeforeExit = () => fail(nothingToServe(basename(process.argv[1] ?? 'the entry')));
  process.once('beforeExit', onBeforeExit);
  void takeover.listening.then(
    () => process.off('beforeExit', onBeforeExit),
    () => undefined,
  );
} catch (error) {
  fail(error);
}
