import { describe, expect, it } from 'vitest';
import { aggregateAll, max, mean, percentile } from '../src/core/aggregate.js';

describe('aggregators', () => {
  it('percentile interpolates linearly between ranks like numpy', () => {
    // numpy.percentile([1, 2, 3, 4], 75) == 3.25 ; ([10, 0, 5], 75) == 7.5
    expect(percentile(75).aggregate([1, 2, 3, 4])).toBe(3.25);
    expect(percentile(75).aggregate([10, 0, 5])).toBe(7.5);
    expect(percentile(0).aggregate([3, 1, 2])).toBe(1);
    expect(percentile(100).aggregate([3, 1, 2])).toBe(3);
    expect(percentile(50).aggregate([7])).toBe(7);
    expect(percentile(75).name).toBe('p75');
  });

  it('returns null for no values and ignores non-finite ones', () => {
    expect(percentile(75).aggregate([])).toBeNull();
    expect(mean().aggregate([Number.NaN])).toBeNull();
    expect(mean().aggregate([1, Number.NaN, 3])).toBe(2);
    expect(max().aggregate([-5, -2, Number.POSITIVE_INFINITY])).toBe(-2);
  });

  it('mean is accurate over a million values', () => {
    const xs = Array.from({ length: 1_000_000 }, (_, i) => (i % 10) * 0.1 + 1e8);
    expect(mean().aggregate(xs)).toBeCloseTo(1e8 + 0.45, 6);
  });

  it('aggregateAll keys by name', () => {
    expect(aggregateAll([percentile(75), mean(), max()], [0, 1])).toEqual({ p75: 0.75, mean: 0.5, max: 1 });
  });

  it('rejects a percentile outside 0..100', () => {
    expect(() => percentile(101)).toThrow(/Expected a number from 0 to 100 for percentile but received 101/);
  });
});
