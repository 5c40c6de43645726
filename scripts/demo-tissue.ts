/**
 * The demo's synthetic H&E-like tissue, seeded and deterministic. Stains follow Beer-Lambert:
 * RGB = 255 * exp(-(H * hVec + E * eVec)) with Ruifrok & Johnston's stain vectors. Eosin-stained
 * stroma with fibres; hematoxylin-stained nuclei of 6-11 um. The two classes differ only in fine
 * texture inside the nuclei, at the same mean stain:
 *   class 1 ("granular"): chromatin speckle (grains of ~0.5-1 um) inside every nucleus;
 *   class 0 ("smooth"):   the same nuclei with even chromatin.
 * Optical blur (Gaussian, sigma in pixels of 0.5 um) is applied to the intensities, then sensor
 * noise and 8-bit rounding, as a scanner would. Used by make-demo.ts and by the demo test.
 */
import type { RgbImage } from '../src/core/types.js';
import { seededRandom } from '../src/plugins/train/stats.js';

/** microns per pixel of everything this module renders */
export const DEMO_MPP = 0.5;

/** mulberry32: a small seeded PRNG with uniform output in [0, 1) (the project's one, from train/stats) */
export const prng = seededRandom;

/** standard normal deviates (Box-Muller) from a uniform PRNG */
export function normal(rand: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = rand();
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** hash of integers to a seed */
export function seedOf(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p & 0xffff), 0x01000193);
    h = Math.imul(h ^ (p >>> 16), 0x01000193);
  }
  return h >>> 0;
}

/** Gaussian kernel as OpenCV builds it for 8-bit images: ksize = round(6 sigma + 1) | 1 */
function gaussKernel(sigma: number): Float32Array {
  const ksize = Math.round(sigma * 6 + 1) | 1;
  const k = new Float32Array(ksize);
  const c = (ksize - 1) / 2;
  let sum = 0;
  for (let i = 0; i < ksize; i++) {
    const x = i - c;
    k[i] = Math.exp(-(x * x) / (2 * sigma * sigma));
    sum += k[i]!;
  }
  for (let i = 0; i < ksize; i++) k[i] = k[i]! / sum;
  return k;
}

function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
  return i;
}

/** Separable Gaussian blur of `planes` planes of w x h floats, BORDER_REFLECT_101; in place. */
export function gaussianBlur(planes: Float32Array, w: number, h: number, sigma: number, count = 1): void {
  if (!(sigma > 0)) return;
  const k = gaussKernel(sigma);
  const r = (k.length - 1) / 2;
  const line = new Float32Array(Math.max(w, h) + 2 * r);
  for (let p = 0; p < count; p++) {
    const off = p * w * h;
    for (let y = 0; y < h; y++) {
      const row = off + y * w;
      for (let i = -r; i < w + r; i++) line[i + r] = planes[row + reflect101(i, w)]!;
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let j = 0; j < k.length; j++) s += k[j]! * line[x + j]!;
        planes[row + x] = s;
      }
    }
    for (let x = 0; x < w; x++) {
      for (let i = -r; i < h + r; i++) line[i + r] = planes[off + reflect101(i, h) * w + x]!;
      for (let y = 0; y < h; y++) {
        let s = 0;
        for (let j = 0; j < k.length; j++) s += k[j]! * line[y + j]!;
        planes[off + y * w + x] = s;
      }
    }
  }
}

/** Ruifrok & Johnston optical-density vectors (R, G, B), normalised */
const H_VEC = [0.65, 0.704, 0.286] as const;
const E_VEC = [0.072, 0.99, 0.105] as const;

export interface TissueOptions {
  /** 0 smooth nuclei, 1 granular nuclei */
  readonly cls: 0 | 1;
  /** Gaussian blur sigma in pixels (0 = sharp) */
  readonly sigma: number;
  readonly seed: number;
  /** sensor noise sd in grey levels, added before the blur; default 1 */
  readonly noise?: number;
}

/** Knobs of the texture model, shared by every render (make-demo.ts records them in metrics.json). */
export const TEXTURE = {
  /** nucleus radius range, px */
  nucleusRadius: [6, 11] as const,
  /** fraction of the area covered by nuclei, range per region */
  nucleusDensity: [0.18, 0.32] as const,
  /** hematoxylin OD of a nucleus, range */
  nucleusOd: [0.28, 0.42] as const,
  /** width of the soft nucleus edge, px */
  edge: 1.6,
  /** class-1 speckle: relative sd of the chromatin OD, range per region */
  speckle: [0.13, 0.22] as const,
  /** grain size (sd of the smoothing of white noise), px */
  grain: 0.6,
  /** eosin OD of stroma, range */
  stromaOd: [0.12, 0.2] as const,
  /** relative amplitude of the stroma fibres */
  fibre: 0.08,
  /** fibre width (smoothing sd across fibres), px */
  fibreWidth: 1.6,
} as const;

