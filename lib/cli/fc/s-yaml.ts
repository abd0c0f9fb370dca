// The function's configuration as Serverless Devs reads it from s.yaml: its fc3 resources, their magic variables resolved, as FunctionConfigs.
import { parse as parseDotenv } from 'dotenv';
import { existsSync, readFileSync, statSync } from 'fs';
import { basename, join, resolve } from 'path';
import { parseDocument } from 'yaml';
import { UserError } from '../../user-error';
import {
  bootstrapFunction,
  FC_DEFAULTS,
  type FunctionConfig,
  type HealthCheck,
  type HttpTrigger,
  type LifecycleHook,
} from './function-config';
import { Resolver, type Scope } from './s-vars';

/** s.yaml as read: absent, unreadable (with the parser's reason), or its fc3 functions and what could not be resolved in it. */
export type SYaml =
  | { state: 'absent' }
  | { state: 'broken'; file: string; reason: string }
  | { state: 'read'; file: string; functions: FunctionConfig[]; unresolved: string[] };

type Props = Record<string, unknown>;
const isRecord = (value: unknown): value is Props => typeof value === 'object' && value !== null && !Array.isArray(value);
const record = (value: unknown): Props => (isRecord(value) ? value : {});
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
/** A positive number as s.yaml writes it (a number, or a string after variables). */
function number(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
/** A scalar as FC keeps it: a string (numbers and booleans written out, anything else as JSON). */
const scalar = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
const words = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(scalar) : value === undefined || value === null ? [] : [scalar(value)];

/** The file `s` reads: s.yaml, else s.yml. */
function sYamlFile(dir: string): string | undefined {
  return ['s.yaml', 's.yml'].map((name) => join(dir, name)).find((file) => existsSync(file));
}

/** `.env` beside s.yaml, which `s` loads into its environment before resolving `${env(…)}`; the shell's values win, as with dotenv. */
function sEnvironment(dir: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  try {
    return { ...parseDotenv(readFileSync(join(dir, '.env'))), ...env };
  } catch {
    return env;
  }
}

function hook(value: unknown, max: number): LifecycleHook | undefined {
  const config = record(value);
  const handler = text(config.handler);
  if (handler === undefined) return undefined;
  return { handler, timeoutS: Math.min(number(config.timeout) ?? FC_DEFAULTS.timeoutS, max) };
}

function healthCheck(value: unknown): HealthCheck | undefined {
  const config = record(value);
  const path = text(config.httpGetUrl);
  if (path === undefined) return undefined;
  return {
    path: path.startsWith('/') ? path : `/${path}`,
    initialDelayS: typeof config.initialDelaySeconds === 'number' ? config.initialDelaySeconds : 0,
    periodS: number(config.periodSeconds) ?? 3,
    timeoutS: number(config.timeoutSeconds) ?? 1,
    failureThreshold: number(config.failureThreshold) ?? 3,
    successThreshold: number(config.successThreshold) ?? 1,
  };
}

function httpTriggers(value: unknown): HttpTrigger[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).flatMap((trigger) => {
    if (trigger.triggerType !== 'http') return [];
    const config = record(trigger.triggerConfig);
    return [
      {
        name: text(trigger.triggerName) ?? 'http',
        methods: words(config.methods).map((method) => method.toUpperCase()),
        authType: text(config.authType) ?? 'anonymous',
      },
    ];
  });
}

/** The code folder: `code:` when it names a folder (relative to s.yaml), else s.yaml's folder (a ZIP, OSS, or nothing). */
function codeDir(projectDir: string, code: unknown): string {
  const path = typeof code === 'string' ? code : text(record(code).src);
  if (path === undefined) return projectDir;
  const dir = resolve(projectDir, path);
  try {
    return statSync(dir).isDirectory() ? dir : projectDir;
  } catch {
    return projectDir;
  }
}

/** The names of the functions an fc3-domain resource routes to. */
function routedFunctions(resources: Props): Set<string> {
  const names = new Set<string>();
  for (const resource of Object.values(resources)) {
    if (!isRecord(resource) || resource.component !== 'fc3-domain') continue;
    const routes = record(record(resource.props).routeConfig).routes;
    if (!Array.isArray(routes)) continue;
    for (const route of routes) {
      const name = text(record(route).functionName);
      if (name !== undefined) names.add(name);
    }
  }
  return names;
}

