/**
 * Estimator comparison on known blur (the FocusLiteNN paper's Figure 4 for any estimator):
 * sharp tissue tiles are blurred at known sigmas (OpenCV-exact), every estimator scores every
 * blurred tile, and per estimator we report the Spearman correlation with sigma, the monotone
 * range of its median curve, ms per tile and the sigma-to-score curve; plus an SVG plot.
 */
import { invalidArgument, throwIfAborted } from '../../core/errors.js';
import type { BlurEstimator, RgbImage } from '../../core/types.js';
import { gaussianBlur } from './gaussian-blur.js';
import { cropRgb, type SelectedTile } from './patch-source.js';
import { median, monotoneRange, spearman } from './stats.js';

export interface CurvePoint {
  readonly sigma: number;
  readonly median: number;
  readonly p25: number;
  readonly p75: number;
  readonly min: number;
  readonly max: number;
}

export interface EstimatorComparison {
  /** output name, e.g. "lv", "focuslitenn" */
  readonly output: string;
  readonly estimator: string;
  readonly unit: string;
  readonly direction: 'higher-is-sharper' | 'higher-is-blurrier';
  /** Spearman of the raw score with sigma (negative for higher-is-sharper estimators) */
  readonly spearman: number;
  /** Spearman oriented so that 1 means "orders tiles by blur perfectly" */
  readonly spearmanOriented: number;
  /** sigmas over which the median curve moves strictly in the estimator's blur direction */
  readonly monotone: { readonly from: number; readonly to: number; readonly direction: string };
  readonly msPerTile: number;
  readonly curve: readonly CurvePoint[];
  /** per tile, per sigma scores: scores[tile][sigmaIndex] */
  readonly scores: readonly (readonly number[])[];
}

export interface ComparisonResult {
  readonly sigmas: readonly number[];
  readonly tileSize: number;
  readonly tiles: readonly { source: string; x: number; y: number; lv: number }[];
  readonly estimators: readonly EstimatorComparison[];
}

function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Blurs each tile at each sigma (centre `tileSize` crop of a patch with a blur margin) and scores
 * the blurred tiles with every estimator, one estimator call per sigma.
 */
