// fc-runtime pack: the code ZIP FC takes — bootstrap executable, VCS and dev-only files out, production node_modules in.
import { closeSync, existsSync, openSync, readFileSync, renameSync, statSync, unlinkSync } from 'fs';
import { basename, dirname, join, relative, resolve } from 'path';
import { UserError } from '../../user-error';
import type { Io, PackCommand } from '../args';
import { codeFolder } from '../fc/code-folder';
import { sizeText } from '../size-text';
import { dependencies } from './dependencies';
import { Selector, zipPaths, type Selection } from './files';
import { largest, sizeVerdict } from './limits';
import { FC_PLATFORM, foreignNatives } from './native';
import { runsStandalone, STANDALONE, standaloneCopies, standalonePackages } from './next';
import { Progress } from './progress';
import { writeZip } from './zip';

const EXECUTABLE = 0o100755;
/** At most this many names in each summary list. */
const LISTED = 8;

function list(names: readonly string[]): string {
  return names.length <= LISTED ? names.join(', ') : `${names.slice(0, LISTED).join(', ')} and ${names.length - LISTED} more`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** Makes sure the ZIP can be written before any work: the temporary file it is written to first is created now. */
function openOutput(given: string, temporary: string): void {
  if (existsSync(given) && statSync(given).isDirectory())
    throw new UserError(`${given} is a folder; give the ZIP's file name, e.g. -o code.zip`);
  if (!existsSync(dirname(resolve(given)))) throw new UserError(`cannot write ${given}: no folder ${dirname(given)}`);
  try {
    closeSync(openSync(temporary, 'w'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'permission denied' : (code ?? (error as Error).message);
    throw new UserError(`cannot write ${given}: ${why}`);
  }
}

/** bootstrap is stored 755 whatever its mode on disk: FC runs it. Returns the line for the summary. */
function executableBootstrap(selection: Selection, io: Io): string {
  const entry = selection.files.find((file) => file.zipPath === 'bootstrap');
  if (entry === undefined) {
    io.stderr.write(
      'warning: no bootstrap in the code folder: FC will not start this code unless the function sets a startup command; run `fc-runtime init`.\n',
    );
    return 'none (see the warning)';
  }
  const was = entry.mode & 0o777;
  entry.mode = EXECUTABLE;
  return was === 0o755 ? 'mode 755' : `mode 755 (it was ${was.toString(8)} on disk; FC must be able to run it)`;
}

/** Adds node_modules as production needs it, less what `inBuild` says a build's own node_modules holds; returns the line for the summary. */
function addNodeModules(dir: string, selector: Selector, io: Io, inBuild: ReadonlySet<string>): string {
  const found = dependencies(dir, inBuild);
  const installed = existsSync(join(dir, 'node_modules'));
  if (found === undefined) {
    if (!installed) return 'none';
    selector.addAllPackages();
    io.stderr.write('warning: no package.json, so nothing tells dev packages from production ones: all of node_modules is packed.\n');
    return 'all of it (no package.json)';
  }
  if (found.missing.length > 0) {
    io.stderr.write(
      `warning: not installed: ${list(found.missing)}; run \`npm install --omit=dev\` in the code folder (or use a layer that has them).\n`,
    );
  }
  if (found.outside.length > 0) {
    io.stderr.write(
      `note: packed from outside the code folder, where Node finds them (a workspace's hoisting, links): ${list(found.outside)}.\n`,
    );
  }
  if (!installed && found.production.length === 0) return 'none installed';
  for (const pkg of found.production) selector.addPackage(pkg);
  selector.addBinLinks(found.production);
  if (found.unlisted.length > 0) {
    io.stderr.write(
      `warning: left out, as in neither dependencies nor devDependencies: ${list(found.unlisted)}; \`npm install --save\` any the site needs.\n`,
    );
  }
  const left = found.dev.length + found.unlisted.length;
  const built = inBuild.size > 0 ? `; ${plural(inBuild.size, 'package')} in ${STANDALONE}/node_modules, as Next traced them` : '';
  return `${plural(found.production.length, 'production package')} in; ${left} left out (${found.dev.length} dev-only${found.unlisted.length > 0 ? `, ${found.unlisted.length} unlisted` : ''})${built}`;
}

/** A bootstrap that loads express-fc-runtime needs it as a production dependency. */
function warnRuntimeDependency(dir: string, selection: Selection, io: Io): void {
  let text: string;
  try {
    text = readFileSync(join(dir, 'bootstrap'), 'utf8');
  } catch {
    return;
  }
  const packed = selection.files.some((file) => file.zipPath.startsWith('node_modules/express-fc-runtime/'));
  if (text.includes('express-fc-runtime') && !packed) {
    io.stderr.write(
      'warning: bootstrap uses express-fc-runtime but it is not packed; make it a dependency: `npm install express-fc-runtime`.\n',
    );
  }
}

export async function pack(command: PackCommand, io: Io): Promise<number> {
  const dir = codeFolder(command.dir);
  const output = resolve(command.output);
  const temporary = join(dirname(output), `.${basename(output)}.${process.pid}.tmp`);
  openOutput(command.output, temporary);
  try {
    const selector = new Selector(dir, zipPaths(output, temporary));
    selector.nextStandalone = runsStandalone(dir);
    selector.addSite();
    const copies = selector.nextStandalone ? standaloneCopies(dir) : [];
    for (const { from, to } of copies) selector.addCopy(from, to);
    const modules = addNodeModules(dir, selector, io, selector.nextStandalone ? standalonePackages(dir) : new Set());
    const { selection } = selector;
    const bootstrapLine = executableBootstrap(selection, io);
    warnRuntimeDependency(dir, selection, io);
    if (selection.files.some((file) => file.zipPath === '.env')) {
      io.stderr.write("note: .env is packed (dotenv reads it at run time); FC's environment variables are the safer place for secrets.\n");
    }
    for (const note of selection.notes) io.stderr.write(`note: ${note}\n`);
    const foreign = foreignNatives(selection.files);
    if (foreign.length > 0) {
      io.stderr.write(
        `warning: native modules built for another platform than FC's ${FC_PLATFORM}: ${list(foreign)}; install on linux-x64 before packing (\`npm ci\` in Docker, e.g. \`docker run --rm -v "$PWD":/app -w /app node:20 npm ci --omit=dev\`), or \`npm install --os=linux --cpu=x64\` for packages that ship prebuilt binaries.\n`,
      );
    }

    const bytes = selection.files.reduce((sum, file) => sum + file.size, 0);
    const progress = new Progress(io.stderr, selection.files.length, bytes);
    let zipBytes: number;
    try {
      zipBytes = await writeZip(selection, temporary, progress);
    } catch (error) {
      throw new UserError(`could not write the ZIP: ${(error as Error).message}`);
    }
    progress.finish();
    renameSync(temporary, output);

    const shown = relative(process.cwd(), output).startsWith('..') ? output : relative(process.cwd(), output);
    const count = selection.files.length + selection.links.length;
    io.stdout.write(`Wrote ${shown} (${sizeText(zipBytes)}): ${plural(count, 'file')}, ${sizeText(bytes)} unpacked\n`);
    io.stdout.write(`  bootstrap     ${bootstrapLine}\n`);
    io.stdout.write(`  node_modules  ${modules}\n`);
    if (selector.nextStandalone) {
      const copied = copies.map(({ from, to }) => `${from}/ → ${to}/`);
      io.stdout.write(
        `  next.js       standalone server; ${copied.length === 0 ? 'public/ and .next/static/ already in place' : copied.join(', ')}\n`,
      );
    }
    io.stdout.write(`  left out      ${selection.leftOut.length === 0 ? 'nothing' : list(selection.leftOut)}\n`);
    const verdict = sizeVerdict(zipBytes);
    io.stdout.write(`  FC limits     ${verdict.line}\n`);
    if (verdict.close) io.stdout.write(`  largest       ${largest(selection.files)}\n`);
    if (verdict.warning !== undefined) io.stderr.write(`warning: ${verdict.warning}\n`);
    return 0;
  } finally {
    if (existsSync(temporary)) unlinkSync(temporary);
  }
}
