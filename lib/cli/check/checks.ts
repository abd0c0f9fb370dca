// Every check of `fc-runtime check`, in the order they print: each a pure verdict over what one stage of FC's lifecycle showed.
// Adding a check is writing its verdict function and putting it in the list of the stage whose evidence it reads.
import type { RuntimeHooks } from '../../hooks-line';
import { BOOTSTRAP_RULES, type BootstrapFile, type BootstrapVerdict } from '../fc/bootstrap';
import type { FunctionConfig } from '../fc/function-config';
import type { SYaml } from '../fc/s-yaml';
import type { Check } from '../fc/verdict';
import { reservedEnvVerdict, sYamlVerdict } from './config';
import { connectionVerdict, type ConnectionEvidence } from './connection';
import { fcNodeUse, fcNodeVerdict } from './fc-node';
import {
  commandVerdict,
  environmentSizeVerdict,
  functionTimeoutVerdict,
  hooksVerdict,
  htmlDomainVerdict,
  logConfigVerdict,
  triggerMethodsVerdict,
  type CommandEvidence,
} from './function';
import { forbiddenHeadersVerdict, headerSizeVerdict } from './headers';
import type { ServerRecord } from './probe';
import {
  coldStartVerdict,
  hookFailed,
  initializerFailed,
  listensVerdict,
  requestVerdict,
  sigtermVerdict,
  stillRunningVerdict,
  type Outcome,
  type Start,
} from './protocol';

export const SITE = 'GET / via /http-invoke';

/** FC's requests, in FC's order, and the runtime's log once their markers are out. */
export interface Requests {
  lines: readonly string[];
  initialize: Outcome;
  invoke: Outcome;
  site: Outcome;
}

/** The connections after FC's requests: the answers, the server's own settings, a connection left idle. */
export interface Connections extends ConnectionEvidence {
  /** The header names the app itself set, by request id, where the probe in the server saw them. */
  setByApp: ReadonlyMap<string, string[]>;
  /** The runtime's exit status if it has exited already. */
  exitStatus: number | string | undefined;
}

/** FC's `/pre-stop` request, and the runtime's log once its markers are out. */
export interface PreStop {
  lines: readonly string[];
  outcome: Outcome;
}

/** How the runtime ended after SIGTERM. */
export interface Sigterm {
  ms: number;
  exitStatus: number | string | undefined;
}

/** The function as FC would run it, beside what the server run showed (nothing, when it did not start). */
export interface Fit {
  config: FunctionConfig;
  /** The bootstrap's text, when FC runs one. */
  bootstrap: string | undefined;
  /** What the runtime said it has (EXPRESS_FC_PRINT_HOOKS), if it said. */
  hooks: RuntimeHooks | undefined;
  site: Outcome;
  server: ServerRecord | undefined;
  /** The Node the local run used: the runtime's own, else this CLI's. */
  localNode: string;
}

export interface Checks {
  config: readonly Check<SYaml>[];
  function: readonly Check<FunctionConfig>[];
  bootstrap: readonly Check<BootstrapFile, BootstrapVerdict>[];
  command: readonly Check<CommandEvidence, BootstrapVerdict>[];
  start: readonly Check<Start>[];
  requests: readonly Check<Requests>[];
  connections: readonly Check<Connections>[];
  preStop: readonly Check<PreStop>[];
  sigterm: readonly Check<Sigterm>[];
  fit: readonly Check<Fit>[];
}

export const CHECKS: Checks = {
  config: [sYamlVerdict, reservedEnvVerdict],
  function: [environmentSizeVerdict, triggerMethodsVerdict, logConfigVerdict],
  bootstrap: BOOTSTRAP_RULES,
  command: [commandVerdict],
  start: [listensVerdict],
  requests: [
    ({ lines }) => coldStartVerdict(lines),
    ({ initialize, lines }) => requestVerdict('POST /initialize', initialize, 'Initialize', lines, initializerFailed),
    ({ invoke, lines }) => requestVerdict('POST /invoke', invoke, 'Invoke', lines),
    ({ site, lines }) => requestVerdict(SITE, site, 'Invoke', lines),
  ],
  connections: [
    connectionVerdict,
    ({ answers }) => headerSizeVerdict(answers),
    ({ answers, setByApp }) => forbiddenHeadersVerdict(answers, (requestId) => setByApp.get(requestId)),
    ({ exitStatus }) => stillRunningVerdict(exitStatus),
  ],
  preStop: [({ outcome, lines }) => requestVerdict('GET /pre-stop', outcome, 'PreStop', lines, hookFailed)],
  sigterm: [sigtermVerdict],
  fit: [
    ({ config, bootstrap, localNode }) => fcNodeVerdict({ config, use: fcNodeUse(config, bootstrap), localNode }),
    hooksVerdict,
    htmlDomainVerdict,
    functionTimeoutVerdict,
  ],
};