export async function compareEstimators(
  tiles: readonly SelectedTile[],
  estimators: readonly BlurEstimator[],
  options: { sigmas: readonly number[]; tileSize: number; signal?: AbortSignal | undefined; onSigma?: (sigma: number) => void },
): Promise<ComparisonResult> {
  const { sigmas, tileSize } = options;
  if (!sigmas.length) throw invalidArgument('sigmas', 'at least one sigma', sigmas);
  if (!tiles.length) throw invalidArgument('tiles', 'at least one tile', tiles.length);
  const outputs = estimators.flatMap((e) => e.outputs.map((o) => ({ est: e, out: o })));
  const scores = outputs.map(() => tiles.map(() => new Array<number>(sigmas.length).fill(NaN)));
  const ms = estimators.map(() => 0);
  for (let si = 0; si < sigmas.length; si++) {
    throwIfAborted(options.signal, 'estimator comparison');
    const sigma = sigmas[si]!;
    options.onSigma?.(sigma);
    const blurred: RgbImage[] = tiles.map((t) => {
      const off = (t.image.width - tileSize) >> 1;
      return cropRgb(gaussianBlur(t.image, sigma), off, off, tileSize, tileSize);
    });
    for (let e = 0; e < estimators.length; e++) {
      const est = estimators[e]!;
      const t0 = performance.now();
      const recs = await est.estimate(blurred, options.signal ? { signal: options.signal } : {});
      ms[e]! += performance.now() - t0;
      outputs.forEach((o, oi) => {
        if (o.est !== est) return;
        recs.forEach((r, ti) => (scores[oi]![ti]![si] = r[o.out.name] ?? NaN));
      });
    }
  }
  const sigmaOf = tiles.flatMap(() => sigmas);
  const result: EstimatorComparison[] = outputs.map((o, oi) => {
    const flat = scores[oi]!.flat();
    const rho = spearman(flat, sigmaOf);
    const sign = o.out.direction === 'higher-is-sharper' ? -1 : 1;
    const curve = sigmas.map((sigma, si) => {
      const col = scores[oi]!.map((row) => row[si]!).sort((a, b) => a - b);
      return { sigma, median: median(col), p25: quantile(col, 0.25), p75: quantile(col, 0.75), min: col[0]!, max: col[col.length - 1]! };
    });
    const mono = monotoneRange(sigmas, curve.map((c) => sign * c.median));
    return {
      output: o.out.name,
      estimator: o.est.name,
      unit: o.out.unit,
      direction: o.out.direction,
      spearman: rho,
      spearmanOriented: sign * rho,
      monotone: { from: mono.from, to: mono.direction === 'increasing' ? mono.to : mono.from, direction: mono.direction === 'increasing' ? `blurrier with sigma` : 'not monotone from the first sigma' },
      msPerTile: ms[estimators.indexOf(o.est)]! / (tiles.length * sigmas.length),
      curve,
      scores: scores[oi]!,
    };
  });
  return { sigmas, tileSize, tiles: tiles.map((t) => ({ source: t.source, x: t.x, y: t.y, lv: t.lv })), estimators: result };
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

/**
 * An SVG of the sigma-to-score curves, one panel per estimator output side by side: per-tile
 * lines (faint), the inter-quartile band and the median, with the Spearman in the title.
 */
export function renderComparisonSvg(result: ComparisonResult): string {
  const pw = 420, ph = 320, m = { l: 70, r: 20, t: 50, b: 50 };
  const n = result.estimators.length;
  const width = n * pw, height = ph;
  const sx = (s: number): number => {
    const lo = result.sigmas[0]!, hi = result.sigmas[result.sigmas.length - 1]!;
    return m.l + ((s - lo) / (hi - lo || 1)) * (pw - m.l - m.r);
  };
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`, `<rect width="100%" height="100%" fill="white"/>`];
  result.estimators.forEach((e, i) => {
    const x0 = i * pw;
    const all = e.scores.flat().filter(Number.isFinite);
    let lo = Math.min(...all), hi = Math.max(...all);
    if (hi === lo) hi = lo + 1;
    const pad = (hi - lo) * 0.05;
    lo -= pad;
    hi += pad;
    const sy = (v: number): number => m.t + (1 - (v - lo) / (hi - lo)) * (ph - m.t - m.b);
    const color = COLORS[i % COLORS.length]!;
    parts.push(`<g transform="translate(${x0},0)">`);
    parts.push(`<text x="${pw / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(e.output)} (${esc(e.direction)})</text>`);
    parts.push(`<text x="${pw / 2}" y="38" text-anchor="middle">Spearman with sigma ${e.spearman.toFixed(4)}, ${e.msPerTile.toFixed(2)} ms/tile</text>`);
    parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw - m.l - m.r}" height="${ph - m.t - m.b}" fill="none" stroke="#444"/>`);
    for (const s of result.sigmas) {
      parts.push(`<line x1="${sx(s)}" x2="${sx(s)}" y1="${ph - m.b}" y2="${ph - m.b + 4}" stroke="#444"/>`);
      if (result.sigmas.length <= 14 || Number.isInteger(s)) parts.push(`<text x="${sx(s)}" y="${ph - m.b + 16}" text-anchor="middle" font-size="10">${s}</text>`);
    }
    for (let t = 0; t <= 4; t++) {
      const v = lo + ((hi - lo) * t) / 4;
      parts.push(`<text x="${m.l - 6}" y="${sy(v) + 4}" text-anchor="end" font-size="10">${Math.abs(v) >= 1000 ? v.toExponential(1) : v.toPrecision(3)}</text>`);
    }
    parts.push(`<text x="${pw / 2}" y="${ph - 10}" text-anchor="middle">Gaussian sigma (px)</text>`);
    parts.push(`<text transform="translate(16,${ph / 2}) rotate(-90)" text-anchor="middle">${esc(e.unit)}</text>`);
    for (const row of e.scores) {
      const pts = row.map((v, si) => `${sx(result.sigmas[si]!).toFixed(1)},${sy(v).toFixed(1)}`).join(' ');
      parts.push(`<polyline points="${pts}" fill="none" stroke="${color}" stroke-opacity="0.18"/>`);
    }
    const band = [...e.curve.map((c) => `${sx(c.sigma).toFixed(1)},${sy(c.p75).toFixed(1)}`), ...[...e.curve].reverse().map((c) => `${sx(c.sigma).toFixed(1)},${sy(c.p25).toFixed(1)}`)].join(' ');
    parts.push(`<polygon points="${band}" fill="${color}" fill-opacity="0.2"/>`);
    parts.push(`<polyline points="${e.curve.map((c) => `${sx(c.sigma).toFixed(1)},${sy(c.median).toFixed(1)}`).join(' ')}" fill="none" stroke="${color}" stroke-width="2.5"/>`);
    parts.push('</g>');
  });
  parts.push('</svg>');
  return parts.join('\n');
}
