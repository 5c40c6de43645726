import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../src/core/types.js';
import { gaussianBlur, gaussianKernelQ8, openCvKernelSize } from '../src/plugins/train/gaussian-blur.js';
import { hasSharedData, shared } from './helpers/shared-data.js';

const PY = '/usr/bin/python3';
const hasCv2 = existsSync(PY) && spawnSync(PY, ['-c', 'import cv2'], { stdio: 'ignore' }).status === 0;

/** cv2.GaussianBlur(img, (0,0), s, s, BORDER_REFLECT_101) for each sigma, through Debian's OpenCV 4.6 */
function cv2Blur(img: RgbImage, sigmas: readonly number[]): Uint8Array[] {
  const script = `
import sys, numpy as np, cv2
h, w, c = ${img.height}, ${img.width}, ${img.channels}
a = np.frombuffer(sys.stdin.buffer.read(), np.uint8).reshape(h, w, c)
for s in [${sigmas.join(',')}]:
    sys.stdout.buffer.write(cv2.GaussianBlur(a, (0, 0), s, s, borderType=cv2.BORDER_REFLECT_101).tobytes())
`;
  const r = spawnSync(PY, ['-c', script], { input: img.data, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  const n = img.data.length;
  return sigmas.map((_, i) => new Uint8Array(r.stdout.buffer, r.stdout.byteOffset + i * n, n));
}

function maxAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function noise(w: number, h: number, ch: 3 | 4, seed: number): RgbImage {
  let s = seed;
  const data = new Uint8Array(w * h * ch);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  return { data, width: w, height: h, channels: ch };
}

const SIGMAS = [0.1, 0.3, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];

describe('gaussianBlur kernel', () => {
  it('picks OpenCV 8-bit kernel sizes and Q8 taps summing to 256', () => {
    expect([0.5, 1, 1.5, 2, 3, 6, 10].map(openCvKernelSize)).toEqual([5, 7, 11, 13, 19, 37, 61]);
    // sigma 1: 0.0044, 0.054, 0.242, 0.399 (cv2.getGaussianKernel) diffused to Q8
    expect([...gaussianKernelQ8(1)]).toEqual([1, 14, 62, 102, 62, 14, 1]);
    for (const s of SIGMAS) expect(gaussianKernelQ8(s).reduce((a, b) => a + b, 0)).toBe(256);
  });
  it('leaves an image unchanged at sigma 0 and keeps a constant image constant', () => {
    const img = noise(20, 10, 3, 3);
    expect(gaussianBlur(img, 0).data).toEqual(img.data);
    const flat: RgbImage = { data: new Uint8Array(30 * 20 * 3).fill(200), width: 30, height: 20, channels: 3 };
    expect(gaussianBlur(flat, 4).data.every((v) => v === 200)).toBe(true);
  });
});

describe.skipIf(!hasCv2)('gaussianBlur equals cv2.GaussianBlur (OpenCV 4.6, /usr/bin/python3)', () => {
  it('on noise, including images smaller than the kernel and 1-px lines: max abs diff 0', () => {
    for (const [w, h, ch] of [[97, 61, 3], [5, 3, 3], [1, 40, 3], [33, 1, 4], [64, 64, 4]] as const) {
      const img = noise(w, h, ch, w * 31 + h);
      const want = cv2Blur(img, SIGMAS);
      SIGMAS.forEach((s, i) => expect(maxAbsDiff(gaussianBlur(img, s).data, want[i]!), `sigma ${s}, ${w}x${h}x${ch}`).toBe(0));
    }
  });

  it.skipIf(!hasSharedData)('on a real H&E patch: max abs diff 0 for every sigma', async () => {
    const { data, info } = await sharp(shared('focuslitenn', 'tcga-adrenal-in-focus.png'))
      .extract({ left: 100, top: 200, width: 301, height: 257 })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const img: RgbImage = { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 };
    const want = cv2Blur(img, SIGMAS);
    SIGMAS.forEach((s, i) => expect(maxAbsDiff(gaussianBlur(img, s).data, want[i]!), `sigma ${s}`).toBe(0));
  });
});
