/**
 * DICOM-WSI from local files, against the shared blurmosaic data: the TILED_FULL series made by
 * OrthancWSIDicomizer from the JPEG TIFF holds the same JPEG tiles, so reads must equal that TIFF
 * decoded by sharp (libvips/libjpeg, the same pixels OpenSlide gives), pixel for pixel.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDicomSeries } from '../src/adapters/dicom/open-local.js';
import type { DicomWsiSource } from '../src/adapters/dicom/wsi-source.js';
import { dicomOpener } from '../src/adapters/dicom/opener.js';
import { isBlurmmError } from '../src/core/errors.js';
import type { RgbImage } from '../src/core/types.js';
import { hasSharedData, shared } from './helpers/shared-data.js';

const full = shared('slides', 'dicom', 'tiled-full');
const sparseAll = shared('slides', 'dicom', 'tiled-sparse', 'level-2-all-frames-shuffled.dcm');
const sparseTwo = shared('slides', 'dicom', 'tiled-sparse', 'level-2-two-tiles-omitted.dcm');
const tiff = shared('slides', 'blurmosaic-jpeg90-tile256.tif');

/** level `page` of the JPEG TIFF decoded by sharp, as a whole */
async function tiffLevel(page: number): Promise<RgbImage> {
  const { data, info } = await sharp(tiff, { page }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 };
}

/** crop of `img` at level pixel (x, y), white outside */
function crop(img: RgbImage, x: number, y: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 3).fill(255);
  for (let yy = 0; yy < h; yy++) {
    for (let xx = 0; xx < w; xx++) {
      const sx = x + xx;
      const sy = y + yy;
      if (sx < 0 || sy < 0 || sx >= img.width || sy >= img.height) continue;
      const s = (sy * img.width + sx) * 3;
      const d = (yy * w + xx) * 3;
      out[d] = img.data[s]!;
      out[d + 1] = img.data[s + 1]!;
      out[d + 2] = img.data[s + 2]!;
    }
  }
  return out;
}

function countDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

describe.skipIf(!hasSharedData)('DICOM-WSI TILED_FULL folder (shared blurmosaic data)', () => {
  let slide: DicomWsiSource;
  beforeAll(async () => {
    slide = await openDicomSeries(full);
  });
  afterAll(async () => {
    await slide?.close();
  });

  it('has the 5 levels, tile size, frame counts and PixelSpacing of the README', () => {
    expect(slide.format).toBe('dicom');
    expect(slide.levels.map((l) => [l.width, l.height])).toEqual([
      [4100, 3090], [2050, 1545], [1025, 772], [512, 386], [256, 193],
    ]);
    expect(slide.levels.every((l) => l.tileWidth === 256 && l.tileHeight === 256)).toBe(true);
    expect(slide.series.levels.map((l) => l.instances[0]!.numberOfFrames)).toEqual([221, 63, 20, 4, 1]);
    expect(slide.series.levels.map((l) => [l.tilesAcross, l.tilesDown])).toEqual([[17, 13], [9, 7], [5, 4], [2, 2], [1, 1]]);
    // OpenSlide's downsamples for these sizes
    const ds = slide.levels.map((l) => l.downsample);
    expect(ds[0]).toBe(1);
    expect(ds[1]).toBe(2);
    expect(ds[2]).toBeCloseTo(4.0012953367875648, 12);
    expect(ds[3]).toBeCloseTo(8.0064969235751295, 12);
    expect(ds[4]).toBeCloseTo(16.012993847150259, 12);
    // PixelSpacing 0.000249999983 mm -> 0.249999983 um; [row, column] order at level 2
    expect(slide.mpp?.x).toBeCloseTo(0.249999983, 9);
    expect(slide.mpp?.y).toBeCloseTo(0.249999983, 9);
    expect(slide.levels[2]!.mpp?.x).toBeCloseTo(0.999999931, 9);
    expect(slide.levels[2]!.mpp?.y).toBeCloseTo(1.00064767, 9);
    expect(slide.mppSource).toContain('PixelSpacing');
    expect(slide.properties['dicom.SeriesInstanceUID']).toBe('2.25.28615303371472510279235540832700753311');
    expect(slide.properties['dicom.TransferSyntaxUID']).toBe('1.2.840.10008.1.2.4.50');
    expect(slide.properties['dicom.DimensionOrganizationType']).toBe('TILED_FULL');
    expect(slide.properties['dicom.frame-index']).toBe('basic-offset-table');
    expect(slide.associatedImages).toEqual([]);
  });

  it('reads every whole level pixel-identical to the JPEG TIFF decoded by sharp', async () => {
    for (let level = 0; level < 5; level++) {
      const l = slide.levels[level]!;
      const ref = await tiffLevel(level);
      const got = await slide.readRegion({ x: 0, y: 0, width: l.width, height: l.height, level });
      expect([got.width, got.height, got.channels]).toEqual([ref.width, ref.height, 3]);
      expect(countDiff(got.data, ref.data), `level ${level}`).toBe(0);
    }
  });

  it('reads regions crossing tile edges and the border equal to the TIFF, white outside', async () => {
    const cases = [
      { level: 0, lx: 250, ly: 250, w: 300, h: 20 }, // crosses tile column 0/1 and 1/2
      { level: 0, lx: 4000, ly: 3000, w: 200, h: 150 }, // past the right and bottom border
      { level: 0, lx: -30, ly: -7, w: 60, h: 40 }, // before the top-left corner
      { level: 1, lx: 2000, ly: 511, w: 100, h: 3 },
      { level: 2, lx: 1000, ly: 700, w: 50, h: 100 },
      { level: 3, lx: 255, ly: 255, w: 2, h: 2 },
      { level: 4, lx: 250, ly: 180, w: 10, h: 20 },
    ];
    for (const c of cases) {
      const ref = await tiffLevel(c.level);
      const ds = slide.levels[c.level]!.downsample;
      // level-0 coordinates that map back to (lx, ly) at this level
      const x = Math.ceil(c.lx * ds);
      const y = Math.ceil(c.ly * ds);
      const got = await slide.readRegion({ x, y, width: c.w, height: c.h, level: c.level });
      expect(countDiff(got.data, crop(ref, c.lx, c.ly, c.w, c.h)), JSON.stringify(c)).toBe(0);
    }
  });

  it('returns RGBA with transparent outside when asked for 4 channels', async () => {
    const got = await slide.readRegion({ x: 4098, y: 0, width: 4, height: 1, level: 0, channels: 4 });
    expect(got.channels).toBe(4);
    expect(Array.from(got.data.subarray(8, 16))).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(got.data[3]).toBe(255);
  });

  it('rejects a level that does not exist with the argument template', async () => {
    await expect(slide.readRegion({ x: 0, y: 0, width: 1, height: 1, level: 5 })).rejects.toThrow(/Expected an integer level from 0 to 4 for level but received 5 of type number/);
  });
});

