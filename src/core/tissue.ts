/**
 * Tissue detection on a thumbnail: OpenCV's 8-bit gray, Otsu's threshold (as cv2 THRESH_OTSU and
 * skimage threshold_otsu), tissue = gray <= threshold.
 */
import { invalidArgument } from './errors.js';
import { readThumbnail } from './thumbnail.js';
import type { RgbImage, SlideSource } from './types.js';

/** A binary tissue mask on a thumbnail grid, with lookups in level-0 coordinates. */
export interface TissueMask {
  readonly width: number;
  readonly height: number;
  /** gray <= threshold is tissue */
  readonly threshold: number;
  /** level-0 pixels per mask pixel */
  readonly scaleX: number;
  readonly scaleY: number;
  /** width * height bytes, 1 = tissue, 0 = background */
  readonly data: Uint8Array;
  /**
   * Area-weighted tissue fraction of a level-0 rectangle: each mask cell counts by its overlap
   * with the rectangle. The part of the rectangle outside the mask's extent is ignored; a
   * rectangle entirely outside takes the nearest cell.
   */
  tissueFraction(x: number, y: number, width: number, height: number): number;
  /** tissue fraction of the whole mask */
  readonly fraction: number;
}

/**
 * OpenCV 4.6 `cvtColor(RGB2GRAY)` for uint8, exactly: `(9798 R + 19235 G + 3735 B + 16384) >> 15`.
 * Accepts RGB or RGBA (alpha ignored).
 * @example
 * const gray = rgbToGray(tile); // Uint8Array(tile.width * tile.height)
 */
export function rgbToGray(image: RgbImage): Uint8Array {
  const n = image.width * image.height;
  const cn = image.channels;
  if (cn !== 3 && cn !== 4) throw invalidArgument('image.channels', '3 or 4', cn);
  const s = image.data;
  if (s.length < n * cn) throw invalidArgument('image.data', `at least ${n * cn} bytes`, s.length);
  const out = new Uint8Array(n);
  for (let i = 0, j = 0; i < n; i++, j += cn) {
    out[i] = (9798 * s[j]! + 19235 * s[j + 1]! + 3735 * s[j + 2]! + 16384) >> 15;
  }
  return out;
}

/** 256-bin histogram of 8-bit values. */
export function histogram(gray: Uint8Array): Uint32Array {
  const h = new Uint32Array(256);
  for (let i = 0; i < gray.length; i++) h[gray[i]!]!++;
  return h;
}

/**
 * Otsu's threshold of 8-bit values, computed as OpenCV's `getThreshVal_Otsu_8u` (float64, the
 * first maximum wins), so it equals `cv2.threshold(gray, 0, 255, THRESH_OTSU)[0]`; tissue is
 * `gray <= threshold`. 0 for an empty or constant input.
 * @example
 * const t = otsuThreshold(rgbToGray(thumbnail));
 */
export function otsuThreshold(gray: Uint8Array): number {
  if (!(gray instanceof Uint8Array)) throw invalidArgument('gray', 'a Uint8Array of 8-bit gray values', gray);
  if (gray.length === 0) return 0;
  const h = histogram(gray);
  const scale = 1 / gray.length;
  let mu = 0;
  for (let i = 0; i < 256; i++) mu += i * h[i]!;
  mu *= scale;
  const FLT_EPSILON = 1.1920928955078125e-7;
  let mu1 = 0;
  let q1 = 0;
  let maxSigma = 0;
  let maxVal = 0;
  for (let i = 0; i < 256; i++) {
    const pi = h[i]! * scale;
    mu1 *= q1;
    q1 += pi;
    const q2 = 1 - q1;
    if (Math.min(q1, q2) < FLT_EPSILON || Math.max(q1, q2) > 1 - FLT_EPSILON) continue;
    mu1 = (mu1 + i * pi) / q1;
    const mu2 = (mu - q1 * mu1) / q2;
    const sigma = q1 * q2 * (mu1 - mu2) * (mu1 - mu2);
    if (sigma > maxSigma) {
      maxSigma = sigma;
      maxVal = i;
    }
  }
  return maxVal;
}

/**
 * Builds a {@link TissueMask} from a thumbnail whose pixels each cover `scaleX x scaleY` level-0
 * pixels: gray <= `threshold` (Otsu's when omitted) is tissue.
 * @example
 * const mask = createTissueMask(thumb.image, thumb.scaleX, thumb.scaleY);
 */
