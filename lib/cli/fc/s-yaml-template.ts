// The s.yaml `fc-runtime init` writes: FC 3.0's shape for a Node web function (devsapp/start-web-framework's Express
// template), so that `s deploy` is the next command; each setting with a comment saying why it is there.
import { existsSync, writeFileSync } from 'fs';
import { basename, join, relative } from 'path';
import { Document, isMap, isScalar } from 'yaml';
import { loadOptions } from '../../config';
import { NODE_LAYERS, nodeLayerArn } from '../check/fc-node';
import { FC_DEFAULTS } from './function-config';

/** What the site is, as init found it. */
export interface SiteFacts {
  /** The project folder (its name names the function). */
  dir: string;
  /** The Node major of this machine: FC gets the same through the official layer. */
  nodeMajor: number;
  /** The hooks the app has (fc-runtime.config.*): FC calls them only when s.yaml configures them. */
  initializer: boolean;
  preStop: boolean;
}

/** Every method browsers and checks send: FC answers a method the trigger does not list with 403. */
export const TRIGGER_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH'];
const HOOK_TIMEOUT_S = 30;

/** A function name FC takes: letters, digits, `_` and `-`, starting with a letter or `_`, at most 64 characters. */
export function functionName(dir: string): string {
  const name = basename(dir)
    .replace(/[^\w-]/g, '-')
    .replace(/^[^A-Za-z_]+/, '');
  return (name === '' ? 'web' : name).slice(0, 64);
}

/** The Node FC will run: the local major when FC has a layer for it, else the newest layer below it (else the oldest). */
export function fcNodeMajor(local: number): number {
  const majors = Object.keys(NODE_LAYERS)
    .map(Number)
    .sort((a, b) => a - b);
  return majors.includes(local) ? local : (majors.filter((major) => major < local).at(-1) ?? majors[0]);
}

/** custom.debian10 has Node 18 and 20 of its own and takes their layers; the layers of 22 and 24 are for debian11/12 only. */
function runtimeFor(major: number): string {
  return NODE_LAYERS[major]?.runtimes.includes('custom.debian10') === true ? 'custom.debian10' : 'custom.debian12';
}

/** Sets a comment above the key at `path` (every step but the last a map). */
function note(doc: Document, path: string[], text: string): void {
  const parent = doc.getIn(path.slice(0, -1), true);
  if (!isMap(parent)) return;
  const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === path[path.length - 1]);
  if (pair !== undefined && isScalar(pair.key)) pair.key.commentBefore = ` ${text}`;
}

