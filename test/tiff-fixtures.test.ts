/**
 * The TIFF reader on small synthetic fixtures (scripts/make-tiff-fixtures.py): every lossless
 * variant equals the truth PNG exactly; damaged files fail with typed errors naming the file,
 * the page and the tile, and a damaged tile fails only the reads that touch it.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { isBlurmmError, type BlurmmError } from '../src/core/errors.js';
import { openTiffSlide } from '../src/adapters/tiff/tiff-source.js';
import { decodeLzw } from '../src/adapters/tiff/lzw.js';
import { buildTileBlockTiff } from '../src/adapters/tiff/jpeg-block.js';
import { openFileSource } from '../src/adapters/shared/byte-source.js';
import { parseTiff } from '../src/adapters/tiff/ifd.js';
import { describePage } from '../src/adapters/tiff/page.js';
import { compare, cropWhite, openslideMissing, oracle, rgbaToRgbWhite } from './tiff-oracle.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'tiff');
const F = (name: string): string => join(dir, name);
const W = 150;
const H = 100;

let truth: Uint8Array;
let truthGrey: Uint8Array;
beforeAll(async () => {
  const t = await sharp(F('truth.png')).removeAlpha().raw().toBuffer();
  truth = new Uint8Array(t.buffer, t.byteOffset, t.length);
  const g = await sharp(F('truth-grey.png')).toColourspace('b-w').raw().toBuffer();
  truthGrey = new Uint8Array(g.length * 3);
  for (let i = 0; i < g.length; i++) truthGrey[i * 3] = truthGrey[i * 3 + 1] = truthGrey[i * 3 + 2] = g[i]!;
});

async function errorOf(p: Promise<unknown>): Promise<BlurmmError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  if (!isBlurmmError(e)) throw new Error(`expected a BlurmmError, got ${String(e)}`);
  return e;
}

describe('lossless variants equal the truth exactly', () => {
  const cases: [string, string, () => Uint8Array][] = [
    ['lzw-tile32-predictor.tif', 'LZW, 32 px tiles, horizontal predictor (vips)', () => truth],
    ['lzw-strip.tif', 'LZW strips (vips)', () => truth],
    ['deflate-strip16.tif', 'deflate, 16-row strips (tifffile)', () => truth],
    ['none-strip16.tif', 'uncompressed 16-row strips', () => truth],
    ['none-tile32-bigendian.tif', 'uncompressed tiles, big-endian (MM)', () => truth],
    ['deflate-tile48-bigtiff-grey.tif', 'grey deflate BigTIFF, 48 px tiles', () => truthGrey],
  ];
  for (const [file, what, want] of cases) {
    it(`${what}: whole image and a region crossing tiles and the border`, async () => {
      const s = await openTiffSlide(F(file));
      try {
        expect([s.width, s.height, s.levels.length, s.format]).toEqual([W, H, 1, 'generic-tiff']);
        const all = await s.readRegion({ level: 0, x: 0, y: 0, width: W, height: H });
        expect(compare(all.data, want()).maxDiff).toBe(0);
        const r = await s.readRegion({ level: 0, x: 29, y: 13, width: 140, height: 100 });
        expect(compare(r.data, cropWhite(want(), W, H, 29, 13, 140, 100)).maxDiff).toBe(0);
      } finally {
        await s.close();
      }
    });
  }

  it('a missing tile (offset and byte count 0) reads as white, the rest exact', async () => {
    const s = await openTiffSlide(F('missing-tile.tif'));
    try {
      const r = await s.readRegion({ level: 0, x: 0, y: 0, width: 64, height: 40 });
      const want = cropWhite(truth, W, H, 0, 0, 64, 40);
      for (let y = 0; y < 32; y++) want.fill(255, y * 64 * 3, (y * 64 + 32) * 3);
      expect(compare(r.data, want).maxDiff).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('OME-TIFF with levels as separate pages: levels by size, a page that fits no level kept out, mpp from OME nm', async () => {
    const s = await openTiffSlide(F('ome-separate-ifds.ome.tif'));
    try {
      expect(s.format).toBe('ome-tiff');
      expect(s.levels.map((l) => [l.width, l.height])).toEqual([[150, 100], [75, 50], [37, 25]]);
      expect(s.mpp).toEqual({ x: 0.5, y: 0.5 });
      expect(s.mppSource).toBe('OME-XML PhysicalSizeX/Y');
      expect(s.properties['blurmm.ignored-pages']).toBe('page 2 (60x60: not a reduction of 150x100)');
      const all = await s.readRegion({ level: 0, x: 0, y: 0, width: W, height: H });
      expect(compare(all.data, truth).maxDiff).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('RGB JPEG tiles are decoded without YCbCr conversion, with component ids R,G,B or 1,2,3 (Aperio RGB)', async () => {
    const plain = await openTiffSlide(F('jpeg-rgb-tile32.tif'), { jpegDecode: 'tile' });
    const want = (await plain.readRegion({ level: 0, x: 0, y: 0, width: W, height: H })).data;
    await plain.close();
    expect(compare(want, truth).psnr).toBeGreaterThan(40); // a YCbCr conversion of RGB data would be far off
    for (const jpegDecode of ['block', 'region', 'tile'] as const) {
      const s = await openTiffSlide(F('jpeg-rgb-tile32-ids123.tif'), { jpegDecode });
      try {
        const r = await s.readRegion({ level: 0, x: 0, y: 0, width: W, height: H });
        expect(compare(r.data, want).maxDiff, jpegDecode).toBe(0);
      } finally {
        await s.close();
      }
    }
    if (!openslideMissing) {
      const os = oracle([{ op: 'region', path: F('jpeg-rgb-tile32-ids123.tif'), x: 0, y: 0, level: 0, width: W, height: H }]);
      expect(compare(rgbaToRgbWhite(os[0]!.bytes), want).maxDiff).toBe(0);
    }
  });

  it('JPEG pyramid: levels by size, mpp from the TIFF resolution tags (cm)', async () => {
    const s = await openTiffSlide(F('jpeg-pyramid-tile32.tif'));
    try {
      expect(s.levels.map((l) => [l.width, l.height])).toEqual([[150, 100], [75, 50], [37, 25], [18, 12]]);
      expect(s.levels[2]!.downsample).toBe((150 / 37 + 100 / 25) / 2);
      expect(s.mpp).toEqual({ x: 0.25, y: 0.25 }); // vips --xres 4000 is px/mm: 40000 px/cm
      expect(s.mppSource).toBe('tiff XResolution (cm)');
      const r = await s.readRegion({ level: 0, x: 0, y: 0, width: W, height: H });
      expect(compare(r.data, truth).psnr).toBeGreaterThan(30);
    } finally {
      await s.close();
    }
  });
});

describe('JPEG block decode (many tiles per sharp call)', () => {
  it('builds a valid one-IFD TIFF around the tiles, with the page tables and photometric', async () => {
    const src = await openFileSource(F('jpeg-pyramid-tile32.tif'));
    try {
      const page = describePage(src.path, (await parseTiff(src)).pages[0]!, src.size);
      const tiles = [0, 1, 5, 6].map((i) => new Uint8Array(page.byteCounts[i]!));
      const tiff = buildTileBlockTiff(page, tiles, 2, 2);
      const mem = { path: 'block', size: tiff.length, read: async (o: number, n: number) => tiff.subarray(o, o + n), close: async () => {} };
      const parsed = await parseTiff(mem);
      const blockPage = describePage('block', parsed.pages[0]!, tiff.length);
      expect([blockPage.width, blockPage.height, blockPage.tileWidth, blockPage.photometric, blockPage.compression]).toEqual([64, 64, 32, page.photometric, 7]);
      expect(Array.from(blockPage.jpegTables!)).toEqual(Array.from(page.jpegTables!));
      expect(blockPage.byteCounts).toEqual(tiles.map((t) => t.length));
      expect(blockPage.offsets[0]! + tiles[0]!.length).toBe(blockPage.offsets[1]);
    } finally {
      await src.close();
    }
  });

  it('block, region and tile decoding give the same pixels for seeded random regions at every level', async () => {
    const file = F('jpeg-pyramid-tile32.tif');
    const ref = await openTiffSlide(file, { jpegDecode: 'tile' });
    const others = [
      await openTiffSlide(file), // default blocks (one block per level here)
      await openTiffSlide(file, { jpegBlock: { width: 64, height: 32 } }), // 2 x 1 tiles per block
      await openTiffSlide(file, { jpegDecode: 'region' }),
      await openTiffSlide(file, { tileCacheBytes: 0 }), // blocks do not fit: decoded per region
    ];
    try {
      let seed = 12345;
      const rnd = (n: number): number => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed % n;
      };
      for (let k = 0; k < 40; k++) {
        const level = rnd(ref.levels.length);
        const req = { level, x: rnd(200) - 30, y: rnd(140) - 20, width: 1 + rnd(90), height: 1 + rnd(70), channels: (k % 3 === 0 ? 4 : 3) as 3 | 4 };
        const want = await ref.readRegion(req);
        for (const [i, s] of others.entries()) expect(compare((await s.readRegion(req)).data, want.data).maxDiff, `${i} ${JSON.stringify(req)}`).toBe(0);
      }
      // row-major reading (read-ahead on) equals too
      for (let y = 0; y < H; y += 20) for (let x = 0; x < W; x += 40) {
        const req = { level: 0, x, y, width: 40, height: 20 };
        expect(compare((await others[1]!.readRegion(req)).data, (await ref.readRegion(req)).data).maxDiff).toBe(0);
      }
    } finally {
      await ref.close();
      for (const s of others) await s.close();
    }
  });
});

describe('abort', () => {
  it('an aborted read rejects with E_ABORTED and does not fail a concurrent read of the same block', async () => {
    const s = await openTiffSlide(F('jpeg-pyramid-tile32.tif'));
    try {
      const ac = new AbortController();
      const req = { level: 0, x: 0, y: 0, width: W, height: H };
      const p1 = s.readRegion({ ...req, signal: ac.signal });
      const p2 = s.readRegion(req);
      ac.abort();
      expect((await errorOf(p1)).code).toBe('E_ABORTED');
      const ok = await p2;
      expect(compare(ok.data, truth).psnr).toBeGreaterThan(30);
      expect((await errorOf(s.readRegion({ ...req, signal: ac.signal }))).code).toBe('E_ABORTED');
    } finally {
      await s.close();
    }
  });
});

describe('bad input: typed errors naming file, page and tile', () => {
  it('a tile whose byte count points past the end fails that tile only', async () => {
    const s = await openTiffSlide(F('bad-bytecount.tif'));
    try {
      const e = await errorOf(s.readRegion({ level: 0, x: 32, y: 32, width: 10, height: 10 }));
      expect(e.code).toBe('E_CORRUPT');
      expect(e.message).toContain('bad-bytecount.tif');
      expect(e.location).toBe('page 0, tile (1, 1)');
      expect(e.message).toContain('past the end of the file');
      const ok = await s.readRegion({ level: 0, x: 64, y: 0, width: 86, height: 100 });
      expect(compare(ok.data, cropWhite(truth, W, H, 64, 0, 86, 100)).maxDiff).toBe(0);
    } finally {
      await s.close();
    }
  });

  for (const jpegDecode of ['block', 'region', 'tile'] as const) it(`a garbage JPEG tile in a good slide fails only reads that touch it, with E_DECODE (${jpegDecode} decoding)`, async () => {
    const s = await openTiffSlide(F('corrupt-tile.tif'), { jpegDecode });
    try {
      const e = await errorOf(s.readRegion({ level: 0, x: 40, y: 0, width: 8, height: 8 }));
      expect(e.code).toBe('E_DECODE');
      expect(e.location).toBe('page 0, tile (1, 0)');
      expect(e.message).toContain('corrupt-tile.tif');
      const ok = await s.readRegion({ level: 0, x: 0, y: 32, width: 150, height: 68 });
      expect(compare(ok.data, cropWhite(truth, W, H, 0, 32, 150, 68)).psnr).toBeGreaterThan(30);
      // the failure is not cached: a retry fails the same way
      expect((await errorOf(s.readRegion({ level: 0, x: 40, y: 0, width: 8, height: 8 }))).code).toBe('E_DECODE');
    } finally {
      await s.close();
    }
  });

  it('an unsupported compression is E_UNSUPPORTED naming the compression and page', async () => {
    const e = await errorOf(openTiffSlide(F('unsupported-compression.tif')));
    expect(e.code).toBe('E_UNSUPPORTED');
    expect(e.message).toContain('unsupported-compression.tif, page 0: compression 34712 (JPEG 2000)');
  });

  it('a truncated file is E_CORRUPT naming the page whose structure is cut', async () => {
    const e = await errorOf(openTiffSlide(F('truncated.tif')));
    expect(e.code).toBe('E_CORRUPT');
    expect(e.message).toMatch(/truncated\.tif is truncated or damaged: page 1/);
    const h = await errorOf(openTiffSlide(F('truncated-header.tif')));
    expect(h.code).toBe('E_CORRUPT');
    expect(h.location).toBe('header');
  });

  it('garbage after the magic, an IFD loop and a BigTIFF offset over 2^53 are E_CORRUPT, never a hang', async () => {
    const g = await errorOf(openTiffSlide(F('garbage.tif')));
    expect(g.code).toBe('E_CORRUPT');
    expect(g.message).toContain('garbage.tif');
    const loop = await errorOf(openTiffSlide(F('ifd-loop.tif')));
    expect(loop.code).toBe('E_CORRUPT');
    expect(loop.message).toContain('a loop');
    const big = await errorOf(openTiffSlide(F('bigtiff-offset-2e60.tif')));
    expect(big.code).toBe('E_CORRUPT');
    expect(big.message).toContain('1152921504606846976, over 2^53');
  });

  it('a missing file is E_NOT_FOUND; bad region arguments use the argument template', async () => {
    expect((await errorOf(openTiffSlide(F('nope.tif')))).code).toBe('E_NOT_FOUND');
    const s = await openTiffSlide(F('lzw-tile32-predictor.tif'));
    try {
      await expect(s.readRegion({ level: 3, x: 0, y: 0, width: 1, height: 1 })).rejects.toThrow('Expected an integer level from 0 to 0 for level but received 3 of type number');
      await expect(s.readRegion({ level: 0, x: 0, y: 0, width: 0, height: 1 })).rejects.toThrow('Expected a positive integer (level pixels) for width but received 0 of type number');
    } finally {
      await s.close();
    }
    await expect(s.readRegion({ level: 0, x: 0, y: 0, width: 1, height: 1 })).rejects.toMatchObject({ code: 'E_ARGUMENT' });
  });

  it('LZW decoder rejects a stream that does not start with a ClearCode', () => {
    expect(() => decodeLzw(Uint8Array.from([0xff, 0xff, 0xff]), 10)).toThrow(/LZW/);
  });
});