/** White noise smoothed with sd `s`, scaled to unit variance. */
function grainField(w: number, h: number, s: number, gauss: () => number): Float32Array {
  const f = new Float32Array(w * h);
  for (let i = 0; i < f.length; i++) f[i] = gauss();
  gaussianBlur(f, w, h, s);
  let ss = 0;
  for (let i = 0; i < f.length; i++) ss += f[i]! * f[i]!;
  const k = 1 / Math.sqrt(ss / f.length);
  for (let i = 0; i < f.length; i++) f[i] = f[i]! * k;
  return f;
}

/**
 * Renders w x h pixels of tissue of one class, blurred with `sigma`, as 8-bit RGB.
 * The sharp content depends only on (cls, seed, w, h): renders that differ only in sigma show the
 * same cells. A margin of 3 sigma + 4 px is rendered around the area and cut off, so the blur sees
 * real neighbours.
 */
export function renderTissue(w: number, h: number, options: TissueOptions): RgbImage {
  const planes = renderSharpPlanes(w, h, options.cls, options.seed);
  return finishPlanes(planes, w, h, options.sigma, options.noise ?? 1, seedOf(options.seed, 7));
}

/** Intensity planes (R, G, B as floats 0-255) of the sharp tissue, with a 16 px margin on each side. */
export function renderSharpPlanes(w: number, h: number, cls: 0 | 1, seed: number): { data: Float32Array; width: number; height: number; margin: number } {
  const m = 16;
  const W = w + 2 * m;
  const H = h + 2 * m;
  const rand = prng(seed);
  const gauss = normal(prng(seedOf(seed, 1)));
  const T = TEXTURE;
  const lerp = (r: readonly [number, number]): number => r[0] + (r[1] - r[0]) * rand();

  // eosin: stroma with fibres along a region-wide orientation, plus slow variation
  const stromaOd = lerp(T.stromaOd);
  const E = new Float32Array(W * H);
  const fib = new Float32Array(W * H);
  const theta = rand() * Math.PI;
  // fibres: noise smoothed strongly along theta, lightly across
  for (let i = 0; i < fib.length; i++) fib[i] = gauss();
  anisotropicSmooth(fib, W, H, theta, 4, T.fibreWidth);
  normalise(fib);
  const slow = grainField(W, H, 24, gauss);
  for (let i = 0; i < E.length; i++) E[i] = Math.max(0.02, stromaOd * (1 + 0.18 * slow[i]! + T.fibre * fib[i]!));

  // hematoxylin: nuclei (soft-edged ellipses), chromatin speckle for class 1
  const Hm = new Float32Array(W * H);
  const density = lerp(T.nucleusDensity);
  const speckleSd = lerp(T.speckle);
  const grains = cls === 1 ? grainField(W, H, T.grain, gauss) : undefined;
  let covered = 0;
  const target = density * W * H;
  let guard = 0;
  while (covered < target && guard++ < 100000) {
    const r = lerp(T.nucleusRadius);
    const ax = r * (0.75 + 0.5 * rand());
    const ay = r * r / ax;
    const phi = rand() * Math.PI;
    const cx = rand() * W;
    const cy = rand() * H;
    const od = lerp(T.nucleusOd);
    const cos = Math.cos(phi);
    const sin = Math.sin(phi);
    const R = Math.ceil(Math.max(ax, ay)) + 2;
    for (let y = Math.max(0, Math.floor(cy - R)); y < Math.min(H, Math.ceil(cy + R)); y++) {
      for (let x = Math.max(0, Math.floor(cx - R)); x < Math.min(W, Math.ceil(cx + R)); x++) {
        const dx = x + 0.5 - cx;
        const dy = y + 0.5 - cy;
        const u = (dx * cos + dy * sin) / ax;
        const v = (-dx * sin + dy * cos) / ay;
        const d = Math.sqrt(u * u + v * v);
        // soft edge about 1 px wide: coverage from the distance to the boundary in pixels
        const edge = (1 - d) * Math.min(ax, ay);
        const half = T.edge / 2;
        const cov = edge >= half ? 1 : edge <= -half ? 0 : (edge + half) / T.edge;
        if (cov <= 0) continue;
        const i = y * W + x;
        let value = od;
        if (grains) value = od * Math.max(0.05, 1 + speckleSd * grains[i]!);
        // nuclei over nuclei: keep the darker one
        const next = Math.max(Hm[i]!, value * cov);
        Hm[i] = next;
        // nuclei push stroma eosin aside
        E[i] = E[i]! * (1 - 0.7 * cov);
      }
    }
    covered += Math.PI * ax * ay;
  }

  const data = new Float32Array(3 * W * H);
  for (let c = 0; c < 3; c++) {
    const hv = H_VEC[c]!;
    const ev = E_VEC[c]!;
    const off = c * W * H;
    for (let i = 0; i < W * H; i++) data[off + i] = 250 * Math.exp(-(Hm[i]! * hv + E[i]! * ev) * 2.3026);
  }
  return { data, width: W, height: H, margin: m };
}

