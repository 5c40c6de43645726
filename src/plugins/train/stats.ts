/** Small statistics used by the trainer and the estimator comparison. */

/** 1-based ranks, ties get their average rank (as scipy.stats.rankdata "average"). */
export function rankAverage(values: readonly number[]): Float64Array {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Float64Array(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    const r = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) ranks[order[t]![1]] = r;
    i = j + 1;
  }
  return ranks;
}

/** Pearson correlation; NaN when either side is constant or the lengths differ. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n !== b.length || n < 2) return NaN;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma, db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa === 0 || sbb === 0 ? NaN : sab / Math.sqrt(saa * sbb);
}

/** Spearman rank correlation with average ranks for ties (scipy.stats.spearmanr). */
export function spearman(a: readonly number[], b: readonly number[]): number {
  return pearson(rankAverage(a), rankAverage(b));
}

/** Root mean squared error. */
export function rmse(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += (pred[i]! - target[i]!) ** 2;
  return Math.sqrt(s / Math.max(1, pred.length));
}

/** Arithmetic mean (NaN for an empty list). */
export function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return values.length ? s / values.length : NaN;
}

/** Median (NaN for an empty list). */
export function median(values: readonly number[]): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * The longest run of consecutive sigmas (from the first) over which the median curve moves
 * strictly in one direction: `[sigmas[0], sigmas[end]]`, and that direction.
 */
export function monotoneRange(sigmas: readonly number[], curve: readonly number[]): { from: number; to: number; direction: 'increasing' | 'decreasing' | 'flat' } {
  const first = sigmas[0] ?? NaN;
  if (curve.length < 2) return { from: first, to: first, direction: 'flat' };
  const sign = Math.sign(curve[1]! - curve[0]!);
  if (sign === 0) return { from: first, to: first, direction: 'flat' };
  let end = 1;
  while (end + 1 < curve.length && Math.sign(curve[end + 1]! - curve[end]!) === sign) end++;
  return { from: first, to: sigmas[end]!, direction: sign > 0 ? 'increasing' : 'decreasing' };
}

/** A seeded PRNG (mulberry32): deterministic floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws from a uniform PRNG (Box-Muller). */
export function gaussianRandom(rand: () => number): () => number {
  return () => {
    const u = Math.max(rand(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
}

/** Fisher-Yates shuffle in place with the given PRNG. */
export function shuffle<T>(items: T[], rand: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
