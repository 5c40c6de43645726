/**
 * The tiler, thumbnail and tissue mask on real pyramidal files through the registered readers
 * (TIFF family), against the lossless PNG.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerBuiltins } from '../src/builtins.js';
import { openSlide } from '../src/core/open.js';
import { boxMean, resizeArea } from '../src/core/resample.js';
import { readThumbnail } from '../src/core/thumbnail.js';
import { planTileGrid, readTile } from '../src/core/tiler.js';
import { computeTissueMask } from '../src/core/tissue.js';
import type { RgbImage, SlideSource } from '../src/core/types.js';
import { hasSharedData, shared } from './helpers/shared-data.js';
import { crop } from './tiler-helpers.js';

function psnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255) / (se / a.length));
}

describe.skipIf(!hasSharedData)('tiler on the shared pyramidal TIFFs', () => {
  let png: RgbImage;
  let lossless: SlideSource;
  let jpeg: SlideSource;
  beforeAll(async () => {
    registerBuiltins();
    const { data, info } = await sharp(shared('slides', 'blurmosaic.png')).raw().toBuffer({ resolveWithObject: true });
    png = { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 };
    lossless = await openSlide(shared('slides', 'blurmosaic-deflate-tile512-bigtiff.tif'));
    jpeg = await openSlide(shared('slides', 'blurmosaic-jpeg90-tile256.tif'));
  });
  afterAll(async () => {
    await lossless?.close();
    await jpeg?.close();
  });

  it('mpp 1.0 on the deflate BigTIFF reads level 1 (box_mean 4) unresampled, bit-exact', async () => {
    const grid = planTileGrid(lossless, { tileSize: 256, mpp: 1.0 });
    expect([grid.level, grid.readFactorX, grid.columns, grid.rows]).toEqual([1, 1, 5, 4]);
    const l1 = boxMean(png, 4);
    const { specs } = grid.tiles();
    for (const s of [specs[0]!, specs[6]!, specs.at(-1)!]) {
      const t = await readTile(lossless, s);
      const lx = s.col * 256;
      const ly = s.row * 256;
      expect([t.width, t.height]).toEqual([Math.min(256, 1025 - lx), Math.min(256, 772 - ly)]);
      expect(Buffer.from(t.data).equals(Buffer.from(crop(l1, lx, ly, t.width, t.height).data))).toBe(true);
    }
  });

  it('mpp 0.5 on the deflate BigTIFF reads level 0 at x2 and equals box_mean(png tile, 2)', async () => {
    const grid = planTileGrid(lossless, { tileSize: 512, mpp: 0.5 });
    expect([grid.level, grid.readFactorX, grid.columns, grid.rows]).toEqual([0, 2, 5, 4]);
    const s = grid.tiles().specs[6]!; // col 1, row 1
    expect([s.x, s.y, s.readWidth, s.outWidth]).toEqual([1024, 1024, 1024, 512]);
    const t = await readTile(lossless, s);
    expect(Buffer.from(t.data).equals(Buffer.from(boxMean(crop(png, 1024, 1024, 1024, 1024), 2).data))).toBe(true);
  });

  it('readThumbnail of the JPEG pyramid reads level 2 (1025 x 772) in strips, equal to resizing the whole level', async () => {
    const t = await readThumbnail(jpeg, 1024);
    expect([t.level, t.image.width, t.image.height]).toEqual([2, 1024, 772]);
    const whole = await jpeg.readRegion({ x: 0, y: 0, width: 1025, height: 772, level: 2 });
    expect(Buffer.from(t.image.data).equals(Buffer.from(resizeArea(whole, 1024, 772).data))).toBe(true);
    // JPEG q90 level 2 against the lossless box_mean level: 40.02 dB in validation.json, a little more after resizing
    expect(psnr(t.image.data, resizeArea(boxMean(png, 4), 1024, 772).data)).toBeGreaterThan(40);
  });

  it('the tissue mask of the JPEG pyramid separates the background block', async () => {
    const mask = await computeTissueMask(jpeg, { thumbnailMaxSide: 256 });
    // a 256 px thumbnail keeps more of the stroma's spread than the 128 px reference (183): Otsu moves a little
    expect(mask.threshold).toBeGreaterThanOrEqual(170);
    expect(mask.threshold).toBeLessThanOrEqual(190);
    expect(mask.tissueFraction(0, 2048, 1024, 1042)).toBeLessThan(0.02);
    expect(mask.tissueFraction(0, 0, 512, 512)).toBeGreaterThan(0.9); // r0c0: 0.988 at 1/32
    expect(Math.abs(mask.fraction - 0.8834)).toBeLessThan(0.05);
  });
});
