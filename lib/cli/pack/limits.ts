// The ZIP's size against FC 3.0's limits on a code package, and the packages that make it large.
import { sizeText } from '../size-text';
import type { FileEntry } from './files';

const MB = 1024 * 1024;
/** FC 3.0 takes a code ZIP of up to 500 MB through the console, Serverless Devs or OSS. */
export const UPLOAD_LIMIT = 500 * MB;
/** Through the SDK or OpenAPI, the ZIP goes Base64-encoded, and the encoding may be 100 MB. */
export const API_LIMIT = 100 * MB;
/** A size this share of a limit or more is close to it: the largest packages are named. */
const CLOSE = 0.8;
/** At most this many packages are named. */
const NAMED = 5;

/** The size of the ZIP's Base64 encoding, as the API carries it. */
export const base64Size = (zipBytes: number): number => Math.ceil(zipBytes / 3) * 4;

export interface SizeVerdict {
  /** The summary's line: where this ZIP can be uploaded. */
  line: string;
  /** A warning for stderr, when the ZIP is over or close to the 500 MB limit. */
  warning?: string;
  /** Whether the largest packages are worth naming. */
  close: boolean;
}

/** Where a ZIP of `zipBytes` can go: FC's limits are on the ZIP (and its Base64 through the API), not on the unpacked code. */
export function sizeVerdict(zipBytes: number): SizeVerdict {
  const api = base64Size(zipBytes);
  if (zipBytes > UPLOAD_LIMIT) {
    return {
      line: `over FC's 500 MB for a code ZIP (and the API's 100 MB)`,
      warning: `the ZIP is ${sizeText(zipBytes)}, over the 500 MB FC takes through the console, Serverless Devs or OSS (a quota FC can raise on request); leave out what production does not need, or move large files to a layer, NAS or OSS.`,
      close: true,
    };
  }
  if (zipBytes >= UPLOAD_LIMIT * CLOSE) {
    return {
      line: `close to FC's 500 MB for a code ZIP; over the API's 100 MB (Base64 ${sizeText(api)})`,
      warning: `the ZIP is ${sizeText(zipBytes)}, close to the 500 MB FC takes through the console, Serverless Devs or OSS.`,
      close: true,
    };
  }
  if (api > API_LIMIT) {
    return {
      line: `over the API's 100 MB (Base64 ${sizeText(api)}): deploy through the console, Serverless Devs or OSS (500 MB)`,
      close: api >= API_LIMIT,
    };
  }
  if (api >= API_LIMIT * CLOSE) {
    return { line: `close to the API's 100 MB (Base64 ${sizeText(api)}); the console, Serverless Devs and OSS take 500 MB`, close: true };
  }
  return { line: "within the API's 100 MB (Base64) and the 500 MB of the console, Serverless Devs and OSS", close: false };
}

/** The package a ZIP path is in, the innermost one (`node_modules/@scope/name/…` → `@scope/name`); undefined for the site's own files. */
export function packageOf(zipPath: string): string | undefined {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*\/node_modules\/)/.exec(zipPath);
  return match?.[1];
}

/** The largest packages by unpacked size, every copy of a name counted together, and the site's own files: `next 157.0 MB, …`. */
export function largest(files: readonly FileEntry[]): string {
  const sizes = new Map<string, number>();
  let own = 0;
  for (const file of files) {
    const name = packageOf(file.zipPath);
    if (name === undefined) own += file.size;
    else sizes.set(name, (sizes.get(name) ?? 0) + file.size);
  }
  const named = [...sizes]
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
    .slice(0, NAMED)
    .map(([name, size]) => `${name} ${sizeText(size)}`);
  return `${named.length > 0 ? `${named.join(', ')}; ` : ''}the site's own files ${sizeText(own)} (unpacked)`;
}
