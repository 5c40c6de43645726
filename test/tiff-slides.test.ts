/**
 * The TIFF-family reader against OpenSlide 3.4.1 (python3-openslide as the oracle) and against
 * the lossless ground truth of ../shared/data, on every TIFF-based slide there.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { readFileSync } from 'node:fs';
import { openTiffSlide } from '../src/adapters/tiff/tiff-source.js';
import { varianceOfLaplacian } from '../src/plugins/estimators/lv.js';
import type { SlideSource } from '../src/core/types.js';
import { hasSharedData, shared } from './helpers/shared-data.js';
import { boxMean, compare, cropWhite, oracle, oracleInfo, openslideMissing, rgbaToRgbWhite, type OracleInfo } from './tiff-oracle.js';

const S = (f: string): string => shared('slides', f);
const JPEG90 = S('blurmosaic-jpeg90-tile256.tif');
const BIGTIFF = S('blurmosaic-deflate-tile512-bigtiff.tif');
const OME = S('blurmosaic-ome-subifd-jpeg75-tile256.ome.tif');
const SVS = S('blurmosaic-svslike-jpeg70-tile240.svs');

let png: { data: Uint8Array; width: number; height: number } | undefined;
async function groundTruth(): Promise<{ data: Uint8Array; width: number; height: number }> {
  if (!png) {
    const { data, info } = await sharp(shared('slides', 'blurmosaic.png')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    png = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  }
  return png;
}

/**
 * Per file: the largest max-abs difference to OpenSlide allowed on any pixel. sharp's bundled
 * libjpeg-turbo and Debian's libjpeg62-turbo decode JPEG identically, so every file is exact.
 */
const SLIDES = [
  { name: 'JPEG q90 RGB pyramidal TIFF (a)', path: JPEG90, format: 'generic-tiff', levels: 5, maxDiff: 0 },
  { name: 'deflate BigTIFF (b)', path: BIGTIFF, format: 'generic-tiff', levels: 3, maxDiff: 0 },
  { name: 'OME-TIFF with SubIFDs (c)', path: OME, format: 'ome-tiff', levels: 5, maxDiff: 0 },
  { name: 'SVS-like (d)', path: SVS, format: 'aperio', levels: 3, maxDiff: 0 },
];

