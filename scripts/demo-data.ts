/**
 * Datasets of the demo: synthetic tissue regions cut into crops (training) or 256 px tiles
 * (held-out evaluation), and their conversion to the models' normalised NCHW input.
 */
import type { RgbImage } from '../src/core/types.js';
import { finishPlanes, renderSharpPlanes, seedOf } from './demo-tissue.js';

/** the models' input normalisation (also written into demo.config.json): (v / 255 - 0.5) / 0.25 */
export const NORM = { mean: 0.5, std: 0.25 } as const;

/** Writes `img` as normalised NCHW floats at `offset` of `out`. */
export function writeInput(img: RgbImage, out: Float32Array, offset: number): void {
  const plane = img.width * img.height;
  const { data, channels } = img;
  for (let i = 0, s = 0; i < plane; i++, s += channels) {
    for (let c = 0; c < 3; c++) out[offset + c * plane + i] = (data[s + c]! / 255 - NORM.mean) / NORM.std;
  }
}

/** Cuts an image into non-overlapping `size` px squares (row-major). */
export function cut(img: RgbImage, size: number): RgbImage[] {
  const out: RgbImage[] = [];
  for (let y = 0; y + size <= img.height; y += size)
    for (let x = 0; x + size <= img.width; x += size) {
      const data = new Uint8Array(size * size * 3);
      for (let r = 0; r < size; r++) {
        const s = ((y + r) * img.width + x) * 3;
        data.set(img.data.subarray(s, s + size * 3), r * size * 3);
      }
      out.push({ data, width: size, height: size, channels: 3 });
    }
  return out;
}

export interface RegionSet {
  /** one entry per region: its class and its sharp planes */
  readonly regions: { cls: 0 | 1; seed: number; planes: ReturnType<typeof renderSharpPlanes> }[];
  readonly size: number;
}

/** Renders `perClass` sharp regions of each class, seeds derived from `seed` (region i: seedOf(seed, cls, i)). */
export function renderRegions(seed: number, perClass: number, size: number): RegionSet {
  const regions: RegionSet['regions'] = [];
  for (let i = 0; i < perClass; i++)
    for (const cls of [0, 1] as const) {
      const s = seedOf(seed, cls, i);
      regions.push({ cls, seed: s, planes: renderSharpPlanes(size, size, cls, s) });
    }
  return { regions, size };
}

/** The regions blurred with `sigma` and cut into `crop` px squares, with labels. */
export function blurredCrops(set: RegionSet, sigma: number, crop: number, noise = 1): { tiles: RgbImage[]; labels: Uint8Array } {
  const tiles: RgbImage[] = [];
  const labels: number[] = [];
  for (const r of set.regions) {
    const img = finishPlanes(r.planes, set.size, set.size, sigma, noise, seedOf(r.seed, 7));
    for (const t of cut(img, crop)) {
      tiles.push(t);
      labels.push(r.cls);
    }
  }
  return { tiles, labels: Uint8Array.from(labels) };
}

/** Tiles to one normalised NCHW Float32Array. */
export function toInput(tiles: readonly RgbImage[]): Float32Array {
  const first = tiles[0];
  if (!first) return new Float32Array(0);
  const per = 3 * first.width * first.height;
  const out = new Float32Array(tiles.length * per);
  tiles.forEach((t, i) => writeInput(t, out, i * per));
  return out;
}
