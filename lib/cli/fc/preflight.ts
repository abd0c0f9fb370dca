// Before the local FC spawns anything: the code folder, and its bootstrap judged by FC's bootstrap rules; what would not run is one UserError line with the fix.
import { UserError } from '../../user-error';
import { BOOTSTRAP_RULES, readBootstrap } from './bootstrap';
import { codeFolder } from './code-folder';

/**
 * The code folder, resolved, with a bootstrap that can be spawned. Only what spawning would fail on
 * is refused here: the rest of what FC would refuse is `fc-runtime check`'s to say.
 */
export function startableFolder(given: string): string {
  const dir = codeFolder(given);
  const file = readBootstrap(dir);
  for (const rule of BOOTSTRAP_RULES) {
    const refusal = rule(file)?.refusal;
    if (refusal !== undefined) throw new UserError(refusal);
  }
  return dir;
}
