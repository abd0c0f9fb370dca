// The code folder a command was given: FC takes a folder with bootstrap in it, so anything else is one line with the fix.
import { statSync } from 'fs';
import { resolve } from 'path';
import { UserError } from '../../user-error';

/** The folder `given` names, resolved; a UserError when there is none or it is not a folder. */
export function codeFolder(given: string): string {
  const dir = resolve(given);
  let stats;
  try {
    stats = statSync(dir);
  } catch {
    throw new UserError(`no code folder ${given}`);
  }
  if (!stats.isDirectory()) throw new UserError(`${given} is not a folder; give the code folder that holds bootstrap.`);
  return dir;
}
