import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { boxMean, resizeArea } from '../src/core/resample.js';
import { readThumbnail } from '../src/core/thumbnail.js';
import { computeTissueMask, createTissueMask, otsuThreshold, rgbToGray } from '../src/core/tissue.js';
import type { RgbImage } from '../src/core/types.js';
import { hasSharedData, shared } from './helpers/shared-data.js';
import { memorySource } from './tiler-helpers.js';

async function decodePng(path: string): Promise<RgbImage> {
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 };
}

describe('rgbToGray', () => {
  it('is OpenCV 4.6 exact on colours where the 14-bit formula differs', () => {
    // values checked with /usr/bin/python3 cv2.cvtColor(..., COLOR_RGB2GRAY)
    const px = [
      [255, 255, 255, 255],
      [0, 0, 0, 0],
      [255, 0, 0, 76],
      [0, 255, 0, 150],
      [0, 0, 255, 29],
      [1, 2, 3, 2],
      [200, 100, 50, 124],
      [13, 201, 77, 131],
      // the 14-bit formula (4899, 9617, 1868) gives 173, 181, 146, 193 here
      [162, 188, 129, 174],
      [141, 230, 38, 182],
      [176, 112, 238, 145],
      [180, 223, 77, 194],
    ];
    const data = new Uint8Array(px.flatMap((p) => p.slice(0, 3)));
    const gray = rgbToGray({ data, width: px.length, height: 1, channels: 3 });
    expect([...gray]).toEqual(px.map((p) => p[3]));
  });
  it('ignores alpha of RGBA input', () => {
    const gray = rgbToGray({ data: new Uint8Array([200, 100, 50, 0, 13, 201, 77, 255]), width: 2, height: 1, channels: 4 });
    expect([...gray]).toEqual([124, 131]);
  });
});

describe('otsuThreshold', () => {
  it('splits two clusters between them (first maximum, cv2 rule)', () => {
    const g = new Uint8Array(100);
    g.fill(50, 0, 60);
    g.fill(200, 60);
    expect(otsuThreshold(g)).toBe(50);
  });
  it('is 0 for a constant or empty image', () => {
    expect(otsuThreshold(new Uint8Array(10).fill(7))).toBe(0);
    expect(otsuThreshold(new Uint8Array(0))).toBe(0);
  });
});

describe('tissueFraction geometry', () => {
  // 4 x 2 mask, scale 10: tissue in columns 0 and 1 of row 0 only
  const thumb: RgbImage = {
    data: new Uint8Array([0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255]),
    width: 4,
    height: 2,
    channels: 3,
  };
  const m = createTissueMask(thumb, 10, 10, 128);
  it('whole cells, partial cells by area, outside the mask by the nearest cell', () => {
    expect(m.fraction).toBe(2 / 8);
    expect(m.tissueFraction(0, 0, 20, 10)).toBe(1);
    expect(m.tissueFraction(0, 0, 40, 20)).toBe(0.25);
    expect(m.tissueFraction(15, 0, 10, 10)).toBeCloseTo(0.5, 12); // half of cell 1 (tissue), half of cell 2
    expect(m.tissueFraction(5, 5, 10, 10)).toBeCloseTo(0.25 + 0.25, 12);
    expect(m.tissueFraction(35, 0, 20, 10)).toBe(0); // clipped to cell 3
    expect(m.tissueFraction(-30, 0, 5, 5)).toBe(1); // outside: nearest cell (0, 0)
    expect(m.tissueFraction(100, 100, 4, 4)).toBe(0);
  });
});

describe.skipIf(!hasSharedData)('tissue mask on the shared blurmosaic (reference/otsu.json)', () => {
  const otsu = hasSharedData
    ? (JSON.parse(readFileSync(shared('reference', 'otsu.json'), 'utf8')) as {
        opencv: { threshold: number; tissue_fraction: number; tissue_pixels: number };
        thumbnail: { gray_histogram: number[] };
        per_region: { region: string; tissue_fraction_cv2: number }[];
      })
    : undefined;
  const truth = hasSharedData
    ? (JSON.parse(readFileSync(shared('slides', 'blurmosaic-truth.json'), 'utf8')) as {
        regions: { id: string; x: number; y: number; width: number; height: number }[];
      })
    : undefined;

  it('the stored 1/32 thumbnail gives threshold 183, fraction 0.88338 and every per-region fraction exactly', async () => {
    const thumb = await decodePng(shared('reference', 'otsu-thumbnail-1-32.png'));
    const gray = rgbToGray(thumb);
    const hist = new Array<number>(256).fill(0);
    for (const v of gray) hist[v]!++;
    expect(hist).toEqual(otsu!.thumbnail.gray_histogram);
    const mask = createTissueMask(thumb, 32, 32);
    expect(mask.threshold).toBe(otsu!.opencv.threshold);
    expect(mask.fraction).toBe(otsu!.opencv.tissue_fraction);
    expect(mask.data.reduce((a, b) => a + b, 0)).toBe(otsu!.opencv.tissue_pixels);
    expect(otsu!.per_region).toHaveLength(48);
    for (const r of otsu!.per_region) {
      const reg = truth!.regions.find((g) => g.id === r.region)!;
      expect({ region: r.region, f: mask.tissueFraction(reg.x, reg.y, reg.width, reg.height) }).toEqual({ region: r.region, f: r.tissue_fraction_cv2 });
    }
  });

  it('computeTissueMask on the PNG pyramid reads the smallest adequate level and lands near the reference', async () => {
    const png = await decodePng(shared('slides', 'blurmosaic.png'));
    const levels = [png, boxMean(png, 4), boxMean(png, 16)];
    const src = memorySource(levels, 64);
    const mask = await computeTissueMask(src, { thumbnailMaxSide: 128 });
    expect(new Set(src.reads.map((r) => r.level))).toEqual(new Set([2])); // 256x193 >= 128x96
    expect([mask.width, mask.height]).toEqual([128, 96]);
    expect(mask.scaleX).toBeCloseTo(4100 / 128, 12);
    expect(Math.abs(mask.threshold - 183)).toBeLessThanOrEqual(3);
    expect(Math.abs(mask.fraction - otsu!.opencv.tissue_fraction)).toBeLessThan(0.02);
    // background block r4c0..r5c1 (x < 1024, y >= 2048) is background, r0c0 is tissue
    expect(mask.tissueFraction(0, 2048, 1024, 1042)).toBeLessThan(0.02);
    expect(mask.tissueFraction(0, 0, 512, 512)).toBeGreaterThan(0.95);
    // fixed threshold override
    const all = await computeTissueMask(src, { thumbnailMaxSide: 128, threshold: 255 });
    expect([all.threshold, all.fraction]).toEqual([255, 1]);
  });

  it('readThumbnail of a one-level slide equals resizeArea of the whole image, strips and all', async () => {
    const png = await decodePng(shared('slides', 'blurmosaic.png'));
    const src = memorySource([png]);
    const t = await readThumbnail(src, 1024);
    expect([t.image.width, t.image.height, t.level]).toEqual([1024, 772, 0]);
    expect(src.reads.length).toBeGreaterThan(1); // 4100 x 3 B rows: 2048 rows per strip
    expect(Buffer.from(t.image.data).equals(Buffer.from(resizeArea(png, 1024, 772).data))).toBe(true);
    expect([t.scaleX, t.scaleY]).toEqual([4100 / 1024, 3090 / 772]);
  });
});