export function createTissueMask(thumbnail: RgbImage, scaleX: number, scaleY: number, threshold?: number): TissueMask {
  if (!(scaleX > 0) || !Number.isFinite(scaleX)) throw invalidArgument('scaleX', 'a positive number', scaleX);
  if (!(scaleY > 0) || !Number.isFinite(scaleY)) throw invalidArgument('scaleY', 'a positive number', scaleY);
  if (threshold !== undefined && !(Number.isFinite(threshold) && threshold >= 0 && threshold <= 255)) {
    throw invalidArgument('threshold', 'a number from 0 to 255', threshold);
  }
  const gray = rgbToGray(thumbnail);
  const t = threshold ?? otsuThreshold(gray);
  const { width: w, height: h } = thumbnail;
  const data = new Uint8Array(w * h);
  let count = 0;
  for (let i = 0; i < data.length; i++) {
    const v = gray[i]! <= t ? 1 : 0;
    data[i] = v;
    count += v;
  }
  // integral image for whole-cell sums
  const integral = new Uint32Array((w + 1) * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += data[y * w + x]!;
      integral[(y + 1) * (w + 1) + x + 1] = integral[y * (w + 1) + x + 1]! + row;
    }
  }
  const cellSum = (x0: number, y0: number, x1: number, y1: number): number =>
    integral[y1 * (w + 1) + x1]! - integral[y0 * (w + 1) + x1]! - integral[y1 * (w + 1) + x0]! + integral[y0 * (w + 1) + x0]!;

  const tissueFraction = (x: number, y: number, width: number, height: number): number => {
    // the rectangle in mask units, clipped to the mask
    const fx0 = Math.max(0, x / scaleX);
    const fy0 = Math.max(0, y / scaleY);
    const fx1 = Math.min(w, (x + width) / scaleX);
    const fy1 = Math.min(h, (y + height) / scaleY);
    if (!(fx1 > fx0) || !(fy1 > fy0)) {
      // outside the mask (or empty): the nearest cell to the rectangle's centre
      const cx = Math.min(w - 1, Math.max(0, Math.floor((x + width / 2) / scaleX)));
      const cy = Math.min(h - 1, Math.max(0, Math.floor((y + height / 2) / scaleY)));
      return data[cy * w + cx]!;
    }
    // whole cells inside, then the partial border cells with their overlap weights
    const ix0 = Math.ceil(fx0);
    const iy0 = Math.ceil(fy0);
    const ix1 = Math.floor(fx1);
    const iy1 = Math.floor(fy1);
    if (ix1 >= ix0 && iy1 >= iy0 && fx0 === ix0 && fy0 === iy0 && fx1 === ix1 && fy1 === iy1) {
      return cellSum(ix0, iy0, ix1, iy1) / ((ix1 - ix0) * (iy1 - iy0));
    }
    let num = 0;
    let den = 0;
    const cx0 = Math.floor(fx0);
    const cy0 = Math.floor(fy0);
    const cx1 = Math.ceil(fx1);
    const cy1 = Math.ceil(fy1);
    for (let cy = cy0; cy < cy1; cy++) {
      const wy = Math.min(cy + 1, fy1) - Math.max(cy, fy0);
      if (wy <= 0) continue;
      for (let cx = cx0; cx < cx1; cx++) {
        const wx = Math.min(cx + 1, fx1) - Math.max(cx, fx0);
        if (wx <= 0) continue;
        const a = wx * wy;
        den += a;
        num += a * data[cy * w + cx]!;
      }
    }
    return den > 0 ? num / den : 0;
  };
  return { width: w, height: h, threshold: t, scaleX, scaleY, data, tissueFraction, fraction: data.length ? count / data.length : 0 };
}

/**
 * Computes a tissue mask of a slide: a thumbnail (longest side `thumbnailMaxSide`, default 1024)
 * by {@link readThumbnail}, OpenCV gray, then Otsu's threshold (or `threshold`).
 * @example
 * const mask = await computeTissueMask(source);
 * mask.tissueFraction(0, 0, 512, 512);
 */
export async function computeTissueMask(
  source: SlideSource,
  options: { thumbnailMaxSide?: number; threshold?: number; signal?: AbortSignal } = {},
): Promise<TissueMask> {
  const maxSide = options.thumbnailMaxSide ?? 1024;
  if (!Number.isInteger(maxSide) || maxSide < 1) throw invalidArgument('thumbnailMaxSide', 'a positive integer', maxSide);
  const thumb = await readThumbnail(source, maxSide, options.signal ? { signal: options.signal } : {});
  return createTissueMask(thumb.image, thumb.scaleX, thumb.scaleY, options.threshold);
}
