// PLACEHOLDER (being written): fc-runtime check.
import type { Io, CheckCommand } from './args';
import { UserError } from './../user-error';

export async function check(command: CheckCommand, io: Io): Promise<number> {
  void command;
  void io;
  throw new UserError('not built yet');
}
