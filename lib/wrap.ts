// A method of Node's requests or responses, wrapped once per Express app rather than once per request.

type Method = (this: never, ...args: never[]) => unknown;

/**
 * Express gives every request and response its app's prototype and then adds properties to it,
 * which makes each object's shape unique: adding one more property to it costs far more than
 * anything else the runtime does per request. So where the object has such a prototype, the method
 * is wrapped there, once per app; elsewhere (a plain http server) on the object itself, which is
 * cheap. `wrap(previous)` makes the wrapper, which must find its invocation from `this`.
 */
export class MethodWrap<F extends Method> {
  private readonly ours = new WeakSet<F>();
  private readonly node: F;
  private readonly onNode: F;

  constructor(
    private readonly base: object,
    private readonly key: string,
    private readonly wrap: (previous: F) => F,
    /** Whether an object whose own method someone else replaced gets our wrapper around theirs. */
    private readonly overOthers: boolean,
  ) {
    this.node = (base as Record<string, F>)[key];
    this.onNode = this.create(this.node);
  }

  /** Makes the method `target` calls ours; false, changing nothing, where it is someone else's and overOthers is off. */
  apply(target: object): boolean {
    const current = (target as Record<string, F>)[this.key];
    if (this.ours.has(current)) return true;
    const proto = Object.getPrototypeOf(target) as Record<string, unknown> | null;
    if (proto !== null && proto !== this.base && proto[this.key] === current && Object.isExtensible(proto)) {
      Object.defineProperty(proto, this.key, { value: this.create(current), writable: true, configurable: true });
      return true;
    }
    if (current !== this.node && !this.overOthers) return false;
    (target as Record<string, F>)[this.key] = current === this.node ? this.onNode : this.create(current);
    return true;
  }

  private create(previous: F): F {
    const wrapper = this.wrap(previous);
    this.ours.add(wrapper);
    return wrapper;
  }
}
