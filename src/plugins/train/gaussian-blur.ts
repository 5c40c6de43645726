/**
 * Gaussian blur of 8-bit images that reproduces OpenCV 4.6
 * `cv2.GaussianBlur(img, (0, 0), s, s, borderType=cv2.BORDER_REFLECT_101)` bit for bit.
 *
 * For 8-bit input OpenCV takes its bit-exact fixed-point path (smooth.dispatch.cpp,
 * `createGaussianKernels<ufixedpoint16>` + `GaussianBlurFixedPoint`):
 * - kernel size `round(6 * sigma + 1) | 1` (8-bit uses 3 sigma per side, other depths 4);
 * - kernel taps from `getGaussianKernelBitExact` (exp(-x^2 / (2 sigma^2)), normalised), then
 *   quantised to Q8 by error diffusion (`getGaussianKernelFixedPoint_ED`): the left half is
 *   rounded with the running residue carried along, mirrored, and the centre tap takes
 *   whatever makes the sum exactly 256;
 * - a horizontal pass in Q8 (exact integer sums), a vertical pass in Q16, and a final
 *   `(v + 2^15) >> 16`;
 * - reflect-101 borders (`gfedcb|abcdefgh|gfedcba`).
 * Everything after the kernel is integer arithmetic, so ordering cannot change the result.
 */
import { invalidArgument } from '../../core/errors.js';
import type { RgbImage } from '../../core/types.js';

/** The kernel size OpenCV picks for an 8-bit image and this sigma (ksize (0, 0)). */
export function openCvKernelSize(sigma: number): number {
  return Math.round(sigma * 3 * 2 + 1) | 1;
}

/** round half to even, as cvRound (lrint) */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** OpenCV's bit-exact Gaussian kernel in float64 (getGaussianKernelBitExact, sigma > 0). */
export function gaussianKernel(n: number, sigma: number): Float64Array {
  const fixed: Record<number, readonly number[]> = {
    1: [1],
    3: [0.25, 0.5, 0.25],
    5: [0.0625, 0.25, 0.375, 0.25, 0.0625],
    7: [0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125],
    9: [4 / 256, 13 / 256, 30 / 256, 51 / 256, 60 / 256, 51 / 256, 30 / 256, 13 / 256, 4 / 256],
  };
  if (sigma <= 0 && fixed[n]) return Float64Array.from(fixed[n]);
  const s = sigma > 0 ? sigma : n * 0.15 + 0.35;
  const scale2X = -0.125 / (s * s);
  const half = (n - 1) >> 1;
  const values = new Float64Array(half);
  let sum = 0;
  for (let i = 0, x = 1 - n; i < half; i++, x += 2) {
    const t = Math.exp(x * x * scale2X);
    values[i] = t;
    sum += t;
  }
  sum = sum * 2 + 1;
  if ((n & 1) === 0) sum += 1;
  const mul = 1 / sum;
  const out = new Float64Array(n);
  for (let i = 0; i < half; i++) out[i] = out[n - 1 - i] = values[i]! * mul;
  out[half] = mul;
  if ((n & 1) === 0) out[half + 1] = mul;
  return out;
}

/** The Q8 taps (summing to 256) OpenCV uses for 8-bit images (getGaussianKernelFixedPoint_ED). */
export function gaussianKernelQ8(sigma: number): Int32Array {
  const n = openCvKernelSize(sigma);
  const k = gaussianKernel(n, sigma);
  const out = new Int32Array(n);
  const half = n >> 1;
  let err = 0;
  let sum = 0;
  for (let i = 0; i < half; i++) {
    const adj = k[i]! * 256 + err;
    const v = roundHalfEven(adj);
    err = adj - v;
    out[i] = out[n - 1 - i] = v;
    sum += v;
  }
  out[half] = 256 - 2 * sum;
  return out;
}

function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
  return i;
}

/**
 * Blurs an 8-bit image as OpenCV 4.6 `GaussianBlur(img, (0,0), sigma, sigma, BORDER_REFLECT_101)`.
 * sigma 0 (or a kernel of size 1) returns a copy. Works on any channel count.
 *
 * @example
 * ```ts
 * const blurred = gaussianBlur(tile, 2); // equals cv2.GaussianBlur(tile, (0, 0), 2, 2, borderType=4)
 * ```
 */
export function gaussianBlur(image: RgbImage, sigma: number): RgbImage {
  if (typeof sigma !== 'number' || !Number.isFinite(sigma) || sigma < 0) throw invalidArgument('sigma', 'a finite sigma >= 0', sigma);
  const { width: w, height: h, channels: ch } = image;
  if (image.data.length !== w * h * ch) throw invalidArgument('image.data', `${w * h * ch} bytes (width * height * channels)`, `${image.data.length} bytes`);
  if (sigma === 0) return { ...image, data: image.data.slice() };
  const k = gaussianKernelQ8(sigma);
  const n = k.length;
  // OpenCV drops a dimension's kernel for 1-pixel-wide/high images
  const kx = w === 1 ? Int32Array.of(256) : k;
  const ky = h === 1 ? Int32Array.of(256) : k;
  if (n === 1 || (kx.length === 1 && ky.length === 1)) return { ...image, data: image.data.slice() };
  const rx = kx.length >> 1;
  const ry = ky.length >> 1;
  const src = image.data;
  const rowLen = w * ch;
  // horizontal pass, Q8 (values <= 255 * 256): per row, a reflect-padded copy, taps outer
  const tmp = new Uint16Array(w * h * ch);
  const ext = new Int32Array((w + 2 * rx) * ch);
  const hacc = new Int32Array(rowLen);
  for (let y = 0; y < h; y++) {
    const rowBase = y * rowLen;
    for (let x = -rx; x < w + rx; x++) {
      const s = rowBase + reflect101(x, w) * ch;
      const d = (x + rx) * ch;
      for (let c = 0; c < ch; c++) ext[d + c] = src[s + c]!;
    }
    // symmetric kernel: centre tap, then pairs
    const kc = kx[rx]!;
    for (let i = 0, o = rx * ch; i < rowLen; i++) hacc[i] = kc * ext[o + i]!;
    for (let t = 0; t < rx; t++) {
      const kt = kx[t]!;
      const o1 = t * ch, o2 = (kx.length - 1 - t) * ch;
      for (let i = 0; i < rowLen; i++) hacc[i]! += kt * (ext[o1 + i]! + ext[o2 + i]!);
    }
    tmp.set(hacc, rowBase);
  }
  // vertical pass, Q16, round to nearest (ties up) and saturate to uint8
  const out = new Uint8Array(w * h * ch);
  const yBase = new Int32Array(h + 2 * ry);
  for (let y = -ry; y < h + ry; y++) yBase[y + ry] = reflect101(y, h) * rowLen;
  const acc = new Int32Array(rowLen);
  for (let y = 0; y < h; y++) {
    const kc = ky[ry]!;
    const cb = yBase[y + ry]!;
    for (let i = 0; i < rowLen; i++) acc[i] = kc * tmp[cb + i]!;
    for (let t = 0; t < ry; t++) {
      const kt = ky[t]!;
      const b1 = yBase[y + t]!, b2 = yBase[y + ky.length - 1 - t]!;
      for (let i = 0; i < rowLen; i++) acc[i]! += kt * (tmp[b1 + i]! + tmp[b2 + i]!);
    }
    const o = y * rowLen;
    for (let i = 0; i < rowLen; i++) {
      const v = (acc[i]! + 32768) >> 16;
      out[o + i] = v > 255 ? 255 : v;
    }
  }
  return { data: out, width: w, height: h, channels: ch };
}
