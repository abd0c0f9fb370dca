// fc-runtime start: runs an entry as register does, and serves one that exports an app (or an FC classic handler) instead of listening.
import { existsSync } from 'fs';
import { resolve } from 'path';
import { loadOptions } from '../config';
import { nothingToServe, serveExported } from '../exported';
import { loadModule } from '../load-module';
import { takeOver } from '../takeover';
import { firstLine, UserError } from '../user-error';
import type { Io, StartCommand } from './args';

/** Resolves once the entry's server (its own, taken over, or one for its exports) listens; the process then keeps serving. */
export async function start(command: StartCommand, io: Io): Promise<undefined> {
  const entry = resolve(command.entry);
  if (!existsSync(entry)) throw new UserError(`no entry file ${command.entry}`);
  const takeover = takeOver(loadOptions(entry, io.env));
  // Watched from the start: an ES module config file may fail to import while the entry still loads.
  const failed = new Promise<never>((_, reject) => {
    void takeover.listening.catch((error: unknown) => reject(new UserError(firstLine(error))));
  });
  // Synchronously when Node can, as `node entry` runs it; an ES module require() refuses
  // (Node 18, top-level await) is import()ed, and may listen before that resolves.
  const loaded = loadModule(entry);
  const exported = 'exports' in loaded ? loaded.exports : await Promise.race([loaded.imported, failed]);
  if (!takeover.taken) serveExported(takeover, exported);
  // An entry may still listen later (after connecting to a database, say); if the event loop empties
  // first, it never will.
  const neverListens = new Promise<never>((_, reject) => {
    const onBeforeExit = () => {
      reject(new UserError(nothingToServe(command.entry)));
    };
    process.once('beforeExit', onBeforeExit);
    const forget = () => process.off('beforeExit', onBeforeExit);
    void takeover.listening.then(forget, forget);
  });
  const listened = takeover.listening.then(
    () => undefined,
    () => failed,
  );
  await Promise.race([listened, neverListens]);
  return undefined;
}