describe.skipIf(!hasSharedData || openslideMissing !== undefined)('TIFF family vs OpenSlide 3.4.1', () => {
  for (const spec of SLIDES) {
    describe(spec.name, () => {
      let slide: SlideSource;
      let info: OracleInfo;
      /** OpenSlide's whole levels, RGB on white (OpenSlide sees only level 0 of the OME file) */
      let osLevels: Uint8Array[];
      beforeAll(async () => {
        slide = await openTiffSlide(spec.path);
        info = oracleInfo(spec.path);
        osLevels = oracle(info.levels.map(([w, h], level) => ({ op: 'region' as const, path: spec.path, x: 0, y: 0, level, width: w, height: h }))).map((r) => rgbaToRgbWhite(r.bytes));
        return () => slide.close();
      });

      it('info agrees with OpenSlide: levels, sizes, downsamples, mpp, properties', () => {
        expect(slide.format).toBe(spec.format);
        expect(slide.levels.length).toBe(spec.levels);
        const n = info.levels.length; // 1 for the OME file (OpenSlide does not follow SubIFDs)
        for (let i = 0; i < n; i++) {
          expect([slide.levels[i]!.width, slide.levels[i]!.height]).toEqual(info.levels[i]);
          expect(slide.levels[i]!.downsample).toBe(info.downsamples[i]);
        }
        expect(slide.mpp).toEqual({ x: 0.25, y: 0.25 });
        for (const l of slide.levels) expect(l.mpp!.x).toBeCloseTo(0.25 * l.downsample, 12);
        for (const [k, v] of Object.entries(info.properties)) {
          if (k === 'openslide.quickhash-1') continue;
          if (spec.format === 'ome-tiff' && (k === 'openslide.vendor' || k === 'openslide.level-count')) continue;
          expect([k, slide.properties[k]]).toEqual([k, v]);
        }
        expect(Object.keys(info.associated).sort()).toEqual([...slide.associatedImages].sort());
      });

      it('every level, read whole, equals OpenSlide (JPEG block decode and tile-by-tile decode)', async () => {
        const byTile = await openTiffSlide(spec.path, { jpegDecode: 'tile' });
        try {
          for (let level = 0; level < info.levels.length; level++) {
            const [w, h] = info.levels[level]!;
            const r = await slide.readRegion({ level, x: 0, y: 0, width: w, height: h });
            expect(compare(r.data, osLevels[level]!).maxDiff, `level ${level}, block`).toBeLessThanOrEqual(spec.maxDiff);
            const t = await byTile.readRegion({ level, x: 0, y: 0, width: w, height: h });
            expect(compare(t.data, osLevels[level]!).maxDiff, `level ${level}, tile`).toBeLessThanOrEqual(spec.maxDiff);
          }
        } finally {
          await byTile.close();
        }
      });

      it('regions crossing tile edges and the image border, at every level', async () => {
        for (let level = 0; level < info.levels.length; level++) {
          const [w, h] = info.levels[level]!;
          const ds = slide.levels[level]!.downsample;
          const tw = slide.levels[level]!.tileWidth!;
          // level-pixel origins: straddling a tile corner, the bottom-right border, odd offsets
          const origins: [number, number][] = [[tw - 37, tw - 11], [w - 101, h - 57], [Math.floor(w / 2) + 3, 7], [1, h - 1]];
          for (const [lx, ly] of origins) {
            // the level-0 position that maps to (lx, ly): OpenSlide truncates x / downsample
            const x = Math.ceil(lx * ds);
            const y = Math.ceil(ly * ds);
            expect(Math.trunc(x / ds)).toBe(lx);
            const r = await slide.readRegion({ level, x, y, width: 300, height: 170 });
            const want = cropWhite(osLevels[level]!, w, h, lx, ly, 300, 170);
            expect(compare(r.data, want).maxDiff, `level ${level} at (${lx}, ${ly})`).toBeLessThanOrEqual(spec.maxDiff);
          }
        }
      });

      it('negative origins and RGBA output match OpenSlide read_region directly', async () => {
        const reqs = info.levels.map((_, level) => ({ op: 'region' as const, path: spec.path, x: -37, y: -1001, level, width: 200, height: 300 }));
        const answers = oracle(reqs);
        for (let level = 0; level < reqs.length; level++) {
          const r = await slide.readRegion({ level, x: -37, y: -1001, width: 200, height: 300, channels: 4 });
          expect(r.channels).toBe(4);
          expect(compare(r.data, answers[level]!.bytes).maxDiff, `level ${level}`).toBeLessThanOrEqual(spec.maxDiff);
        }
      });
    });
  }

  it('SVS: aperio vendor, MPP 0.25, AppMag 40, thumbnail/label/macro equal OpenSlide', async () => {
    const slide = await openTiffSlide(SVS);
    try {
      expect(slide.properties['aperio.MPP']).toBe('0.25');
      expect(slide.properties['aperio.AppMag']).toBe('40');
      expect(slide.properties['openslide.objective-power']).toBe('40');
      expect(slide.mppSource).toBe('aperio MPP');
      const names = ['thumbnail', 'label', 'macro'];
      const answers = oracle(names.map((name) => ({ op: 'associated' as const, path: SVS, name })));
      for (let i = 0; i < names.length; i++) {
        const img = await slide.readAssociatedImage!(names[i]!);
        expect([img.width, img.height]).toEqual([answers[i]!.header['width'], answers[i]!.header['height']]);
        expect(compare(img.data, rgbaToRgbWhite(answers[i]!.bytes)).maxDiff, names[i]).toBe(0);
      }
      await expect(slide.readAssociatedImage!('barcode')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    } finally {
      await slide.close();
    }
  });
});

describe.skipIf(!hasSharedData)('TIFF family feeding the blur estimator', () => {
  it('LV of every 512 px tile of (a) equals the OpenSlide-decoded values in reference/lv-tiles.json (to numpy rounding)', async () => {
    const ref = JSON.parse(readFileSync(shared('reference', 'lv-tiles.json'), 'utf8')) as {
      informational_jpeg90_openslide_512: { tiles: { col: number; row: number; lv: number }[] };
    };
    const tiles = ref.informational_jpeg90_openslide_512.tiles;
    expect(tiles.length).toBeGreaterThan(40);
    const slide = await openTiffSlide(JPEG90);
    try {
      for (const t of tiles) {
        const x = t.col * 512;
        const y = t.row * 512;
        const img = await slide.readRegion({ level: 0, x, y, width: Math.min(512, 4100 - x), height: Math.min(512, 3090 - y) });
        // the reference is numpy's var(), within 2.3e-16 relative of the exact value blurmm computes
        expect(Math.abs(varianceOfLaplacian(img) - t.lv) / t.lv, `tile (${t.col}, ${t.row})`).toBeLessThan(5e-16);
      }
    } finally {
      await slide.close();
    }
  });
});

describe.skipIf(!hasSharedData)('TIFF family vs the lossless ground truth', () => {
  it('deflate BigTIFF: level 0 equals the PNG, levels 1-2 equal box_mean(png, 4 / 16)', async () => {
    const gt = await groundTruth();
    const slide = await openTiffSlide(BIGTIFF);
    try {
      const l0 = await slide.readRegion({ level: 0, x: 0, y: 0, width: 4100, height: 3090 });
      expect(compare(l0.data, gt.data).maxDiff).toBe(0);
      for (const [level, f] of [[1, 4], [2, 16]] as const) {
        const bm = boxMean(gt.data, gt.width, gt.height, f);
        const r = await slide.readRegion({ level, x: 0, y: 0, width: bm.width, height: bm.height });
        expect(compare(r.data, bm.data).maxDiff, `level ${level}`).toBe(0);
      }
      // an odd level-1 offset reads the level's own pixels at trunc(x / downsample) (no resampling)
      const bm4 = boxMean(gt.data, gt.width, gt.height, 4);
      const r = await slide.readRegion({ level: 1, x: 4001, y: 3001, width: 40, height: 30 });
      expect(compare(r.data, cropWhite(bm4.data, bm4.width, bm4.height, 999, 750, 40, 30)).maxDiff).toBe(0);
      expect(slide.mppSource).toBe('tiff XResolution (cm)');
      expect(slide.properties['openslide.mpp-x']).toBe('0.25');
    } finally {
      await slide.close();
    }
  });

  it('OME-TIFF: 5 levels through SubIFDs, PSNR against box_mean of the PNG as the README states', async () => {
    const gt = await groundTruth();
    const slide = await openTiffSlide(OME);
    try {
      expect(slide.levels.map((l) => [l.width, l.height])).toEqual([[4100, 3090], [2050, 1545], [1025, 772], [512, 386], [256, 193]]);
      expect(slide.mppSource).toBe('OME-XML PhysicalSizeX/Y');
      // README (c): 36.34, 34.16, 31.91, 30.32, 29.11 dB (vips decode); floors 0.01 dB below
      const floors = [36.33, 34.15, 31.9, 30.31, 29.1];
      const f = [1, 2, 4, 8, 16];
      for (let level = 0; level < 5; level++) {
        const ref = f[level] === 1 ? gt : boxMean(gt.data, gt.width, gt.height, f[level]!);
        const r = await slide.readRegion({ level, x: 0, y: 0, width: ref.width, height: ref.height });
        const { psnr } = compare(r.data, ref.data);
        expect(psnr, `level ${level}`).toBeGreaterThanOrEqual(floors[level]!);
        expect(psnr, `level ${level}`).toBeLessThan(floors[level]! + 0.03);
      }
    } finally {
      await slide.close();
    }
  });
});
