// PLACEHOLDER (being written): fc-runtime local invoke.
import type { Io, LocalInvokeCommand } from '../args';
import { UserError } from '../../user-error';

export async function localInvoke(command: LocalInvokeCommand, io: Io): Promise<number> {
  void command;
  void io;
  throw new UserError('not built yet');
}
