/**
 * End to end with a real codec: level 0 of the JPEG q90 pyramidal TIFF decoded by sharp
 * (libvips/libjpeg), tiles on the 512 grid, LV against the values OpenCV computed on the same
 * file as decoded by OpenSlide (reference/lv-tiles.json, informational_jpeg90_openslide_512).
 * sharp's pixels equal OpenSlide's, so the values agree to rounding.
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { varianceOfLaplacian } from '../src/plugins/estimators/lv.js';
import { hasSharedData, shared } from './helpers/shared-data.js';

interface Ref {
  grids: Record<string, { tiles: { col: number; row: number; x: number; y: number; width: number; height: number }[] }>;
  informational_jpeg90_openslide_512: { tiles: { col: number; row: number; lv: number }[] };
}

describe.skipIf(!hasSharedData)('lv on the JPEG q90 TIFF decoded by sharp equals OpenSlide + OpenCV', () => {
  it('all 63 tiles of the 512 grid, both kernels, to 1e-12 relative', async () => {
    const ref = JSON.parse(readFileSync(shared('reference', 'lv-tiles.json'), 'utf8')) as Ref;
    const { data, info } = await sharp(shared('slides', 'blurmosaic-jpeg90-tile256.tif')).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([4100, 3090, 3]);
    const expected = ref.informational_jpeg90_openslide_512.tiles;
    expect(expected.length).toBe(63);
    for (const e of expected) {
      const t = ref.grids['512']!.tiles.find((g) => g.col === e.col && g.row === e.row)!;
      const px = new Uint8Array(t.width * t.height * 3);
      for (let r = 0; r < t.height; r++) {
        const s = ((t.y + r) * info.width + t.x) * 3;
        px.set(data.subarray(s, s + t.width * 3), r * t.width * 3);
      }
      for (const kernel of ['js', 'wasm'] as const) {
        const lv = varianceOfLaplacian({ data: px, width: t.width, height: t.height, channels: 3 }, { kernel });
        expect(Math.abs(lv - e.lv) / e.lv, `tile (${String(e.col)}, ${String(e.row)}) ${kernel}`).toBeLessThan(1e-12);
      }
    }
  });
});
