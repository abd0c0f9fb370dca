// PLACEHOLDER (being written): fc-runtime local front.
import type { Io, LocalStartCommand } from '../args';
import { UserError } from '../../user-error';

export async function localStart(command: LocalStartCommand, io: Io): Promise<number> {
  void command;
  void io;
  throw new UserError('not built yet');
}
