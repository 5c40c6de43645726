import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isBlurmmError } from '../src/core/errors.js';
import { boxMean, createAreaResizer, resizeArea } from '../src/core/resample.js';
import type { RgbImage } from '../src/core/types.js';

interface Case {
  seed: number;
  width: number;
  height: number;
  channels: 3 | 4;
  smooth: boolean;
  outWidth: number;
  outHeight: number;
  sha256?: string;
  base64?: string;
}
const ref = JSON.parse(readFileSync(new URL('./fixtures/resample-cv2.json', import.meta.url), 'utf8')) as { down: Case[]; up: Case[] };

/** mulberry32, as in scripts/make-resample-reference.py */
function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function image(c: Pick<Case, 'seed' | 'width' | 'height' | 'channels' | 'smooth'>): RgbImage {
  const g = mulberry32(c.seed);
  const n = c.width * c.height * c.channels;
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = g() >>> 24;
  if (c.smooth) {
    for (let y = 0; y < c.height; y++) {
      for (let x = 0; x < c.width; x++) {
        const base =
          (Math.floor((x * 255) / Math.max(c.width - 1, 1)) + Math.floor((y * 128) / Math.max(c.height - 1, 1))) % 256;
        for (let k = 0; k < c.channels; k++) {
          const i = (y * c.width + x) * c.channels + k;
          data[i] = (base + (data[i]! % 5)) % 256;
        }
      }
    }
  }
  return { data, width: c.width, height: c.height, channels: c.channels };
}

const sha = (d: Uint8Array): string => createHash('sha256').update(d).digest('hex');

describe('resizeArea matches cv2.resize INTER_AREA (OpenCV 4.6, stored hashes)', () => {
  for (const c of ref.down) {
    it(`downscale ${c.width}x${c.height}x${c.channels} -> ${c.outWidth}x${c.outHeight} is bit-exact`, () => {
      const out = resizeArea(image(c), c.outWidth, c.outHeight);
      expect([out.width, out.height, out.channels]).toEqual([c.outWidth, c.outHeight, c.channels]);
      expect(sha(out.data)).toBe(c.sha256);
    });
  }
  for (const c of ref.up) {
    it(`upscale ${c.width}x${c.height} -> ${c.outWidth}x${c.outHeight} is within 1 grey level`, () => {
      const out = resizeArea(image(c), c.outWidth, c.outHeight);
      const want = Buffer.from(c.base64!, 'base64');
      expect(out.data.length).toBe(want.length);
      let maxDiff = 0;
      for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(out.data[i]! - want[i]!));
      expect(maxDiff).toBeLessThanOrEqual(1);
    });
  }
});

describe('streaming resizer', () => {
  it.each([0, 1, 4])('gives the same bytes in strips of any height as in one call (case %i)', (ci) => {
    const c = ref.down[ci]!;
    const img = image(c);
    const whole = resizeArea(img, c.outWidth, c.outHeight);
    for (const strip of [1, 7, 64, 333]) {
      const r = createAreaResizer(img.width, img.height, c.outWidth, c.outHeight, c.channels);
      const stride = img.width * c.channels;
      for (let y = 0; y < img.height; y += strip) {
        const rows = Math.min(strip, img.height - y);
        r.push(img.data.subarray(y * stride, (y + rows) * stride), rows);
      }
      expect(sha(r.finish().data)).toBe(c.sha256);
      expect(sha(whole.data)).toBe(c.sha256);
    }
  });
  it('refuses finish() before every row and too many rows, with typed errors', () => {
    const r = createAreaResizer(10, 10, 5, 5, 3);
    r.push(new Uint8Array(10 * 3 * 4), 4);
    expect(() => r.finish()).toThrowError(/all 10 source rows/);
    expect(() => r.push(new Uint8Array(10 * 3 * 7), 7)).toThrowError(/Expected an integer from 0 to 6/);
  });
});

