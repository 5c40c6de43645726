import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageOpener, sniffImage } from '../src/adapters/image/index.js';
import { openImageSource } from '../src/adapters/image/source.js';
import { registerBuiltins } from '../src/builtins.js';
import { isBlurmmError } from '../src/core/errors.js';
import { openSlide } from '../src/core/open.js';
import { planTileGrid, readTile } from '../src/core/tiler.js';
import type { SlideSource } from '../src/core/types.js';
import { hasSharedData, shared } from './helpers/shared-data.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'blurmm-image-source-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const gradient = (w: number, h: number): Buffer => {
  const b = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    b[i * 3] = i % 251;
    b[i * 3 + 1] = (i * 7) % 253;
    b[i * 3 + 2] = (i * 13) % 255;
  }
  return b;
};

async function expectCorrupt(p: Promise<unknown>, file: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    expect(isBlurmmError(e, 'E_CORRUPT')).toBe(true);
    expect((e as Error).message).toContain(file);
    expect((e as { path?: string }).path).toBe(file);
    return;
  }
  expect.unreachable('no error');
}

describe('sniffImage and the opener', () => {
  it('recognises PNG, JPEG, TIFF, BigTIFF by magic bytes only', () => {
    expect(sniffImage(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]))).toBe('png');
    expect(sniffImage(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(sniffImage(new Uint8Array([0x49, 0x49, 42, 0]))).toBe('tiff');
    expect(sniffImage(new Uint8Array([0x4d, 0x4d, 0, 43]))).toBe('tiff');
    expect(sniffImage(new Uint8Array([0x44, 0x49, 0x43, 0x4d]))).toBeUndefined();
    expect(sniffImage(undefined)).toBeUndefined();
    expect(imageOpener.canOpen('http://x/y.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBe(false);
  });
});

describe('plain images made by sharp (resolution sources)', () => {
  const raw = { raw: { width: 40, height: 30, channels: 3 as const } };
  it('a JPEG with 254 dpi (EXIF) gives 100 um/px; libvips/JFIF defaults give unknown', async () => {
    const img = gradient(40, 30);
    const a = join(dir, 'd254.jpg');
    await sharp(img, raw).jpeg().withMetadata({ density: 254 }).toFile(a);
    const s = await openImageSource(a);
    expect([s.format, s.width, s.height, s.levels.length]).toEqual(['jpeg', 40, 30, 1]);
    expect(s.mpp!.x).toBeCloseTo(100, 9);
    expect(s.mppSource).toBe('exif XResolution (inch)');
    const b = join(dir, 'plain.jpg');
    await sharp(img, raw).jpeg().toFile(b);
    const t = await openImageSource(b);
    expect(t.mpp).toBeUndefined();
    expect(t.mppSource).toMatch(/^unknown/);
    const c = join(dir, 'plain.png');
    await sharp(img, raw).png().toFile(c); // libvips writes pHYs 1 px/mm by default
    const u = await openImageSource(c);
    expect([u.mpp, u.mppSource]).toEqual([undefined, "unknown (png pHYs (px/m) is libvips' 1 px/mm default)"]);
  });

  it('a JPEG with a JFIF density of 40000 dots/cm gives 0.25 um/px', async () => {
    const jpg = await sharp(gradient(40, 30), raw).jpeg().toBuffer();
    const app0 = Buffer.from([0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 2, 0x9c, 0x40, 0x9c, 0x40, 0, 0]);
    const f = join(dir, 'jfif-cm.jpg');
    writeFileSync(f, Buffer.concat([jpg.subarray(0, 2), app0, jpg.subarray(2)]));
    const s = await openImageSource(f);
    expect([s.mpp, s.mppSource, s.properties['jfif.Xdensity']]).toEqual([{ x: 0.25, y: 0.25 }, 'jpeg JFIF density (dots/cm)', '40000']);
  });

  it('a single-level TIFF at 40000 px/cm gives 0.25 um/px and exact pixels', async () => {
    const img = gradient(40, 30);
    const f = join(dir, 'r.tif');
    await sharp(img, raw).tiff({ xres: 4000, yres: 4000, resolutionUnit: 'cm', compression: 'deflate' }).toFile(f);
    const s = await openImageSource(f);
    expect([s.format, s.mpp, s.mppSource]).toEqual(['tiff', { x: 0.25, y: 0.25 }, 'tiff XResolution (cm)']);
    expect(s.properties['tiff.XResolution']).toBe('40000');
    const r = await s.readRegion({ x: 0, y: 0, width: 40, height: 30, level: 0 });
    expect(Buffer.from(r.data).equals(img)).toBe(true);
    await s.close();
  });

  it('grayscale, RGBA and 16-bit PNGs decode to RGB (alpha on white, 16 bits to 8)', async () => {
    const g = join(dir, 'gray.png');
    await sharp(Buffer.from([0, 100, 200, 255]), { raw: { width: 2, height: 2, channels: 1 } }).png().toFile(g);
    const s1 = await openImageSource(g);
    expect([...(await s1.readRegion({ x: 0, y: 0, width: 2, height: 1, level: 0 })).data]).toEqual([0, 0, 0, 100, 100, 100]);
    const a = join(dir, 'rgba.png');
    await sharp(Buffer.from([10, 20, 30, 255, 10, 20, 30, 0]), { raw: { width: 2, height: 1, channels: 4 } }).png().toFile(a);
    const s2 = await openImageSource(a);
    expect([...(await s2.readRegion({ x: 0, y: 0, width: 2, height: 1, level: 0 })).data]).toEqual([10, 20, 30, 255, 255, 255]);
    const w = join(dir, 'rgb16.png');
    await sharp(Buffer.from([0, 255, 128]), { raw: { width: 1, height: 1, channels: 3 } }).toColourspace('rgb16').png().toFile(w);
    const s3 = await openImageSource(w);
    expect(s3.properties['image.depth']).toBe('ushort');
    const px = (await s3.readRegion({ x: 0, y: 0, width: 1, height: 1, level: 0 })).data;
    expect([...px]).toEqual([0, 255, 128]);
  });

  it('a truncated JPEG opens and fails on the first read with a CorruptFileError naming it', async () => {
    const full = await sharp(gradient(400, 300), { raw: { width: 400, height: 300, channels: 3 } }).jpeg({ quality: 95 }).toBuffer();
    const f = join(dir, 'truncated.jpg');
    writeFileSync(f, full.subarray(0, full.length >> 1));
    const s = await openImageSource(f);
    await expectCorrupt(s.readRegion({ x: 0, y: 0, width: 10, height: 10, level: 0 }), f);
  });

  it('argument errors name the argument', async () => {
    const f = join(dir, 'r.tif');
    const s = await openImageSource(f);
    await expect(s.readRegion({ x: 0, y: 0, width: 10, height: 10, level: 1 })).rejects.toThrowError(
      `Expected 0 (${f} is a plain image with one level) for level but received 1 of type number`,
    );
  });
});

describe.skipIf(!hasSharedData)('slides/blurmosaic.png as a slide', () => {
  let src: SlideSource;
  let truth: Buffer;
  beforeAll(async () => {
    registerBuiltins();
    src = await openSlide(shared('slides', 'blurmosaic.png'));
    truth = (await sharp(shared('slides', 'blurmosaic.png')).raw().toBuffer());
  });
  afterAll(() => src?.close());

  it('opens through openSlide as a 4100 x 3090 png at 0.25 um/px from pHYs 4,000,000 px/m', () => {
    expect([src.format, src.width, src.height, src.levels.length]).toEqual(['png', 4100, 3090, 1]);
    expect(src.mpp).toEqual({ x: 0.25, y: 0.25 });
    expect(src.mppSource).toBe('png pHYs (px/m)');
    expect(src.properties['png.pHYs.x']).toBe('4000000');
    expect(src.levels[0]).toMatchObject({ index: 0, width: 4100, height: 3090, downsample: 1, mpp: { x: 0.25, y: 0.25 } });
  });

  it('reads a region across the bottom-right corner: inside exact, outside white (RGB) or transparent (RGBA)', async () => {
    const r = await src.readRegion({ x: 4090, y: 3080, width: 20, height: 16, level: 0 });
    const a = await src.readRegion({ x: 4090, y: 3080, width: 20, height: 16, level: 0, channels: 4 });
    expect([r.width, r.height, r.channels, a.channels]).toEqual([20, 16, 3, 4]);
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 20; x++) {
        const inside = x < 10 && y < 10;
        const got = [...r.data.subarray((y * 20 + x) * 3, (y * 20 + x) * 3 + 3)];
        const gotA = [...a.data.subarray((y * 20 + x) * 4, (y * 20 + x) * 4 + 4)];
        if (inside) {
          const s = ((3080 + y) * 4100 + 4090 + x) * 3;
          const want = [truth[s]!, truth[s + 1]!, truth[s + 2]!];
          expect(got).toEqual(want);
          expect(gotA).toEqual([...want, 255]);
        } else {
          expect(got).toEqual([255, 255, 255]);
          expect(gotA).toEqual([0, 0, 0, 0]);
        }
      }
    }
    const neg = await src.readRegion({ x: -5, y: -5, width: 10, height: 10, level: 0 });
    expect([...neg.data.subarray(0, 3)]).toEqual([255, 255, 255]);
    expect([...neg.data.subarray((5 * 10 + 5) * 3, (5 * 10 + 5) * 3 + 3)]).toEqual([truth[0], truth[1], truth[2]]);
  });

  it('readTile of the 512 grid edge tile (4 x 18 px) is the exact corner of the PNG', async () => {
    const { specs } = planTileGrid(src, { tileSize: 512 }).tiles();
    const corner = specs.at(-1)!;
    expect([corner.x, corner.y, corner.width, corner.height]).toEqual([4096, 3072, 4, 18]);
    const t = await readTile(src, corner);
    for (let y = 0; y < 18; y++) {
      const s = ((3072 + y) * 4100 + 4096) * 3;
      expect(Buffer.from(t.data.subarray(y * 12, y * 12 + 12)).equals(truth.subarray(s, s + 12))).toBe(true);
    }
  });

  it('a truncated copy is a CorruptFileError naming the file, at open', async () => {
    const f = join(dir, 'blurmosaic-truncated.png');
    const bytes = readFileSync(shared('slides', 'blurmosaic.png'));
    writeFileSync(f, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await expectCorrupt(openSlide(f), f);
  });
});
