// fc-runtime check: the doctor. What FC would reject, one ✔/✖ line per check with the fix (⚠ for what FC takes
// but would run differently); exit 1 on any ✖.
import type { CheckCommand, Io } from '../args';
import { readBootstrap } from '../fc/bootstrap';
import { codeFolder } from '../fc/code-folder';
import { readSYaml } from '../fc/s-yaml';
import { selectFunction } from '../fc/selection';
import { signalExitCode } from '../fc/signals';
import { CHECKS } from './checks';
import { runsBootstrap } from '../fc/function-config';
import { readCommand } from './function';
import { Report } from './report';
import { checkServer, type RunEvidence } from './server-run';

export async function check(command: CheckCommand, io: Io): Promise<number> {
  const dir = codeFolder(command.dir);
  io.stdout.write(`Checking ${dir} as FC's custom runtime would run it\n`);
  const report = new Report(io.stdout);
  const sYaml = readSYaml(dir, io.env);
  report.judge(CHECKS.config, sYaml);
  if (sYaml.state === 'broken') {
    io.stdout.write(report.summary());
    return 1;
  }
  const selected = selectFunction(dir, command, io.env);
  const { config } = selected;
  report.judge(CHECKS.function, config);
  const bootstrap = runsBootstrap(config) ? readBootstrap(config.codeDir) : undefined;
  const started = bootstrap === undefined ? report.judge(CHECKS.command, readCommand(config)) : report.judge(CHECKS.bootstrap, bootstrap);
  const seen: RunEvidence = {};
  if (started.some((verdict) => verdict.unstartable === true)) {
    report.judge(CHECKS.start, { startTimeout: selected.startTimeout / 1000, state: 'skipped' });
  } else {
    const interrupted = await checkServer(selected, io, report, seen);
    if (interrupted !== undefined) {
      io.stderr.write('fc-runtime check: interrupted; the function was stopped.\n');
      return signalExitCode(interrupted);
    }
  }
  report.judge(CHECKS.fit, {
    config,
    bootstrap: Buffer.isBuffer(bootstrap?.content) ? bootstrap.content.toString('utf8') : undefined,
    hooks: seen.hooks,
    site: seen.site ?? { error: 'the server was not started' },
    server: seen.server,
    localNode: seen.hooks?.node ?? process.versions.node,
  });
  io.stdout.write(report.summary());
  return report.failures === 0 ? 0 : 1;
}