describe('boxMean', () => {
  it('rounds half up and drops partial blocks, as box_mean in the shared README', () => {
    // 5x3 image, f = 2 -> 2x1 output; block (0,0) = 1,2,2,2 (sum 7 -> (7+2)>>2 = 2), block (1,0) = 0,0,2,0 (2 -> 1; blue 1018 -> 255)
    const g = [1, 2, 0, 0, 9, 2, 2, 0, 2, 9, 9, 9, 9, 9, 9];
    const data = new Uint8Array(g.flatMap((v) => [v, v, 255 - v]));
    const out = boxMean({ data, width: 5, height: 3, channels: 3 }, 2);
    expect([out.width, out.height]).toEqual([2, 1]);
    expect([...out.data]).toEqual([2, 2, 253, 1, 1, 255]);
  });
  it('differs from INTER_AREA only in tie rounding (factor 4: half up vs half to even)', () => {
    const img = image({ seed: 3, width: 128, height: 96, channels: 3, smooth: false });
    const a = boxMean(img, 4);
    const b = resizeArea(img, 32, 24);
    let diff = 0;
    for (let i = 0; i < a.data.length; i++) {
      const d = a.data[i]! - b.data[i]!;
      expect(d === 0 || d === 1).toBe(true);
      diff += d;
    }
    expect(diff).toBeGreaterThan(0);
  });
  it('names the argument in a typed error', () => {
    try {
      boxMean({ data: new Uint8Array(12), width: 2, height: 2, channels: 3 }, 3);
      expect.unreachable();
    } catch (e) {
      expect(isBlurmmError(e, 'E_ARGUMENT')).toBe(true);
      expect((e as Error).message).toBe('Expected an integer no larger than the image (2 x 2) for f but received 3 of type number');
    }
  });
});

describe('integer-factor and fractional fast paths', () => {
  const integerCases = ref.down.filter((c) => c.width % c.outWidth === 0 && c.height % c.outHeight === 0);
  const byteView = (img: RgbImage, shift: number): RgbImage => {
    // the same pixels at a byte offset that is not a multiple of 4 (rows cannot be read as words in place)
    const buf = new Uint8Array(img.data.length + shift);
    buf.set(img.data, shift);
    return { ...img, data: buf.subarray(shift) };
  };
  it('covers integer factors 2 to 8 (and 257 x 193, the byte-by-byte fallback) in the stored cases', () => {
    expect(new Set(integerCases.map((c) => `${c.width / c.outWidth}x${c.height / c.outHeight}x${c.channels}`))).toEqual(
      new Set(['2x2x3', '3x3x3', '4x4x3', '2x2x4', '5x5x3', '2x3x3', '3x2x3', '3x4x4', '8x8x3', '6x6x3', '257x193x3']),
    );
  });
  for (const c of ref.down) {
    it(`${c.width}x${c.height}x${c.channels} -> ${c.outWidth}x${c.outHeight}: unaligned views, Buffers and odd strips give the cv2 bytes`, () => {
      const img = image(c);
      for (const shift of [1, 2, 3]) expect(sha(resizeArea(byteView(img, shift), c.outWidth, c.outHeight).data)).toBe(c.sha256);
      expect(sha(resizeArea({ ...img, data: Buffer.from(img.data) }, c.outWidth, c.outHeight).data)).toBe(c.sha256);
      const r = createAreaResizer(img.width, img.height, c.outWidth, c.outHeight, c.channels);
      const stride = img.width * c.channels;
      const shifted = byteView(img, 1).data;
      for (let y = 0, k = 0; y < img.height; k++) {
        const rows = Math.min([3, 1, 2, 5][k % 4]!, img.height - y);
        r.push(shifted.subarray(y * stride, (y + rows) * stride), rows);
        y += rows;
      }
      expect(sha(r.finish().data)).toBe(c.sha256);
    });
  }
  it('x2 equals (a + b + c + d + 2) >> 2 and other factors cvRound(float32(sum * (1 / area))) at every width from 1 to 21', () => {
    for (const cn of [3, 4] as const) {
      for (const [sx, sy] of [[2, 2], [3, 3], [2, 3], [4, 4], [7, 5]] as const) {
        for (let w = 1; w <= 21; w++) {
          const h = 3;
          const img = image({ seed: w * 7 + sx, width: w * sx, height: h * sy, channels: cn, smooth: w % 2 === 0 });
          const got = resizeArea(img, w, h).data;
          const scale = Math.fround(1 / (sx * sy));
          for (let y = 0; y < h; y++) {
            for (let x = 0; x < w; x++) {
              for (let c = 0; c < cn; c++) {
                let s = 0;
                for (let yy = 0; yy < sy; yy++) for (let xx = 0; xx < sx; xx++) s += img.data[((y * sy + yy) * img.width + x * sx + xx) * cn + c]!;
                let want: number;
                if (sx === 2 && sy === 2) want = (s + 2) >> 2;
                else {
                  const v = Math.fround(s * scale);
                  want = Math.round(v);
                  if (want - v === 0.5 && want % 2 === 1) want--;
                }
                if (got[(y * w + x) * cn + c] !== want) expect.fail(`${sx}x${sy} cn ${cn} width ${w}: pixel (${x}, ${y}) channel ${c} is ${got[(y * w + x) * cn + c]}, want ${want}`);
              }
            }
          }
        }
      }
    }
  });
});
