import { RegistryError } from './errors.js';

interface Entry<T> {
  readonly name: string;
  readonly value: T;
  readonly priority: number;
  readonly seq: number;
}

/**
 * A named registry with priorities (after onnxruntime-common's backend registry).
 * Higher priority is tried first; a negative priority is opt-in only (used when asked by name).
 */
export class Registry<T> {
  readonly #kind: string;
  readonly #entries = new Map<string, Entry<T>>();
  #seq = 0;

  constructor(kind: string) {
    this.#kind = kind;
  }

  register(name: string, value: T, priority = 0): void {
    if (typeof name !== 'string' || name.length === 0) {
      throw new RegistryError(`Expected a non-empty name to register a ${this.#kind}`);
    }
    const existing = this.#entries.get(name);
    if (existing && existing.value !== value && existing.priority > priority) return;
    this.#entries.set(name, { name, value, priority, seq: this.#seq++ });
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  names(): string[] {
    return this.#ordered(true).map((e) => e.name);
  }

  /** the entry registered under `name`; a typed error listing what is registered otherwise */
  get(name: string): T {
    const entry = this.#entries.get(name);
    if (!entry) {
      const known = this.names();
      throw new RegistryError(
        `No ${this.#kind} named "${name}" is registered; registered: ${known.length ? known.join(', ') : '(none)'}`,
      );
    }
    return entry.value;
  }

  /** entries in the order they are tried: priority descending, then registration order */
  ordered(includeOptIn = false): { name: string; value: T; priority: number }[] {
    return this.#ordered(includeOptIn).map(({ name, value, priority }) => ({ name, value, priority }));
  }

  #ordered(includeOptIn: boolean): Entry<T>[] {
    return [...this.#entries.values()]
      .filter((e) => includeOptIn || e.priority >= 0)
      .sort((a, b) => b.priority - a.priority || a.seq - b.seq);
  }

  /**
   * Try each candidate in priority order with `attempt`; return the first success.
   * When all fail, throw one RegistryError carrying each cause.
   */
  async first<R>(attempt: (value: T, name: string) => Promise<R | undefined>, candidates?: readonly string[]): Promise<R> {
    const list = candidates ? candidates.map((n) => ({ name: n, value: this.get(n) })) : this.ordered();
    const failures: { name: string; cause: unknown }[] = [];
    for (const { name, value } of list) {
      try {
        const result = await attempt(value, name);
        if (result !== undefined) return result;
      } catch (cause) {
        failures.push({ name, cause });
      }
    }
    const detail = failures.map((f) => `${f.name}: ${f.cause instanceof Error ? f.cause.message : String(f.cause)}`);
    throw new RegistryError(
      `No ${this.#kind} could serve${detail.length ? ` (${detail.join('; ')})` : ` (tried: ${list.map((l) => l.name).join(', ') || 'none'})`}`,
      failures,
    );
  }
}
