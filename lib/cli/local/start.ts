// fc-runtime local start: the function behind a local HTTP trigger on a port, until Ctrl-C stops it FC's way.
import { createServer, type IncomingMessage, type ServerResponse } from 'http';
import { resolve } from 'path';
import { UserError } from '../../user-error';
import type { Io, LocalStartCommand } from '../args';
import { watchCodeFolder } from '../fc/code-watch';
import { stopSignals } from '../fc/signals';
import { functionOf } from '../fc/s-yaml';
import { LocalFunction, type FrontOutput } from './function';
import { forward } from './http-trigger';
import { HttpTrigger } from './invocation';
import { codeFolderWarning } from './summary';

const HOST = '127.0.0.1';

function listenFailure(error: NodeJS.ErrnoException, port: number): UserError {
  if (error.code === 'EADDRINUSE') return new UserError(`port ${port} is in use; stop what listens there or choose another with --port.`);
  if (error.code === 'EACCES') return new UserError(`port ${port} needs privileges to listen on; choose one above 1023 with --port.`);
  return new UserError(`cannot listen on ${HOST}:${port}: ${error.message}`);
}

export async function localStart(command: LocalStartCommand, io: Io): Promise<number> {
  const output: FrontOutput = { say: (line) => io.stdout.write(line), warn: (line) => io.stderr.write(line) };
  const signals = stopSignals();
  let stopWatching = () => {};
  const fn = new LocalFunction(
    { dir: command.dir, startTimeout: command.startTimeout * 1000, output: io.stdout, env: io.env, signal: signals.signal },
    output,
  );
  const { config } = functionOf(command.dir, { env: io.env });
  const trigger = new HttpTrigger(fn, output, { config, defaultDomain: command.defaultDomain });
  const serve = (expectsContinue: boolean) => (req: IncomingMessage, res: ServerResponse) => {
    forward(req, res, trigger, expectsContinue).catch((error: unknown) => {
      output.warn(`fc-runtime local: ${String(req.method)} ${String(req.url)}: ${(error as Error).message}\n`);
      res.destroy();
    });
  };
  // Headers past FC's 8 KB reach the front, which answers them as FC does, rather than Node's 431.
  const server = createServer({ requestTimeout: 0, maxHeaderSize: 64 * 1024 }, serve(false)).on('checkContinue', serve(true));
  try {
    // The port first: a port in use fails before any runtime starts.
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => reject(listenFailure(error, command.port)));
      server.listen(command.port, HOST, () => resolve());
    });
    const codeWatch = watchCodeFolder(config.codeDir, (file) => output.warn(codeFolderWarning(file)));
    stopWatching = () => codeWatch.close();
    let instance;
    try {
      instance = await fn.start();
    } catch (error) {
      if (!signals.signal.aborted) throw error;
      io.stderr.write('fc-runtime local start: interrupted before the function started; it was stopped.\n');
      return 0;
    }
    // FC initializes an instance before its first request; here at once, so a failing initializer
    // shows up now (and is retried by the next request, as FC retries it).
    const initialized = fn.ready().then(
      () => undefined,
      (error: unknown) => output.warn(`fc-runtime local: ${(error as Error).message}\n`),
    );
    await Promise.race([initialized, signals.received]);
    if (!signals.signal.aborted)
      output.say(
        `fc-runtime local: http://${HOST}:${command.port}/ → ${resolve(command.dir)}/bootstrap ` +
          `(pid ${String(instance.runtime.pid)}, listening after ${instance.runtime.startMs} ms). Ctrl-C sends /pre-stop and stops it.\n`,
      );

    const signal = await signals.received;
    output.say(`fc-runtime local: ${signal}: sending /pre-stop, then SIGTERM (Ctrl-C again to kill it at once).\n`);
    signals.onRepeat(() => void fn.kill());
    server.close();
    // Node 18.2 and later.
    if (typeof server.closeIdleConnections === 'function') server.closeIdleConnections();
    await fn.stop();
    output.say('fc-runtime local: stopped.\n');
    return 0;
  } finally {
    stopWatching();
    signals.dispose();
    server.close();
    if (typeof server.closeAllConnections === 'function') server.closeAllConnections();
  }
}
