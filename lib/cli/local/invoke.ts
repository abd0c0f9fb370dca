// fc-runtime local invoke: one event through a local FC instance; the answer on stdout, the runtime's log and the summary on stderr.
import { randomUUID } from 'crypto';
import { readFile, stat } from 'fs/promises';
import { UserError } from '../../user-error';
import type { Io, LocalInvokeCommand } from '../args';
import { failed, type ControlAnswer } from '../fc/answer';
import { TimedOut } from '../fc/client';
import { Instance } from '../fc/instance';
import { MAX_BODY_BYTES } from '../fc/limits';
import { watchCodeFolder } from '../fc/code-watch';
import { selectFunction } from '../fc/selection';
import { signalExitCode, stopSignals } from '../fc/signals';
import { sizeText } from '../size-text';
import { afterEndMarker, codeFolderWarning, summaryLine } from './summary';

function tooLarge(bytes: number): UserError {
  return new UserError(`the event is ${sizeText(bytes)}, over FC's 32 MB limit for a synchronous invocation.`);
}

async function readStdin(stdin: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    length += buffer.length;
    if (length > MAX_BODY_BYTES) throw tooLarge(length);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** The event's bytes: the file, stdin for `-`, or none. Read before the runtime starts, so a bad file costs nothing. */
async function readEvent(file: string | undefined, io: Io): Promise<Buffer> {
  if (file === undefined) return Buffer.alloc(0);
  if (file === '-') return readStdin(io.stdin);
  let size: number;
  try {
    const stats = await stat(file);
    if (stats.isDirectory()) throw new UserError(`the event file ${file} is a folder.`);
    size = stats.size;
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`no event file ${file}`);
  }
  if (size > MAX_BODY_BYTES) throw tooLarge(size);
  try {
    return await readFile(file);
  } catch (error) {
    throw new UserError(`the event file ${file} could not be read: ${(error as Error).message}`);
  }
}

/** FC's answer to a call cut at its timeout: the error JSON of a synchronous invocation. */
const timedOutBody = (what: string, seconds: number) =>
  Buffer.from(JSON.stringify({ errorMessage: `${what} timed out after ${seconds} seconds` }));

/**
 * One control call within `timeoutS` (Infinity: none), its summary line written once the runtime's
 * End marker for it is out (or a moment later). Undefined when it got no answer; FC's timeout answer
 * when it was cut.
 */
async function call(
  instance: Instance,
  what: string,
  controlPath: string,
  body: Buffer,
  timeoutS: number,
  io: Io,
): Promise<ControlAnswer | undefined> {
  const requestId = randomUUID();
  const started = Date.now();
  let answer: ControlAnswer | undefined;
  let problem: Error | undefined;
  try {
    answer = await instance.client.control(controlPath, body, timeoutS * 1000, requestId);
  } catch (error) {
    problem = error as Error;
  }
  await afterEndMarker(instance, requestId);
  const ms = Date.now() - started;
  if (problem instanceof TimedOut) {
    // FC cuts the call at the function's timeout and answers it failed; the instance lives on.
    const headers = { 'x-fc-status': '404', 'x-fc-error-type': 'UnhandledInvocationError' };
    io.stderr.write(
      summaryLine({
        what,
        status: 'timed out',
        headers,
        ms,
        requestId,
        note: `cut at the ${what === 'Invoke' ? 'function' : 'initializer'}'s timeout, ${timeoutS} s`,
      }),
    );
    return {
      requestId,
      status: 200,
      headers,
      body: timedOutBody(what === 'Invoke' ? 'Function' : 'Function initialization', timeoutS),
      ms,
    };
  }
  if (answer === undefined) {
    const exit = instance.runtime.exitStatus === undefined ? '' : `; the runtime exited (${instance.runtime.exitStatus})`;
    io.stderr.write(summaryLine({ what, status: 'no answer', ms, requestId, note: `${String(problem?.message)}${exit}` }));
    return undefined;
  }
  io.stderr.write(summaryLine({ what, status: answer.status, headers: answer.headers, ms: answer.ms, requestId }));
  return answer;
}

/**
 * `/initialize` when s.yaml configures an initializer, then `/invoke` with the event unless the
 * initializer failed, each within its timeout; the answer FC would return to the caller, and whether
 * it succeeded.
 */
async function invokeOnce(instance: Instance, event: Buffer, io: Io): Promise<boolean> {
  const { initializer, timeoutS } = instance.config;
  if (initializer !== undefined) {
    const initialized = await call(instance, 'Initialize', '/initialize', Buffer.alloc(0), initializer.timeoutS, io);
    if (initialized === undefined) return false;
    if (failed(initialized.headers)) {
      // FC fails the invocation with the initializer's error.
      io.stdout.write(initialized.body);
      return false;
    }
  }
  const answer = await call(instance, 'Invoke', '/invoke', event, timeoutS, io);
  if (answer === undefined) return false;
  // Byte for byte, so `> out.json` keeps the answer as it is; a terminal gets a last newline to read it.
  const terminal =
    (io.stdout as { isTTY?: boolean }).isTTY === true && answer.body.length > 0 && answer.body[answer.body.length - 1] !== 0x0a;
  await new Promise<void>((resolve) =>
    io.stdout.write(terminal ? Buffer.concat([answer.body, Buffer.from('\n')]) : answer.body, () => resolve()),
  );
  return !failed(answer.headers);
}

export async function localInvoke(command: LocalInvokeCommand, io: Io): Promise<number> {
  const { config, localEnv, startTimeout, notes } = selectFunction(command.dir, command, io.env);
  const event = await readEvent(command.event, io);
  for (const note of notes) io.stderr.write(`fc-runtime local invoke: ${note}\n`);
  const signals = stopSignals();
  const codeWatch = watchCodeFolder(config.codeDir, (file) => io.stderr.write(codeFolderWarning(file)));
  try {
    let instance: Instance;
    try {
      instance = await Instance.start({ config, localEnv, startTimeout, output: io.stderr, env: io.env, signal: signals.signal });
    } catch (error) {
      if (!signals.signal.aborted) throw error;
      io.stderr.write('fc-runtime local invoke: interrupted before the function started; it was stopped.\n');
      return signalExitCode(await signals.received);
    }
    signals.onRepeat(() => void instance.kill('SIGKILL'));
    const outcome = await Promise.race([invokeOnce(instance, event, io), signals.received]);
    await instance.stop();
    if (typeof outcome === 'string') {
      io.stderr.write('fc-runtime local invoke: interrupted; the function was stopped.\n');
      return signalExitCode(outcome);
    }
    return outcome ? 0 : 1;
  } finally {
    codeWatch.close();
    signals.dispose();
  }
}
