import { describe, expect, it } from 'vitest';
import { monotoneRange, pearson, rankAverage, seededRandom, spearman } from '../src/plugins/train/stats.js';

// reference values from scipy.stats (Debian python3-scipy) 
describe('train stats', () => {
  it('ranks ties by their average rank (scipy rankdata)', () => {
    expect([...rankAverage([3, 1, 4, 1, 5, 9, 2, 6])]).toEqual([4, 1.5, 5, 1.5, 6, 8, 3, 7]);
  });
  it('computes Spearman as scipy.stats.spearmanr, with ties', () => {
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(0.8207826816681233, 14);
    expect(spearman([3, 1, 4, 1, 5, 9, 2, 6], [2, 7, 1, 8, 2, 8, 1, 8])).toBeCloseTo(0.19885368120992467, 14);
    expect(spearman([1, 2, 3], [3, 2, 1])).toBe(-1);
  });
  it('returns NaN for a constant side', () => {
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
  });
  it('finds the monotone range of a curve from the first sigma', () => {
    expect(monotoneRange([0, 1, 2, 3, 4], [1, 2, 3, 3, 5])).toEqual({ from: 0, to: 2, direction: 'increasing' });
    expect(monotoneRange([0, 1, 2], [5, 4, 3])).toEqual({ from: 0, to: 2, direction: 'decreasing' });
    expect(monotoneRange([0, 1], [2, 2])).toEqual({ from: 0, to: 0, direction: 'flat' });
  });
  it('gives the same stream for the same seed (mulberry32)', () => {
    const a = seededRandom(42), b = seededRandom(42), c = seededRandom(43);
    const sa = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(sa);
    expect(c()).not.toBe(sa[0]);
    expect(sa.every((v) => v >= 0 && v < 1)).toBe(true);
  });
});
