/** Settled result of one item of {@link mapSettled}. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Maps `items` with at most `limit` calls of `fn` in flight, keeping input order and never
 * rejecting: each item settles on its own.
 */
export async function mapSettled<I, O>(items: readonly I[], limit: number, fn: (item: I, index: number) => Promise<O>): Promise<Settled<O>[]> {
  const out = new Array<Settled<O>>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = { ok: true, value: await fn(items[i]!, i) };
      } catch (error) {
        out[i] = { ok: false, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
