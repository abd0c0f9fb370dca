// Next.js's standalone output (`output: 'standalone'`): the server and the packages it needs, without
// the public/ and .next/static/ copies Next leaves to the user, which pack makes.
import { existsSync, readdirSync, readFileSync } from 'fs';
import { join } from 'path';

export const STANDALONE = '.next/standalone';
const SERVER = `${STANDALONE}/server.js`;

/** What the standalone server needs beside it, and where it looks for each: from the site's folder, to the ZIP's. */
const COPIES = [
  { from: 'public', to: `${STANDALONE}/public` },
  { from: '.next/static', to: `${STANDALONE}/.next/static` },
];

/**
 * Whether the code folder runs Next's standalone server: the build has one, and the bootstrap runs it
 * (or there is no bootstrap yet). A bootstrap that runs `next start` needs the whole .next/ instead.
 */
export function runsStandalone(root: string): boolean {
  if (!existsSync(join(root, SERVER))) return false;
  try {
    return readFileSync(join(root, 'bootstrap'), 'utf8').includes(SERVER);
  } catch {
    return true;
  }
}

/** The copies still to make: public/ and .next/static/ where the standalone server looks, unless already there. */
export function standaloneCopies(root: string): { from: string; to: string }[] {
  return COPIES.filter(({ from, to }) => existsSync(join(root, from)) && !existsSync(join(root, to)));
}

/** The packages the standalone build holds in its own node_modules (Next traced what the server needs). */
export function standalonePackages(root: string): Set<string> {
  const folder = join(root, STANDALONE, 'node_modules');
  const names = new Set<string>();
  let entries: string[];
  try {
    entries = readdirSync(folder);
  } catch {
    return names;
  }
  for (const entry of entries) {
    if (entry.startsWith('.')) continue;
    if (!entry.startsWith('@')) names.add(entry);
    else for (const scoped of readdirSync(join(folder, entry))) names.add(`${entry}/${scoped}`);
  }
  return names;
}
