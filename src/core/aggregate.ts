import { invalidArgument } from './errors.js';
import type { Aggregator } from './types.js';

/**
 * The q-th percentile with linear interpolation between closest ranks (numpy's default, "linear").
 * The DeepBlurMM paper aggregates tile predictions with the 75th percentile.
 */
export function percentile(q: number): Aggregator {
  if (typeof q !== 'number' || !(q >= 0 && q <= 100)) throw invalidArgument('percentile', 'a number from 0 to 100', q);
  return {
    name: `p${q}`,
    aggregate(values) {
      const xs = finite(values);
      if (xs.length === 0) return null;
      xs.sort((a, b) => a - b);
      const pos = ((xs.length - 1) * q) / 100;
      const lo = Math.floor(pos);
      const hi = Math.ceil(pos);
      const a = xs[lo]!;
      const b = xs[hi]!;
      return a + (b - a) * (pos - lo);
    },
  };
}

export function mean(): Aggregator {
  return {
    name: 'mean',
    aggregate(values) {
      const xs = finite(values);
      if (xs.length === 0) return null;
      // Neumaier summation: stable for a million tiles
      let sum = 0;
      let c = 0;
      for (const x of xs) {
        const t = sum + x;
        c += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
        sum = t;
      }
      return (sum + c) / xs.length;
    },
  };
}

export function max(): Aggregator {
  return {
    name: 'max',
    aggregate(values) {
      const xs = finite(values);
      return xs.length === 0 ? null : xs.reduce((m, x) => (x > m ? x : m), -Infinity);
    },
  };
}

function finite(values: readonly number[]): number[] {
  return values.filter((v) => Number.isFinite(v));
}

/** Aggregates `values` with each aggregator, keyed by aggregator name. */
export function aggregateAll(aggregators: readonly Aggregator[], values: readonly number[]): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const a of aggregators) out[a.name] = a.aggregate(values);
  return out;
}
