/**
 * LV against OpenCV 4.6 reference values: every tile of the 512 and 598 grids of
 * blurmosaic.png (reference/lv-tiles.json), full tiles and partial edge tiles, both kernels.
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RgbImage } from '../src/core/types.js';
import { isLvKernelAvailable, laplacianStats, laplacianVariance, type LvKernel } from '../src/plugins/estimators/lv.js';
import { hasSharedData, shared } from './helpers/shared-data.js';

interface RefTile {
  col: number;
  row: number;
  x: number;
  y: number;
  width: number;
  height: number;
  lv: number;
  lv_exact: number;
  n: number;
  lap_sum: number;
  lap_sum_sq: number;
  lv_interior16?: number | null;
}
interface RefFile {
  grids: Record<string, { tile_size: number; tiles: RefTile[] }>;
}

function crop(src: RgbImage, x: number, y: number, w: number, h: number): RgbImage {
  const ch = src.channels;
  const out = new Uint8Array(w * h * ch);
  for (let r = 0; r < h; r++) {
    const s = ((y + r) * src.width + x) * ch;
    out.set(src.data.subarray(s, s + w * ch), r * w * ch);
  }
  return { data: out, width: w, height: h, channels: ch };
}

function toRgba(img: RgbImage): RgbImage {
  const n = img.width * img.height;
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    out[i * 4] = img.data[i * 3]!;
    out[i * 4 + 1] = img.data[i * 3 + 1]!;
    out[i * 4 + 2] = img.data[i * 3 + 2]!;
    out[i * 4 + 3] = (i * 37) & 255; // alpha must be ignored
  }
  return { data: out, width: img.width, height: img.height, channels: 4 };
}

const kernels: LvKernel[] = ['js', 'wasm'];

describe.skipIf(!hasSharedData)('lv on blurmosaic.png equals OpenCV (reference/lv-tiles.json)', () => {
  let mosaic: RgbImage;
  let ref: RefFile;

  beforeAll(async () => {
    ref = JSON.parse(readFileSync(shared('reference', 'lv-tiles.json'), 'utf8')) as RefFile;
    const { data, info } = await sharp(shared('slides', 'blurmosaic.png')).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(3);
    mosaic = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
  });

  it('has both kernels here', () => {
    expect(isLvKernelAvailable('js')).toBe(true);
    expect(isLvKernelAvailable('wasm')).toBe(true);
  });

  for (const kernel of kernels) {
    for (const size of ['512', '598']) {
      it(`${kernel} kernel: every tile of the ${size} grid, exact sums and lv_exact to the last bit`, () => {
        const grid = ref.grids[size]!;
        expect(grid.tiles.length).toBe(size === '512' ? 63 : 42);
        const partial = new Set<string>();
        for (const t of grid.tiles) {
          const tile = crop(mosaic, t.x, t.y, t.width, t.height);
          const s = laplacianStats(tile, { kernel });
          const where = `tile (${String(t.col)}, ${String(t.row)}) ${String(t.width)}x${String(t.height)}`;
          expect({ where, n: s.n, sum: s.sum, sumSq: s.sumSq }).toEqual({ where, n: t.n, sum: t.lap_sum, sumSq: t.lap_sum_sq });
          expect({ where, lv: s.lv }).toEqual({ where, lv: t.lv_exact });
          expect(Math.abs(s.lv - t.lv) / t.lv).toBeLessThan(1e-12);
          if (t.width !== grid.tile_size || t.height !== grid.tile_size) partial.add(`${String(t.width)}x${String(t.height)}`);
        }
        expect([...partial].sort()).toEqual(size === '512' ? ['4x18', '4x512', '512x18'] : ['512x100', '512x598', '598x100']);
      });
    }

    it(`${kernel} kernel: lv_interior16 of the 512 grid`, () => {
      let checked = 0;
      for (const t of ref.grids['512']!.tiles) {
        if (t.lv_interior16 === null || t.lv_interior16 === undefined) continue;
        const tile = crop(mosaic, t.x + 16, t.y + 16, t.width - 32, t.height - 32);
        const lv = laplacianStats(tile, { kernel }).lv;
        // lv_interior16 is numpy's .var() (float summation), not the exact value: a few ulp apart
        expect(Math.abs(lv - t.lv_interior16) / t.lv_interior16, `tile (${String(t.col)}, ${String(t.row)})`).toBeLessThan(1e-14);
        checked++;
      }
      expect(checked).toBe(48);
    });

    it(`${kernel} kernel: RGBA tiles give the same values as RGB (alpha ignored)`, () => {
      for (const t of ref.grids['598']!.tiles.filter((_, i) => i % 5 === 0)) {
        const tile = toRgba(crop(mosaic, t.x, t.y, t.width, t.height));
        expect(laplacianStats(tile, { kernel }).lv).toBe(t.lv_exact);
      }
    });
  }

  it('the estimator returns one record per tile under its id', async () => {
    const tiles = ref.grids['512']!.tiles.slice(0, 9);
    const est = laplacianVariance({ id: 'lv512' });
    expect(est.name).toBe('lv');
    expect(est.outputs).toEqual([expect.objectContaining({ name: 'lv512', unit: 'gray level^2', direction: 'higher-is-sharper' })]);
    const recs = await est.estimate(tiles.map((t) => crop(mosaic, t.x, t.y, t.width, t.height)));
    expect(recs).toEqual(tiles.map((t) => ({ lv512: t.lv_exact })));
  });
});