/**
 * Adds sensor noise to (a copy of) the sharp planes, blurs them, rounds and crops the margin:
 * 8-bit interleaved RGB. Noise goes in before the blur, as when a scanned tile is blurred
 * (DeepBlurMM's simulation protocol), so heavy blur also smooths the noise.
 */
export function finishPlanes(planes: { data: Float32Array; width: number; height: number; margin: number }, w: number, h: number, sigma: number, noise: number, seed: number): RgbImage {
  const { width: W, height: H, margin: m } = planes;
  const buf = planes.data.slice();
  if (noise > 0) {
    const gauss = normal(prng(seed));
    for (let i = 0; i < buf.length; i++) buf[i] = buf[i]! + noise * gauss();
  }
  gaussianBlur(buf, W, H, sigma, 3);
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const si = (y + m) * W + x + m;
      const di = (y * w + x) * 3;
      for (let c = 0; c < 3; c++) {
        const v = buf[c * W * H + si]!;
        out[di + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
      }
    }
  }
  return { data: out, width: w, height: h, channels: 3 };
}

function normalise(f: Float32Array): void {
  let s = 0;
  let ss = 0;
  for (const v of f) {
    s += v;
    ss += v * v;
  }
  const mean = s / f.length;
  const sd = Math.sqrt(Math.max(1e-12, ss / f.length - mean * mean));
  for (let i = 0; i < f.length; i++) f[i] = (f[i]! - mean) / sd;
}

/** Smooths along direction theta with sd `along` and across with sd `across` (separable on a rotated grid, approximated by two passes on axis-aligned blurs of a sheared field). */
function anisotropicSmooth(f: Float32Array, w: number, h: number, theta: number, along: number, across: number): void {
  // line integral along theta: average of samples along the direction (bilinear), then a light isotropic blur
  const dx = Math.cos(theta);
  const dy = Math.sin(theta);
  const n = Math.ceil(2 * along);
  const src = f.slice();
  const weights: number[] = [];
  let wsum = 0;
  for (let t = -n; t <= n; t++) {
    const wt = Math.exp(-(t * t) / (2 * along * along));
    weights.push(wt);
    wsum += wt;
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let t = -n; t <= n; t++) {
        const sx = Math.min(w - 1, Math.max(0, Math.round(x + t * dx)));
        const sy = Math.min(h - 1, Math.max(0, Math.round(y + t * dy)));
        s += weights[t + n]! * src[sy * w + sx]!;
      }
      f[y * w + x] = s / wsum;
    }
  }
  gaussianBlur(f, w, h, across * 0.5);
}

/** OpenCV-exact variance of the Laplacian (15-bit gray, 4-neighbour kernel, BORDER_REFLECT_101), for checks in scripts. */
export function laplacianVariance(img: RgbImage): number {
  const { width: w, height: h, data, channels: ch } = img;
  const g = new Int32Array(w * h);
  for (let i = 0, s = 0; i < w * h; i++, s += ch) g[i] = (9798 * data[s]! + 19235 * data[s + 1]! + 3735 * data[s + 2]! + 16384) >> 15;
  let s1 = 0;
  let s2 = 0;
  for (let y = 0; y < h; y++) {
    const yu = reflect101(y - 1, h) * w;
    const yd = reflect101(y + 1, h) * w;
    for (let x = 0; x < w; x++) {
      const xl = reflect101(x - 1, w);
      const xr = reflect101(x + 1, w);
      const v = g[yu + x]! + g[yd + x]! + g[y * w + xl]! + g[y * w + xr]! - 4 * g[y * w + x]!;
      s1 += v;
      s2 += v * v;
    }
  }
  const n = w * h;
  return s2 / n - (s1 / n) ** 2;
}
