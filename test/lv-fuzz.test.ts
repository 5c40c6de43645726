/**
 * Seeded fuzz: random images of random sizes (1..70 px a side, RGB and RGBA, noise, flat,
 * extreme checkerboards), both kernels against a naive implementation written from the
 * definition; plus the exact finish, the overflow guards and the input errors.
 */
import { describe, expect, it } from 'vitest';
import { isBlurmmError } from '../src/core/errors.js';
import type { RgbImage } from '../src/core/types.js';
import { exactVariance } from '../src/plugins/estimators/lv-exact.js';
import { isLvKernelAvailable, laplacianStats, laplacianVariance, varianceOfLaplacian, type LvKernel } from '../src/plugins/estimators/lv.js';
import { seededRandom } from '../src/plugins/train/stats.js';

const rng = seededRandom;

/** The definition, written plainly: gray, reflect-101 Laplacian, BigInt sums. */
function naive(img: RgbImage): { n: number; sum: bigint; sumSq: bigint } {
  const { width: w, height: h, channels: c, data } = img;
  const gray = (x: number, y: number): number => {
    const i = (y * w + x) * c;
    return Math.floor((9798 * data[i]! + 19235 * data[i + 1]! + 3735 * data[i + 2]! + 16384) / 32768);
  };
  // BORDER_REFLECT_101 (OpenCV: a 1-px axis maps every outside index to 0)
  const reflect = (i: number, n: number): number => (n === 1 ? 0 : i < 0 ? -i : i >= n ? 2 * n - 2 - i : i);
  let sum = 0n;
  let sumSq = 0n;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const lap =
        gray(x, reflect(y - 1, h)) + gray(x, reflect(y + 1, h)) + gray(reflect(x - 1, w), y) + gray(reflect(x + 1, w), y) - 4 * gray(x, y);
      sum += BigInt(lap);
      sumSq += BigInt(lap * lap);
    }
  }
  return { n: w * h, sum, sumSq };
}

/** lv as numpy would compute it (two-pass mean/variance in doubles) from the naive sums. */
function naiveLv(s: { n: number; sum: bigint; sumSq: bigint }): number {
  const n = BigInt(s.n);
  return Number(n * s.sumSq - s.sum * s.sum) / Number(n * n);
}

function randomImage(r: () => number, w: number, h: number, c: 3 | 4, kind: number): RgbImage {
  const data = new Uint8Array(w * h * c);
  for (let i = 0; i < data.length; i++) {
    const p = Math.floor(i / c);
    const x = p % w;
    const y = Math.floor(p / w);
    switch (kind) {
      case 0: // noise
        data[i] = Math.floor(r() * 256);
        break;
      case 1: // checkerboard 0/255: |lap| = 1020, the extremes
        data[i] = (x + y) & 1 ? 255 : 0;
        break;
      case 2: // smooth ramp plus small noise
        data[i] = Math.min(255, Math.max(0, Math.round(((x * 7 + y * 3) % 256) + (r() - 0.5) * 6)));
        break;
      default: // flat
        data[i] = 200;
    }
  }
  return { data, width: w, height: h, channels: c };
}

const kernels: LvKernel[] = ['js', 'wasm'];

