// fc-runtime check: the doctor. What FC would reject, one ✔/✖ line per check with the fix; exit 1 on any ✖.
import { statSync } from 'fs';
import { resolve } from 'path';
import { UserError } from '../../user-error';
import type { CheckCommand, Io } from '../args';
import { checkBootstrap } from '../fc/bootstrap';
import { Report } from './report';
import { checkServer } from './server-run';
import { signalExitCode } from '../fc/signals';

export async function check(command: CheckCommand, io: Io): Promise<number> {
  const dir = resolve(command.dir);
  let isFolder = false;
  try {
    isFolder = statSync(dir).isDirectory();
  } catch {
    throw new UserError(`no code folder ${command.dir}`);
  }
  if (!isFolder) throw new UserError(`${command.dir} is not a folder; give the code folder that holds bootstrap.`);

  io.stdout.write(`Checking ${dir} as FC's custom runtime would run it\n`);
  const report = new Report(io.stdout);
  if (checkBootstrap(dir, report)) {
    const interrupted = await checkServer(dir, command.startTimeout, io, report);
    if (interrupted !== undefined) {
      io.stderr.write('fc-runtime check: interrupted; the function was stopped.\n');
      return signalExitCode(interrupted);
    }
  } else {
    report.fail('the server was not started', 'fix the bootstrap as above, then run `fc-runtime check` again');
  }
  io.stdout.write(report.summary());
  return report.failures === 0 ? 0 : 1;
}
