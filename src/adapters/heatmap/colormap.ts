/** Colour ramps and value scales for heatmaps and the report. */
import type { Rgb } from '../geojson/classes.js';

/** Blurriest (t = 0) to sharpest (t = 1): ColorBrewer RdYlGn. */
export const BLUR_RAMP: readonly Rgb[] = [[165, 0, 38], [244, 109, 67], [254, 224, 139], [166, 217, 106], [26, 152, 80]];
/** Prediction score 0 (blue) to 1 (red). */
export const SCORE_RAMP: readonly Rgb[] = [[59, 76, 192], [141, 176, 254], [221, 221, 221], [244, 154, 123], [180, 4, 38]];

/** Colour at t in [0, 1] on a ramp of evenly spaced stops. */
export function rampColor(ramp: readonly Rgb[], t: number): Rgb {
  const u = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0)) * (ramp.length - 1);
  const i = Math.min(ramp.length - 2, Math.floor(u));
  const f = u - i;
  const a = ramp[i]!, b = ramp[i + 1]!;
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

/** A value-to-[0,1] scale, linear or logarithmic, with the direction folded in (1 = sharpest). */
export interface BlurScale {
  readonly lo: number;
  readonly hi: number;
  readonly log: boolean;
  readonly higherIsSharper: boolean;
  /** position in [0, 1] of a value (0 = blurriest) */
  t(value: number): number;
}

/**
 * A scale spanning the finite values (and the given thresholds); logarithmic when all are
 * positive and span more than 20x (LV does).
 */
export function blurScale(values: ArrayLike<number>, count: number, higherIsSharper: boolean, thresholds: readonly number[] = []): BlurScale {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < count; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  for (const v of thresholds) {
    if (Number.isFinite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  if (!Number.isFinite(lo)) {
    lo = 0;
    hi = 1;
  }
  if (hi === lo) hi = lo + 1;
  const log = lo > 0 && hi / lo > 20;
  const f = (v: number): number => (log ? Math.log(Math.max(v, lo)) : v);
  const a = f(lo), b = f(hi);
  return {
    lo, hi, log, higherIsSharper,
    t(value) {
      const u = (f(value) - a) / (b - a);
      const c = Math.max(0, Math.min(1, u));
      return higherIsSharper ? c : 1 - c;
    },
  };
}

/** Round numbers for axis labels. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1000 || a === 0) return String(Math.round(v));
  if (a >= 10) return v.toFixed(1).replace(/\.0$/, '');
  if (a >= 0.01) return v.toFixed(3).replace(/\.?0+$/, '');
  return v.toExponential(1);
}
