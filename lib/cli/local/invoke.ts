// fc-runtime local invoke: one event through a local FC instance; the answer on stdout, the runtime's log and the summary on stderr.
import { randomUUID } from 'crypto';
import { readFile, stat } from 'fs/promises';
import { UserError } from '../../user-error';
import type { Io, LocalInvokeCommand } from '../args';
import { failed, type ControlAnswer } from '../fc/answer';
import { Instance } from '../fc/instance';
import { MAX_BODY_BYTES } from '../fc/limits';
import { watchCodeFolder } from '../fc/code-watch';
import { functionOf } from '../fc/s-yaml';
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

/** One control call, its summary line written once the runtime's End marker for it is out (or a moment later). */
async function call(instance: Instance, what: string, controlPath: string, body: Buffer, io: Io): Promise<ControlAnswer | undefined> {
  const requestId = randomUUID();
  const started = Date.now();
  let answer: ControlAnswer | undefined;
  let problem: string | undefined;
  try {
    // The event may run as long as the function's timeout, which FC knows and this does not.
    answer = await instance.client.control(controlPath, body, controlPath === '/invoke' ? Infinity : undefined, requestId);
  } catch (error) {
    problem = (error as Error).message;
  }
  await afterEndMarker(instance, requestId);
  if (answer === undefined) {
    const exit = instance.runtime.exitStatus === undefined ? '' : `; the runtime exited (${instance.runtime.exitStatus})`;
    io.stderr.write(summaryLine({ what, status: 'no answer', ms: Date.now() - started, requestId, note: `${String(problem)}${exit}` }));
    return undefined;
  }
  io.stderr.write(summaryLine({ what, status: answer.status, headers: answer.headers, ms: answer.ms, requestId }));
  return answer;
}

/** `/initialize`, then `/invoke` with the event unless the initializer failed; the answer FC would return to the caller, and whether it succeeded. */
async function invokeOnce(instance: Instance, event: Buffer, io: Io): Promise<boolean> {
  const initialized = await call(instance, 'Initialize', '/initialize', Buffer.alloc(0), io);
  if (initialized === undefined) return false;
  if (failed(initialized.headers)) {
    // FC fails the invocation with the initializer's error.
    io.stdout.write(initialized.body);
    return false;
  }
  const answer = await call(instance, 'Invoke', '/invoke', event, io);
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
  const event = await readEvent(command.event, io);
  const signals = stopSignals();
  const codeWatch = watchCodeFolder(functionOf(command.dir, { env: io.env }).config.codeDir, (file) =>
    io.stderr.write(codeFolderWarning(file)),
  );
  try {
    let instance: Instance;
    try {
      instance = await Instance.start({
        dir: command.dir,
        startTimeout: command.startTimeout * 1000,
        output: io.stderr,
        env: io.env,
        signal: signals.signal,
      });
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