describe.skipIf(!hasSharedData)('DICOM-WSI TILED_SPARSE (shared data)', () => {
  it('stitches the shuffled TILED_SPARSE file equal to TILED_FULL level 2', async () => {
    const sparse = await openDicomSeries(sparseAll);
    const ref = await openDicomSeries(full);
    try {
      expect(sparse.levels.length).toBe(1);
      expect(sparse.series.levels[0]!.organization).toBe('positions');
      expect(sparse.properties['dicom.DimensionOrganizationType']).toBe('TILED_SPARSE');
      // frame 1 is tile (col 3, row 0) per the README
      expect(sparse.series.levels[0]!.tiles.get(3)?.frame).toBe(1);
      const a = await sparse.readRegion({ x: 0, y: 0, width: 1025, height: 772, level: 0 });
      const b = await ref.readRegion({ x: 0, y: 0, width: 1025, height: 772, level: 2 });
      expect(countDiff(a.data, b.data)).toBe(0);
    } finally {
      await sparse.close();
      await ref.close();
    }
  });

  it('paints the two omitted tiles as background and keeps the rest', async () => {
    const sparse = await openDicomSeries(sparseTwo);
    const ref = await openDicomSeries(full);
    try {
      expect(sparse.properties['dicom.level[0].tiles-present']).toBe('18 of 20');
      const a = await sparse.readRegion({ x: 0, y: 0, width: 1025, height: 772, level: 0 });
      const b = await ref.readRegion({ x: 0, y: 0, width: 1025, height: 772, level: 2 });
      let inMissing = 0;
      let white = 0;
      for (let y = 0; y < 772; y++) {
        for (let x = 0; x < 1025; x++) {
          const i = (y * 1025 + x) * 3;
          const missing = x < 256 && y >= 512; // tiles (0, 2) and (0, 3)
          if (missing) {
            inMissing++;
            if (a.data[i] === 255 && a.data[i + 1] === 255 && a.data[i + 2] === 255) white++;
          } else if (a.data[i] !== b.data[i] || a.data[i + 1] !== b.data[i + 1] || a.data[i + 2] !== b.data[i + 2]) {
            throw new Error(`pixel (${x}, ${y}) differs outside the omitted tiles`);
          }
        }
      }
      expect(white).toBe(inMissing);
      expect(inMissing).toBe(256 * 260);
    } finally {
      await sparse.close();
      await ref.close();
    }
  });

  it('opening the sparse folder names both series and asks for one', async () => {
    const err = await openDicomSeries(shared('slides', 'dicom', 'tiled-sparse')).catch((e: unknown) => e);
    expect(isBlurmmError(err, 'E_FORMAT')).toBe(true);
    expect(String((err as Error).message)).toMatch(/2 DICOM series .*2\.25\.277548548450914758235351051718639328187/);
  });

  it('the opener claims a .dcm file by its magic and a DICOM folder, not a URL', async () => {
    const { readFile } = await import('node:fs/promises');
    const head = (await readFile(sparseAll)).subarray(0, 512);
    expect(dicomOpener.canOpen(sparseAll, head)).toBe(true);
    expect(dicomOpener.canOpen(full, undefined)).toBe(true);
    expect(dicomOpener.canOpen(tiff, (await readFile(tiff)).subarray(0, 512))).toBe(false);
    expect(dicomOpener.canOpen('http://x/studies/1/series/2', undefined)).toBe(false);
  });
});
