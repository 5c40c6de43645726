/** Test helpers of the tiler/tissue tests: an in-memory pyramid source. */
import type { LevelInfo, Mpp, RegionRequest, RgbImage, SlideSource } from '../src/core/types.js';

/** An in-memory pyramid (levels given, e.g. by box mean), recording every read; OpenSlide-style floor(x / downsample). */
export function memorySource(levels: RgbImage[], tileHeight?: number, mpp: Mpp | undefined = { x: 0.25, y: 0.25 }): SlideSource & { reads: RegionRequest[] } {
  const l0 = levels[0]!;
  const reads: RegionRequest[] = [];
  const infos: LevelInfo[] = levels.map((l, index) => ({
    index,
    width: l.width,
    height: l.height,
    downsample: (l0.width / l.width + l0.height / l.height) / 2,
    tileWidth: tileHeight,
    tileHeight,
  }));
  return {
    format: 'memory',
    path: 'memory://test',
    width: l0.width,
    height: l0.height,
    levels: infos,
    mpp,
    mppSource: mpp ? 'test' : 'unknown',
    properties: {},
    associatedImages: [],
    reads,
    async readRegion(r: RegionRequest): Promise<RgbImage> {
      reads.push(r);
      const img = levels[r.level]!;
      const ds = infos[r.level]!.downsample;
      const lx = Math.floor(r.x / ds);
      const ly = Math.floor(r.y / ds);
      const out = new Uint8Array(r.width * r.height * 3).fill(255);
      for (let y = 0; y < r.height; y++) {
        const sy = ly + y;
        if (sy < 0 || sy >= img.height) continue;
        for (let x = 0; x < r.width; x++) {
          const sx = lx + x;
          if (sx < 0 || sx >= img.width) continue;
          const s = (sy * img.width + sx) * 3;
          const d = (y * r.width + x) * 3;
          out[d] = img.data[s]!;
          out[d + 1] = img.data[s + 1]!;
          out[d + 2] = img.data[s + 2]!;
        }
      }
      return { data: out, width: r.width, height: r.height, channels: 3 };
    },
    async close() {},
  };
}


/** A source with geometry only (reads fail): for grid maths on slides of any size. */
export function shapeSource(width: number, height: number, levelSizes: readonly (readonly [number, number])[] = [], mpp?: Mpp): SlideSource {
  const dims: (readonly [number, number])[] = [[width, height], ...levelSizes];
  return {
    format: 'shape',
    path: 'shape://test',
    width,
    height,
    levels: dims.map(([w, h], index) => ({ index, width: w, height: h, downsample: (width / w + height / h) / 2 })),
    mpp,
    mppSource: mpp ? 'test' : 'unknown',
    properties: {},
    associatedImages: [],
    readRegion(): Promise<RgbImage> {
      return Promise.reject(new Error('shape source has no pixels'));
    },
    async close() {},
  };
}

/** mulberry32: a small seeded PRNG for property tests. */
export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seeded random RGB image. */
export function randomImage(seed: number, width: number, height: number): RgbImage {
  const r = mulberry32(seed);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(r() * 256);
  return { data, width, height, channels: 3 };
}

/** Copy of a region of an image (inside it). */
export function crop(img: RgbImage, x: number, y: number, w: number, h: number): RgbImage {
  const out = new Uint8Array(w * h * 3);
  for (let r = 0; r < h; r++) out.set(img.data.subarray(((y + r) * img.width + x) * 3, ((y + r) * img.width + x + w) * 3), r * w * 3);
  return { data: out, width: w, height: h, channels: 3 };
}
