// The function FC runs, as its s.yaml describes it (or FC's defaults for a bare bootstrap folder): what the local FC starts and how it calls it.
import { basename, resolve } from 'path';

/** A lifecycle hook s.yaml configures (`instanceLifecycleConfig.initializer` / `.preStop`): FC calls it only then. */
export interface LifecycleHook {
  /** The handler's name: meaningless to a custom runtime, but what switches FC's call on. */
  handler: string;
  /** How long FC lets it run, in seconds (clamped to FC 3.0's limit: 300 s initializer, 90 s preStop). */
  timeoutS: number;
}

/** `customRuntimeConfig.healthCheckConfig`: FC GETs `path` until it answers 200–399 before the first request. */
export interface HealthCheck {
  path: string;
  initialDelayS: number;
  periodS: number;
  timeoutS: number;
  failureThreshold: number;
  successThreshold: number;
}

/** One of the function's HTTP triggers. */
export interface HttpTrigger {
  name: string;
  /** Upper-case methods; FC answers any other 403. */
  methods: string[];
  authType: string;
}

export interface FunctionConfig {
  /** Its key under `resources` in s.yaml (`undefined` without s.yaml). */
  resource: string | undefined;
  /** `functionName`, else the resource's key, else the folder's name. */
  name: string;
  /** The folder s.yaml is in (the code folder without s.yaml). */
  projectDir: string;
  /** The code folder: `code:` when it names a folder, else s.yaml's folder. Absolute. */
  codeDir: string;
  /** `runtime` (`custom.debian10`, `custom.debian11`, `custom.debian12`, …); undefined when s.yaml does not say. */
  runtime: string | undefined;
  /** `customRuntimeConfig.command` + `args`; undefined: FC runs `bootstrap` in the code folder. */
  command: string[] | undefined;
  /** `customRuntimeConfig.port` (9000 by default); undefined without s.yaml (any free port, as before). */
  port: number | undefined;
  healthCheck: HealthCheck | undefined;
  /** `environmentVariables`, every value a string as FC keeps them. */
  environment: Record<string, string>;
  /** `handler` (FC asks for one even for a custom runtime). */
  handler: string;
  /** `memorySize` in MB (fc3's default: 512). */
  memoryMb: number;
  /** `timeout` in seconds (fc3's default: 3). */
  timeoutS: number;
  initializer: LifecycleHook | undefined;
  preStop: LifecycleHook | undefined;
  /** `instanceConcurrency` (fc3's default for custom runtimes: 1). */
  concurrency: number;
  /** `layers` ARNs as written (`acs:fc:cn-hangzhou:official:layers/Nodejs20/versions/2`). */
  layers: string[];
  httpTriggers: HttpTrigger[];
  /** Whether an `fc3-domain` resource of s.yaml routes to this function (else browsers download HTML from FC's default domain). */
  customDomain: boolean;
  /** Whether `logConfig` is set (else no log reaches Log Service). */
  logConfig: boolean;
  region: string;
}

/** Whether the function runs the code folder's `bootstrap`, which FC's bootstrap rules (and their messages) are about. */
export function runsBootstrap({ command }: Pick<FunctionConfig, 'command'>): boolean {
  return command === undefined || /^(?:\.\/)?bootstrap$/.test(command[0]);
}

/** FC 3.0's defaults and limits that shape a function's configuration. */
export const FC_DEFAULTS = {
  port: 9000,
  memoryMb: 512,
  timeoutS: 3,
  concurrency: 1,
  region: 'cn-hangzhou',
  handler: 'index.handler',
  maxInitializerS: 300,
  maxPreStopS: 90,
  /** How long a custom runtime has to listen (FC 3.0; FC 2.0 gave 30 s). */
  startS: 120,
} as const;

/**
 * The function of a folder without s.yaml, as the local FC has always run it: `bootstrap` on any free
 * port, initializer and preStop both called (nothing says they are not configured), a timeout that
 * never cuts (nothing says what it is).
 */
export function bootstrapFunction(dir: string): FunctionConfig {
  const codeDir = resolve(dir);
  return {
    resource: undefined,
    name: basename(codeDir).replace(/[^\w-]/g, '-') || 'function',
    projectDir: codeDir,
    codeDir,
    runtime: undefined,
    command: undefined,
    port: undefined,
    healthCheck: undefined,
    environment: {},
    handler: FC_DEFAULTS.handler,
    memoryMb: FC_DEFAULTS.memoryMb,
    timeoutS: Infinity,
    initializer: { handler: 'index.initializer', timeoutS: 60 },
    preStop: { handler: 'index.preStop', timeoutS: 10 },
    concurrency: Infinity,
    layers: [],
    httpTriggers: [],
    customDomain: false,
    logConfig: false,
    region: FC_DEFAULTS.region,
  };
}
