// s.yaml's magic variables, resolved as Serverless Devs resolves them before a component sees its props: `${vars.x}`, `${env('X')}` / `${env.X}`, `${this.props.x}`, `${resources.r.props.x}`.

/** What an expression may read: s.yaml's `vars`, the environment, and the resources' props. */
export interface Scope {
  vars: unknown;
  env: NodeJS.ProcessEnv;
  resources: Record<string, unknown>;
  /** The resource being resolved (`this`), if any. */
  resource?: string;
  /** The folder s.yaml is in (`${cwd}`). */
  cwd: string;
}

const EXPRESSION = /\$\{([^{}]*)\}/g;
const ENV_CALL = /^env\(\s*(['"])([^'"]*)\1\s*(?:,\s*(['"])([^'"]*)\3\s*)?\)$/;
const PATH = /^[A-Za-z_$][\w$-]*(?:\.[\w$-]+|\[\d+\])*$/;
/** How deep `${this.props.a}` may lead to `${this.props.b}` and so on before it is a loop. */
const MAX_DEPTH = 8;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

function at(root: unknown, path: string[]): unknown {
  let value = root;
  for (const key of path) {
    if (!isRecord(value) || !Object.hasOwn(value, key)) return undefined;
    value = value[key];
  }
  return value;
}

/** Resolves the `${…}` of s.yaml values; what it cannot resolve is left as written and said once, in `unresolved`. */
export class Resolver {
  /** One line per expression that could not be resolved, naming it and what to do. */
  readonly unresolved: string[] = [];

  constructor(private readonly scope: Scope) {}

  /** `value` with every string's expressions resolved; a string that is one expression takes the expression's type (`timeout: ${vars.timeout}` is a number). */
  resolve(value: unknown, where: string, depth = 0): unknown {
    if (typeof value === 'string') return this.resolveString(value, where, depth);
    if (Array.isArray(value)) return value.map((item, i) => this.resolve(item, `${where}[${i}]`, depth));
    if (isRecord(value)) {
      const result: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) result[key] = this.resolve(item, where === '' ? key : `${where}.${key}`, depth);
      return result;
    }
    return value;
  }

  private resolveString(text: string, where: string, depth: number): unknown {
    const whole = /^\$\{([^{}]*)\}$/.exec(text);
    if (whole !== null) {
      const value = this.evaluate(whole[1].trim(), text, where, depth);
      return value === undefined ? text : value;
    }
    return text.replace(EXPRESSION, (written, expression: string) => {
      const value = this.evaluate(expression.trim(), written, where, depth);
      if (value === undefined) return written;
      return typeof value === 'string' ? value : JSON.stringify(value);
    });
  }

  private evaluate(expression: string, written: string, where: string, depth: number): unknown {
    const env = ENV_CALL.exec(expression);
    if (env !== null) return this.env(env[2], env[4], written, where);
    if (!PATH.test(expression)) return this.cannot(written, where, 'only vars, env, this and resources can be resolved locally');
    const path = expression.replace(/\[(\d+)\]/g, '.$1').split('.');
    const [head, ...rest] = path;
    if (head === 'env' && rest.length === 1) return this.env(rest[0], undefined, written, where);
    if (head === 'cwd' && rest.length === 0) return this.scope.cwd;
    let value: unknown;
    if (head === 'vars') value = at(this.scope.vars, rest);
    else if (head === 'this' && this.scope.resource !== undefined) {
      value = rest[0] === 'name' && rest.length === 1 ? this.scope.resource : at(this.scope.resources[this.scope.resource], rest);
    } else if (head === 'resources') value = at(this.scope.resources, rest);
    else return this.cannot(written, where, `${head} is known only to Serverless Devs (s deploy)`);
    if (value === undefined) return this.cannot(written, where, 's.yaml has no such value');
    if (depth >= MAX_DEPTH) return this.cannot(written, where, 'it refers back to itself');
    return this.resolve(value, where, depth + 1);
  }

  private env(name: string, fallback: string | undefined, written: string, where: string): string {
    const value = this.scope.env[name];
    if (value !== undefined) return value;
    if (fallback !== undefined) return fallback;
    this.unresolved.push(
      `s.yaml: ${written} (${where}): ${name} is not set, so it is empty here; set it in the shell, in .env beside s.yaml (as s reads it) or with --env ${name}=…`,
    );
    return '';
  }

  private cannot(written: string, where: string, why: string): unknown {
    this.unresolved.push(`s.yaml: ${written} (${where}) cannot be resolved here: ${why}; it is left as written.`);
    return undefined;
  }
}