describe('lv kernels against a naive implementation (seeded fuzz)', () => {
  it('wasm is available on Node 20', () => {
    expect(isLvKernelAvailable('wasm')).toBe(true);
  });

  it('random images 1..70 px a side: JS == WASM == naive, exactly', () => {
    const r = rng(20240601);
    for (let k = 0; k < 600; k++) {
      const w = 1 + Math.floor(r() * 70);
      const h = 1 + Math.floor(r() * 70);
      const c: 3 | 4 = r() < 0.5 ? 3 : 4;
      const kind = k < 400 ? 0 : k % 4;
      const img = randomImage(r, w, h, c, kind);
      const ref = naive(img);
      const where = `case ${String(k)}: ${String(w)}x${String(h)}x${String(c)} kind ${String(kind)}`;
      const lvRef = naiveLv(ref);
      for (const kernel of kernels) {
        const s = laplacianStats(img, { kernel });
        expect({ where, kernel, n: s.n, sum: s.sum, sumSq: s.sumSq }).toEqual({
          where,
          kernel,
          n: ref.n,
          sum: Number(ref.sum),
          sumSq: Number(ref.sumSq),
        });
        if (lvRef === 0) expect(s.lv).toBe(0);
        else expect(Math.abs(s.lv - lvRef) / lvRef, where).toBeLessThan(1e-15);
      }
    }
  });

  it('1-px and 2-px axes follow OpenCV (values from cv2.Laplacian on 1x5, 5x1, 2x5, 5x2, 1x1)', () => {
    // gray == the value itself when R = G = B
    const img = (w: number, h: number, v: number[]): RgbImage => ({
      data: Uint8Array.from(v.flatMap((g) => [g, g, g])),
      width: w,
      height: h,
      channels: 3,
    });
    const row = [120, 130, 192, 242, 8];
    const two = [120, 130, 192, 242, 8, 36, 209, 241, 63, 79];
    const cases: [RgbImage, number[]][] = [
      [img(5, 1, row), [20, 52, -12, -284, 468]],
      [img(1, 5, row), [20, 52, -12, -284, 468]],
      [img(5, 2, two), [-148, 210, 86, -642, 610, 514, -299, -308, 552, -174]],
      [img(2, 5, two), [164, 204, -156, -418, 441, 355, -283, -431, 324, 292]],
      [img(1, 1, [120]), [0]],
    ];
    for (const [im, lap] of cases) {
      const sum = lap.reduce((a, b) => a + b, 0);
      const sumSq = lap.reduce((a, b) => a + b * b, 0);
      for (const kernel of kernels) {
        const s = laplacianStats(im, { kernel });
        expect([s.sum, s.sumSq]).toEqual([sum, sumSq]);
        expect(s.lv).toBe(exactVariance(lap.length, sum, sumSq));
      }
    }
  });

  it('views at every byte alignment inside a larger buffer give the same sums', () => {
    const r = rng(99);
    for (let k = 0; k < 40; k++) {
      const w = 1 + Math.floor(r() * 40);
      const h = 1 + Math.floor(r() * 12);
      const c: 3 | 4 = k % 2 ? 3 : 4;
      const img = randomImage(r, w, h, c, 0);
      const ref = naive(img);
      for (let offset = 0; offset < 4; offset++) {
        const big = new Uint8Array(img.data.length + 9).fill(255);
        big.set(img.data, offset);
        const view: RgbImage = { ...img, data: big.subarray(offset, offset + img.data.length) };
        for (const kernel of kernels) {
          const s = laplacianStats(view, { kernel });
          expect([s.sum, s.sumSq], `${String(w)}x${String(h)}x${String(c)} offset ${String(offset)} ${kernel}`).toEqual([
            Number(ref.sum),
            Number(ref.sumSq),
          ]);
        }
      }
    }
  });

  it('wide and tall extreme images do not overflow the 32-bit lanes', () => {
    for (const [w, h] of [
      [9001, 3],
      [3, 9001],
      [4500, 2],
    ] as const) {
      const img = randomImage(rng(w), w, h, 3, 1);
      const ref = naive(img);
      for (const kernel of kernels) {
        const s = laplacianStats(img, { kernel });
        expect([s.sum, s.sumSq]).toEqual([Number(ref.sum), Number(ref.sumSq)]);
      }
    }
  });

  it('exactVariance rounds the exact rational once (checked against BigInt bounds)', () => {
    const r = rng(7);
    for (let k = 0; k < 2000; k++) {
      const n = 1 + Math.floor(r() * 2 ** 26);
      const mean = (r() - 0.5) * 40;
      const s1 = Math.round(mean * n);
      const s2 = Math.ceil((s1 * s1) / n) + Math.floor(r() * n * 1e6);
      const v = exactVariance(n, s1, s2);
      // v must be within half an ulp of (n*s2 - s1^2)/n^2: compare with the neighbours exactly
      const num = BigInt(n) * BigInt(s2) - BigInt(s1) * BigInt(s1);
      const den = BigInt(n) * BigInt(n);
      const ulp = 2 ** (Math.floor(Math.log2(v)) - 52);
      const SCALE = 2n ** 1100n;
      const toBig = (x: number): bigint => {
        // x * 2^1100 as an exact integer (x has at most 53 significant bits)
        const e = Math.floor(Math.log2(x)) - 52;
        const m = BigInt(x / 2 ** e);
        return m * 2n ** BigInt(1100 + e);
      };
      const target = (num * SCALE) / den; // floor of the exact value * 2^1100
      const err = toBig(v) - target;
      const half = toBig(ulp) / 2n;
      expect(err <= half + 1n && -err <= half + 1n, `n=${String(n)} s1=${String(s1)} s2=${String(s2)}`).toBe(true);
    }
  });

  it('rejects empty, non-finite and short inputs with EstimatorError naming the size', async () => {
    const bad: RgbImage[] = [
      { data: new Uint8Array(0), width: 0, height: 5, channels: 3 },
      { data: new Uint8Array(30), width: Number.NaN, height: 5, channels: 3 },
      { data: new Uint8Array(30), width: Infinity, height: 1, channels: 3 },
      { data: new Uint8Array(10), width: 2, height: 2, channels: 3 },
    ];
    for (const im of bad) {
      let err: unknown;
      try {
        varianceOfLaplacian(im);
      } catch (e) {
        err = e;
      }
      expect(isBlurmmError(err, 'E_ESTIMATOR')).toBe(true);
      expect((err as Error).message).toContain(`${String(im.width)}x${String(im.height)}x3`);
    }
    await expect(laplacianVariance().estimate([bad[0]!])).rejects.toMatchObject({ code: 'E_ESTIMATOR', location: 'tile 0 of the batch' });
  });

  it('rejects unknown options with the argument template and honours the signal', async () => {
    expect(() => laplacianVariance({ kernel: 'gpu' })).toThrow('Expected "auto", "wasm" or "js" for kernel but received "gpu" of type string');
    expect(() => laplacianVariance({ id: 3 })).toThrow('Expected a non-empty string for id but received 3 of type number');
    const ac = new AbortController();
    ac.abort();
    const tile = randomImage(rng(1), 8, 8, 3, 0);
    await expect(laplacianVariance().estimate([tile], { signal: ac.signal })).rejects.toMatchObject({ code: 'E_ABORTED' });
  });
});