/** The s.yaml text for the site. */
export function sYamlText(site: SiteFacts): string {
  const name = functionName(site.dir);
  const major = fcNodeMajor(site.nodeMajor);
  const runtime = runtimeFor(major);
  const lifecycle: Record<string, unknown> = {};
  if (site.initializer) lifecycle.initializer = { handler: 'index.initializer', timeout: HOOK_TIMEOUT_S };
  if (site.preStop) lifecycle.preStop = { handler: 'index.preStop', timeout: HOOK_TIMEOUT_S };
  const props: Record<string, unknown> = {
    region: '${vars.region}',
    functionName: name,
    description: 'A Node web site on a custom runtime through express-fc-runtime',
    runtime,
    code: './',
    handler: FC_DEFAULTS.handler,
    layers: [nodeLayerArn(major)],
    customRuntimeConfig: { command: ['./bootstrap'], port: FC_DEFAULTS.port },
    ...(Object.keys(lifecycle).length > 0 ? { instanceLifecycleConfig: lifecycle } : {}),
    cpu: 0.35,
    memorySize: FC_DEFAULTS.memoryMb,
    diskSize: 512,
    timeout: 60,
    instanceConcurrency: 20,
    logConfig: 'auto',
    triggers: [
      {
        triggerName: 'http',
        triggerType: 'http',
        qualifier: 'LATEST',
        triggerConfig: { authType: 'anonymous', disableURLInternet: false, methods: TRIGGER_METHODS },
      },
    ],
  };
  const domain = `${name}-domain`;
  const doc = new Document({
    edition: '3.0.0',
    name,
    access: 'default',
    vars: { region: FC_DEFAULTS.region },
    resources: {
      [name]: { component: 'fc3', props },
      [domain]: {
        component: 'fc3-domain',
        props: {
          region: '${vars.region}',
          domainName: 'auto',
          protocol: 'HTTP',
          routeConfig: { routes: [{ path: '/*', functionName: `\${resources.${name}.props.functionName}` }] },
        },
      },
    },
  });
  doc.commentBefore =
    ' Written by `fc-runtime init`: the Serverless Devs project of this site. `s deploy` creates (or updates) the\n' +
    ' function, its HTTP trigger and a custom domain; `npx fc-runtime check` runs it here the way FC will first.';
  const at = ['resources', name, 'props'];
  note(doc, ['vars', 'region'], 'The region to deploy to; `s deploy` reads ${vars.region} below from here.');
  note(
    doc,
    [...at, 'runtime'],
    `FC's Node for Node ${major}: ${runtime === 'custom.debian10' ? 'custom.debian10 has Node 18 and 20 of its own' : 'only debian11/12 take the Node 22 and 24 layers'}.`,
  );
  note(doc, [...at, 'code'], 'This folder, as `s deploy` zips it (node_modules included); or a ZIP from `npx fc-runtime pack`.');
  note(doc, [...at, 'handler'], 'Unused by a custom runtime, but FC asks for one.');
  note(
    doc,
    [...at, 'layers'],
    `The official Node.js ${major} layer (the major this site was set up with), at /opt/nodejs${major}/bin: the bootstrap puts it first on PATH.`,
  );
  note(
    doc,
    [...at, 'customRuntimeConfig'],
    'FC starts ./bootstrap in the code folder and sends requests to port 9000 (FC_CUSTOM_LISTEN_PORT).',
  );
  if (Object.keys(lifecycle).length > 0) {
    note(
      doc,
      [...at, 'instanceLifecycleConfig'],
      'FC calls /initialize and /pre-stop only when they are configured here; the handler names are unused.',
    );
  }
  note(doc, [...at, 'logConfig'], 'Without it no line of the log reaches Log Service; auto creates the project and logstore.');
  note(doc, [...at, 'triggers'], 'Anonymous HTTP with every method: FC answers a method not listed with 403 (HEAD and OPTIONS included).');
  note(
    doc,
    ['resources', domain],
    "FC's default domain adds `content-disposition: attachment`, so browsers would download the pages: a custom domain\n (auto: a test domain FC gives) serves them as they are.",
  );
  return doc.toString({ lineWidth: 0 });
}

/**
 * Writes dir/s.yaml for the site at `entry` unless there is one (or with `force`), and says so on `out`.
 * The hooks come from fc-runtime.config.* beside the entry, where register and `fc-runtime start` find them.
 */
export async function writeSYaml(dir: string, entry: string, force: boolean, out: NodeJS.WritableStream): Promise<void> {
  const existing = ['s.yaml', 's.yml'].find((file) => existsSync(join(dir, file)));
  const shown = relative(process.cwd(), join(dir, existing ?? 's.yaml')) || 's.yaml';
  if (existing !== undefined && !force) {
    out.write(`Kept ${shown} (it exists; --force rewrites it)\n`);
    return;
  }
  // An ES module config file is imported: its hooks are known once it is in.
  const options = await loadOptions(join(dir, entry), {});
  const site = {
    dir,
    nodeMajor: Number(process.versions.node.split('.')[0]),
    initializer: options.initialize !== undefined,
    preStop: options.preStop !== undefined,
  };
  writeFileSync(join(dir, existing ?? 's.yaml'), sYamlText(site));
  const major = fcNodeMajor(site.nodeMajor);
  const hooks = [site.initializer && 'initializer', site.preStop && 'preStop'].filter(Boolean);
  out.write(
    `Wrote ${shown}: ${runtimeFor(major)} with the Nodejs${major} layer, ./bootstrap on port ${FC_DEFAULTS.port}, ` +
      `an anonymous HTTP trigger, a custom domain (auto), logConfig auto${hooks.length > 0 ? `, ${hooks.join(' and ')}` : ''}; next: s deploy\n`,
  );
}
