// fc-runtime check: the doctor. What FC would reject, one ✔/✖ line per check with the fix; exit 1 on any ✖.
import type { CheckCommand, Io } from '../args';
import { readBootstrap } from '../fc/bootstrap';
import { codeFolder } from '../fc/code-folder';
import { readSYaml } from '../fc/s-yaml';
import { signalExitCode } from '../fc/signals';
import { CHECKS } from './checks';
import { Report } from './report';
import { checkServer } from './server-run';

export async function check(command: CheckCommand, io: Io): Promise<number> {
  const dir = codeFolder(command.dir);
  io.stdout.write(`Checking ${dir} as FC's custom runtime would run it\n`);
  const report = new Report(io.stdout);
  report.judge(CHECKS.config, readSYaml(dir));
  const bootstrap = report.judge(CHECKS.bootstrap, readBootstrap(dir));
  if (bootstrap.some((verdict) => verdict.unstartable === true)) {
    report.judge(CHECKS.start, { startTimeout: command.startTimeout, state: 'skipped' });
  } else {
    const interrupted = await checkServer(dir, command.startTimeout, io, report);
    if (interrupted !== undefined) {
      io.stderr.write('fc-runtime check: interrupted; the function was stopped.\n');
      return signalExitCode(interrupted);
    }
  }
  io.stdout.write(report.summary());
  return report.failures === 0 ? 0 : 1;
}
