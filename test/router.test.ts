import { describe, expect, it } from 'vitest';
import { createRouter, deepBlurMMRules } from '../src/core/router.js';
import { isBlurmmError } from '../src/core/errors.js';

/** the next representable double above / below x (x finite, non-zero) */
function nextUp(x: number): number {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, x);
  b.setBigUint64(0, b.getBigUint64(0) + (x > 0 ? 1n : -1n));
  return b.getFloat64(0);
}
function nextDown(x: number): number {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, x);
  b.setBigUint64(0, b.getBigUint64(0) + (x > 0 ? -1n : 1n));
  return b.getFloat64(0);
}

describe('DeepBlurMM routing (LV > 25 base; 2 <= LV <= 25 sigma0.5; LV < 2 sigma1.0)', () => {
  const router = createRouter({ rules: deepBlurMMRules() });
  const at = (lv: number) => router.route({ lv });

  it('has neighbours one ulp apart', () => {
    expect(nextUp(25)).toBeGreaterThan(25);
    expect(nextUp(25) - 25).toBeLessThan(1e-14);
    expect(nextDown(2)).toBeLessThan(2);
  });

  it('routes exactly at and around the upper threshold 25', () => {
    expect(at(25)).toEqual({ index: 1, label: 'moderate', model: 'sigma0.5' });
    expect(at(nextUp(25))).toEqual({ index: 0, label: 'sharp', model: 'base' });
    expect(at(25.000001).model).toBe('base');
    expect(at(nextDown(25)).model).toBe('sigma0.5');
    expect(at(24.999999).model).toBe('sigma0.5');
  });

  it('routes exactly at and around the lower threshold 2', () => {
    expect(at(2)).toEqual({ index: 1, label: 'moderate', model: 'sigma0.5' });
    expect(at(nextDown(2))).toEqual({ index: 2, label: 'severe', model: 'sigma1.0' });
    expect(at(1.999999).model).toBe('sigma1.0');
    expect(at(nextUp(2)).model).toBe('sigma0.5');
  });

  it('covers the extremes and sends NaN or a missing output to the fallback', () => {
    expect(at(0).label).toBe('severe');
    expect(at(1e9).label).toBe('sharp');
    expect(at(Infinity).label).toBe('sharp');
    expect(at(Number.NaN)).toEqual({ index: -1, label: 'unrouted', model: null });
    expect(router.route({ other: 3 })).toEqual({ index: -1, label: 'unrouted', model: null });
  });

  it('honours custom thresholds, outputs and model ids', () => {
    const r = createRouter({ rules: deepBlurMMRules({ output: 'fl', sharpAbove: 10, severeBelow: 1, models: { severe: null } }) });
    expect(r.route({ fl: 10 }).label).toBe('moderate');
    expect(r.route({ fl: 0.5 })).toEqual({ index: 2, label: 'severe', model: null });
  });
});

describe('custom rules', () => {
  it('evaluates rules in order with AND-ed conditions and exclusive/inclusive bounds', () => {
    const r = createRouter({
      rules: [
        { label: 'a', when: [{ output: 'lv', min: { value: 10, inclusive: false } }, { output: 'fl', max: { value: 0, inclusive: true } }], model: 'A' },
        { label: 'b', when: [{ output: 'lv', min: { value: 10, inclusive: true } }], model: 'B' },
      ],
      fallback: { label: 'rest', model: 'C' },
    });
    expect(r.route({ lv: 11, fl: 0 }).model).toBe('A');
    expect(r.route({ lv: 11, fl: 0.1 }).model).toBe('B');
    expect(r.route({ lv: 10, fl: -1 }).model).toBe('B');
    expect(r.route({ lv: 9, fl: -1 })).toEqual({ index: -1, label: 'rest', model: 'C' });
  });

  it('rejects empty ranges, duplicate labels and malformed bounds with typed errors', () => {
    const bad = [
      { rules: [{ label: 'x', when: [{ output: 'lv', min: { value: 5, inclusive: true }, max: { value: 5, inclusive: false } }], model: null }] },
      { rules: [{ label: 'x', when: [{ output: 'lv', min: { value: 1, inclusive: true } }], model: null }, { label: 'x', when: [{ output: 'lv', max: { value: 1, inclusive: true } }], model: null }] },
      { rules: [{ label: 'x', when: [{ output: 'lv', min: { value: 'a', inclusive: true } }], model: null }] },
      { rules: [{ label: 'x', when: [], model: null }] },
    ];
    for (const b of bad) {
      let err: unknown;
      try {
        createRouter(b as never);
      } catch (e) {
        err = e;
      }
      expect(isBlurmmError(err, 'E_ARGUMENT')).toBe(true);
    }
  });
});
