// The check's view from inside the site's Node: the probe loaded through NODE_OPTIONS, and what it reported.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { PRINT_HOOKS_ENV } from '../../hooks-line';
import type { ResponseRecord, ServerRecord } from './probe';

export class Inside {
  private readonly folder = mkdtempSync(join(tmpdir(), 'fc-check-'));
  private readonly reportFile = join(this.folder, 'report.ndjson');
  private readonly loader = join(this.folder, 'probe.js');

  constructor() {
    // The instance passes NODE_OPTIONS on but no variable of ours, so the report's path is written into the loader.
    writeFileSync(this.loader, `require(${JSON.stringify(join(__dirname, 'probe.js'))}).install(${JSON.stringify(this.reportFile)});\n`);
  }

  /** The environment to start the instance with: the caller's, the probe required by every Node it starts, and the runtime asked for its hooks. */
  env(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const quoted = `"${this.loader.replace(/(["\\])/g, '\\$1')}"`;
    return { ...env, [PRINT_HOOKS_ENV]: '1', NODE_OPTIONS: [env.NODE_OPTIONS, `--require ${quoted}`].filter(Boolean).join(' ') };
  }

  private records(): (ServerRecord | ResponseRecord)[] {
    let text: string;
    try {
      text = readFileSync(this.reportFile, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as ServerRecord | ResponseRecord);
  }

  /** The server that answered on `port`, if the probe ran in it (the site's Node, 18.7 or later). */
  server(port: number): ServerRecord | undefined {
    return this.records().find((record): record is ServerRecord => record.kind === 'server' && record.port === port);
  }

  /** The header names the app itself set on the answer to `requestId`, if the probe saw it. */
  setByApp(requestId: string): string[] | undefined {
    return this.records().find((record): record is ResponseRecord => record.kind === 'response' && record.requestId === requestId)
      ?.setByApp;
  }

  remove(): void {
    rmSync(this.folder, { recursive: true, force: true });
  }
}
