// The function's configuration as Serverless Devs reads it from s.yaml: for now, the fc3 functions' environment variables.
import { readFileSync } from 'fs';
import { join } from 'path';
import { parseDocument } from 'yaml';

/** One fc3 resource of s.yaml: its key under `resources` and its `props.environmentVariables` names. */
export interface FunctionConfig {
  resource: string;
  envNames: string[];
}

/** s.yaml as read: absent, unreadable (with the parser's reason), or its fc3 functions. */
export type SYaml = { state: 'absent' } | { state: 'broken'; reason: string } | { state: 'read'; functions: FunctionConfig[] };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads dir/s.yaml (or s.yml, as `s` does) once. */
export function readSYaml(dir: string): SYaml {
  let text: string | undefined;
  for (const name of ['s.yaml', 's.yml']) {
    try {
      text = readFileSync(join(dir, name), 'utf8');
      break;
    } catch {
      // Not there: try the other name.
    }
  }
  if (text === undefined) return { state: 'absent' };
  const document = parseDocument(text);
  if (document.errors.length > 0) return { state: 'broken', reason: document.errors[0].message.split('\n')[0] };
  const root: unknown = document.toJS();
  const resources = isRecord(root) && isRecord(root.resources) ? root.resources : {};
  const functions: FunctionConfig[] = [];
  for (const [resource, value] of Object.entries(resources)) {
    if (!isRecord(value) || value.component !== 'fc3') continue;
    const env = isRecord(value.props) && isRecord(value.props.environmentVariables) ? value.props.environmentVariables : {};
    functions.push({ resource, envNames: Object.keys(env) });
  }
  return { state: 'read', functions };
}
