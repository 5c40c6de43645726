import type { RgbImage, SlideSource } from '../../src/core/types.js';
import { seededRandom } from '../../src/plugins/train/stats.js';

/**
 * A one-level SlideSource over pixels in memory (tests only: the pipeline's own logic is under
 * test, the readers have their own suites). `failAt` makes reads that touch a point fail, to
 * exercise per-tile failure handling.
 */
export function memorySource(image: RgbImage, options: { mpp?: number; failAt?: { x: number; y: number }[]; path?: string } = {}): SlideSource & { reads: number } {
  const { width, height } = image;
  const src = {
    format: 'memory',
    path: options.path ?? 'memory://test',
    width,
    height,
    levels: [{ index: 0, width, height, downsample: 1, ...(options.mpp ? { mpp: { x: options.mpp, y: options.mpp } } : {}) }],
    mpp: options.mpp ? { x: options.mpp, y: options.mpp } : undefined,
    mppSource: options.mpp ? 'test' : 'unknown',
    properties: {},
    associatedImages: [],
    reads: 0,
    async readRegion(req: { x: number; y: number; width: number; height: number; level: number; channels?: 3 | 4 }): Promise<RgbImage> {
      src.reads++;
      for (const p of options.failAt ?? []) {
        if (p.x >= req.x && p.x < req.x + req.width && p.y >= req.y && p.y < req.y + req.height && req.width < width) {
          throw Object.assign(new Error(`injected read failure at (${p.x}, ${p.y})`), { code: 'E_DECODE' });
        }
      }
      const ch = req.channels ?? 3;
      const out = new Uint8Array(req.width * req.height * ch).fill(ch === 3 ? 255 : 0);
      for (let y = 0; y < req.height; y++) {
        const sy = req.y + y;
        if (sy < 0 || sy >= height) continue;
        for (let x = 0; x < req.width; x++) {
          const sx = req.x + x;
          if (sx < 0 || sx >= width) continue;
          const s = (sy * width + sx) * 3;
          const d = (y * req.width + x) * ch;
          out[d] = image.data[s]!;
          out[d + 1] = image.data[s + 1]!;
          out[d + 2] = image.data[s + 2]!;
          if (ch === 4) out[d + 3] = 255;
        }
      }
      return { data: out, width: req.width, height: req.height, channels: ch };
    },
    async close() {},
  };
  return src;
}

/** Deterministic PRNG (mulberry32), the project's one. */
export const rng = seededRandom;

/**
 * A synthetic "slide": pink tissue-like texture whose fine detail falls off column block by
 * column block (sharp -> smoothed -> flat), and a glass background block at the bottom right.
 */
export function texturedSlide(width: number, height: number, blocks: { x0: number; x1: number; smooth: number }[], glass?: { x: number; y: number; w: number; h: number }, seed = 1): RgbImage {
  const r = rng(seed);
  const noise = new Float32Array(width * height);
  for (let i = 0; i < noise.length; i++) noise[i] = (r() - 0.5) * 90;
  const data = new Uint8Array(width * height * 3);
  const tmp = new Float32Array(width * height);
  for (const b of blocks) {
    // separable box smoothing of radius `smooth` inside the block
    const k = b.smooth;
    for (let y = 0; y < height; y++) {
      for (let x = b.x0; x < b.x1; x++) {
        let s = 0;
        let n = 0;
        for (let dx = -k; dx <= k; dx++) {
          const xx = Math.min(width - 1, Math.max(0, x + dx));
          s += noise[y * width + xx]!;
          n++;
        }
        tmp[y * width + x] = s / n;
      }
    }
    for (let y = 0; y < height; y++) {
      for (let x = b.x0; x < b.x1; x++) {
        let s = 0;
        let n = 0;
        for (let dy = -k; dy <= k; dy++) {
          const yy = Math.min(height - 1, Math.max(0, y + dy));
          s += tmp[yy * width + x]!;
          n++;
        }
        const v = s / n;
        const i = (y * width + x) * 3;
        data[i] = Math.max(0, Math.min(255, Math.round(190 + v)));
        data[i + 1] = Math.max(0, Math.min(255, Math.round(110 + v)));
        data[i + 2] = Math.max(0, Math.min(255, Math.round(160 + v)));
      }
    }
  }
  if (glass) {
    for (let y = glass.y; y < glass.y + glass.h; y++) {
      for (let x = glass.x; x < glass.x + glass.w; x++) {
        const i = (y * width + x) * 3;
        data[i] = 243;
        data[i + 1] = 241;
        data[i + 2] = 245;
      }
    }
  }
  return { data, width, height, channels: 3 };
}
