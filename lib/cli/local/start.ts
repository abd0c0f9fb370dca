// fc-runtime local start: the function behind a local HTTP trigger on a port, until Ctrl-C stops it FC's way.
import { createServer, type IncomingMessage, type ServerResponse } from 'http';
import { join, relative } from 'path';
import type { Duplex } from 'stream';
import { UserError } from '../../user-error';
import type { Io, LocalStartCommand } from '../args';
import { watchCodeFolder } from '../fc/code-watch';
import type { FunctionConfig } from '../fc/function-config';
import { selectFunction } from '../fc/selection';
import { stopSignals } from '../fc/signals';
import { LocalFunction, type FrontOutput } from './function';
import { forward } from './http-trigger';
import { HttpTrigger } from './invocation';
import { codeFolderWarning } from './summary';
import { proxyUpgrade } from './websocket';

const HOST = '127.0.0.1';

/** What runs, in a few words: `s.yaml web (node server.js in ./app, port 9000, timeout 60 s)`, or the bootstrap's path. */
function describe(config: FunctionConfig): string {
  if (config.resource === undefined) return join(config.codeDir, 'bootstrap');
  const where = relative(config.projectDir, config.codeDir) || '.';
  const command = config.command?.join(' ') ?? 'bootstrap';
  const hooks = [config.initializer && 'initializer', config.preStop && 'preStop'].filter(Boolean).join(' and ');
  return (
    `s.yaml ${config.resource} (${command} in ${where}, port ${String(config.port)}, ${config.memoryMb} MB, timeout ${config.timeoutS} s, ` +
    `concurrency ${config.concurrency}${hooks === '' ? '' : `, ${hooks}`})`
  );
}

function listenFailure(error: NodeJS.ErrnoException, port: number): UserError {
  if (error.code === 'EADDRINUSE') return new UserError(`port ${port} is in use; stop what listens there or choose another with --port.`);
  if (error.code === 'EACCES') return new UserError(`port ${port} needs privileges to listen on; choose one above 1023 with --port.`);
  return new UserError(`cannot listen on ${HOST}:${port}: ${error.message}`);
}

export async function localStart(command: LocalStartCommand, io: Io): Promise<number> {
  const output: FrontOutput = { say: (line) => io.stdout.write(line), warn: (line) => io.stderr.write(line) };
  const { config, localEnv, startTimeout, notes } = selectFunction(command.dir, command, io.env);
  for (const note of notes) output.warn(`fc-runtime local: ${note}\n`);
  const signals = stopSignals();
  let stopWatching = () => {};
  const fn = new LocalFunction({ config, localEnv, startTimeout, output: io.stdout, env: io.env, signal: signals.signal }, output);
  const trigger = new HttpTrigger(fn, output, { config: fn.config, defaultDomain: command.defaultDomain });
  const serve = (expectsContinue: boolean) => (req: IncomingMessage, res: ServerResponse) => {
    forward(req, res, trigger, expectsContinue).catch((error: unknown) => {
      output.warn(`fc-runtime local: ${String(req.method)} ${String(req.url)}: ${(error as Error).message}\n`);
      res.destroy();
    });
  };
  // Headers past FC's 8 KB reach the front, which answers them as FC does, rather than Node's 431.
  const server = createServer({ requestTimeout: 0, maxHeaderSize: 64 * 1024 }, serve(false)).on('checkContinue', serve(true));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    proxyUpgrade(req, socket, head, fn, output).catch((error: unknown) => {
      output.warn(`fc-runtime local: ${String(req.method)} ${String(req.url)} (WebSocket): ${(error as Error).message}\n`);
      socket.destroy();
    });
  });
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
    // FC initializes an instance before its first request (when s.yaml configures an initializer);
    // here at once, so a failing initializer shows up now (and is retried by the next request, as FC retries it).
    const initialized = fn.ready().then(
      () => undefined,
      (error: unknown) => output.warn(`fc-runtime local: ${(error as Error).message}\n`),
    );
    await Promise.race([initialized, signals.received]);
    if (!signals.signal.aborted)
      output.say(
        `fc-runtime local: http://${HOST}:${command.port}/ → ${describe(config)} ` +
          `(pid ${String(instance.runtime.pid)}, listening after ${instance.runtime.startMs} ms). ` +
          `Ctrl-C ${config.preStop === undefined ? 'stops it' : 'sends /pre-stop and stops it'}.\n`,
      );

    const signal = await signals.received;
    const preStop = config.preStop === undefined ? '' : 'sending /pre-stop, then ';
    output.say(`fc-runtime local: ${signal}: ${preStop}SIGTERM (Ctrl-C again to kill it at once).\n`);
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