function functionConfig(resource: string, props: Props, projectDir: string, routed: Set<string>): FunctionConfig {
  const runtimeConfig = record(props.customRuntimeConfig);
  const command = [...words(runtimeConfig.command), ...words(runtimeConfig.args)];
  const lifecycle = record(props.instanceLifecycleConfig);
  const name = text(props.functionName) ?? resource;
  const environment: Record<string, string> = {};
  for (const [key, value] of Object.entries(record(props.environmentVariables))) {
    environment[key] = value === null || value === undefined ? '' : scalar(value);
  }
  return {
    resource,
    name,
    projectDir,
    codeDir: codeDir(projectDir, props.code),
    runtime: text(props.runtime),
    command: command.length > 0 ? command : undefined,
    port: number(runtimeConfig.port) ?? FC_DEFAULTS.port,
    healthCheck: healthCheck(runtimeConfig.healthCheckConfig),
    environment,
    handler: text(props.handler) ?? FC_DEFAULTS.handler,
    memoryMb: number(props.memorySize) ?? FC_DEFAULTS.memoryMb,
    timeoutS: number(props.timeout) ?? FC_DEFAULTS.timeoutS,
    initializer: hook(lifecycle.initializer, FC_DEFAULTS.maxInitializerS),
    preStop: hook(lifecycle.preStop, FC_DEFAULTS.maxPreStopS),
    concurrency: number(props.instanceConcurrency) ?? FC_DEFAULTS.concurrency,
    layers: words(props.layers),
    httpTriggers: httpTriggers(props.triggers),
    customDomain: routed.has(name),
    logConfig: props.logConfig !== undefined && props.logConfig !== null && props.logConfig !== '',
    region: text(props.region) ?? FC_DEFAULTS.region,
  };
}

/** Reads dir/s.yaml (or s.yml, as `s` does) and resolves its variables against `env` and the `.env` beside it. */
export function readSYaml(dir: string, env: NodeJS.ProcessEnv = process.env): SYaml {
  const projectDir = resolve(dir);
  const file = sYamlFile(projectDir);
  if (file === undefined) return { state: 'absent' };
  const document = parseDocument(readFileSync(file, 'utf8'));
  if (document.errors.length > 0) return { state: 'broken', file, reason: document.errors[0].message.split('\n')[0] };
  const root = record(document.toJS());
  const resources = record(root.resources);
  const scope: Scope = { vars: {}, env: sEnvironment(projectDir, env), resources, cwd: projectDir };
  const resolver = new Resolver(scope);
  scope.vars = resolver.resolve(root.vars ?? {}, 'vars');
  // One resolver per resource, for `this`; their lines gathered once each, in order.
  const unresolved = [...resolver.unresolved];
  const resolved: Props = {};
  for (const [key, value] of Object.entries(resources)) {
    const own = new Resolver({ ...scope, resource: key });
    resolved[key] = own.resolve(value, `resources.${key}`);
    for (const line of own.unresolved) if (!unresolved.includes(line)) unresolved.push(line);
  }
  const routed = routedFunctions(resolved);
  const functions = Object.entries(resolved)
    .filter(([, value]) => isRecord(value) && value.component === 'fc3')
    .map(([key, value]) => functionConfig(key, record(record(value).props), projectDir, routed));
  return { state: 'read', file, functions, unresolved };
}

export interface FunctionChoice {
  /** `--function NAME`: a resource key or a functionName. */
  functionName?: string;
  env: NodeJS.ProcessEnv;
}

/** The function the local FC runs from `dir`: the one of s.yaml (chosen with --function among several), or the folder's bootstrap without s.yaml. */
export function functionOf(dir: string, { functionName, env }: FunctionChoice): { config: FunctionConfig; unresolved: string[] } {
  const sYaml = readSYaml(dir, env);
  if (sYaml.state === 'absent') {
    if (functionName !== undefined) throw new UserError(`--function ${functionName}: there is no s.yaml in ${resolve(dir)}.`);
    return { config: bootstrapFunction(dir), unresolved: [] };
  }
  const shown = basename(sYaml.file);
  if (sYaml.state === 'broken') throw new UserError(`${shown} is not valid YAML: ${sYaml.reason}`);
  const { functions } = sYaml;
  if (functions.length === 0) throw new UserError(`${shown} has no fc3 function under resources.`);
  const names = functions.map((fn) => (fn.name === fn.resource ? fn.name : `${String(fn.resource)} (${fn.name})`)).join(', ');
  if (functionName === undefined) {
    if (functions.length > 1) throw new UserError(`${shown} has ${functions.length} functions: ${names}; choose one with --function NAME.`);
    return { config: functions[0], unresolved: sYaml.unresolved };
  }
  const config = functions.find((fn) => fn.resource === functionName || fn.name === functionName);
  if (config === undefined) throw new UserError(`--function ${functionName}: ${shown} has ${names}.`);
  return { config, unresolved: sYaml.unresolved };
}
