// PLACEHOLDER (being written): fc-runtime pack.
import type { Io, PackCommand } from './args';
import { UserError } from './../user-error';

export async function pack(command: PackCommand, io: Io): Promise<number> {
  void command;
  void io;
  throw new UserError('not built yet');
}
