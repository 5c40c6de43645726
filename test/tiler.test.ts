import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { isBlurmmError } from '../src/core/errors.js';
import { boxMean } from '../src/core/resample.js';
import { planTileGrid, readTile, readTiles } from '../src/core/tiler.js';
import { createTissueMask } from '../src/core/tissue.js';
import type { EdgePolicy, RgbImage, TileSpec } from '../src/core/types.js';
import { hasSharedData, shared } from './helpers/shared-data.js';
import { crop, memorySource, mulberry32, randomImage, shapeSource } from './tiler-helpers.js';

function expectArgumentError(fn: () => unknown, message: string | RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(isBlurmmError(e, 'E_ARGUMENT')).toBe(true);
    if (typeof message === 'string') expect((e as Error).message).toBe(message);
    else expect((e as Error).message).toMatch(message);
    return;
  }
  expect.unreachable('no error thrown');
}

/** checks one axis of a level-0 grid: starts at stride, partial sizes, coverage without gaps */
function checkAxis(starts: number[], sizes: number[], size: number, tile: number, overlap: number, edge: EdgePolicy): void {
  const stride = tile - overlap;
  starts.forEach((s, i) => expect(s).toBe(i * stride));
  if (edge === 'skip') {
    expect(starts.length).toBe(size >= tile ? Math.floor((size - tile) / stride) + 1 : 0);
    sizes.forEach((w) => expect(w).toBe(tile));
    return;
  }
  sizes.forEach((w, i) => expect(w).toBe(Math.min(tile, size - starts[i]!)));
  // coverage: the last tile reaches the far edge, no gap between neighbours
  expect(starts.at(-1)! + sizes.at(-1)!).toBe(size);
  for (let i = 1; i < starts.length; i++) expect(starts[i]!).toBeLessThanOrEqual(starts[i - 1]! + sizes[i - 1]!);
  // the last tile brings new pixels (it starts before size - overlap), unless it is the only one
  if (starts.length > 1) expect(starts.at(-1)!).toBeLessThan(size - overlap);
}

describe('planTileGrid at level 0: seeded property tests', () => {
  it('stride, partial sizes, coverage and counts hold for 300 random grids', () => {
    const rnd = mulberry32(2024);
    const edges: EdgePolicy[] = ['partial', 'skip', 'pad'];
    for (let i = 0; i < 300; i++) {
      const T = 1 + Math.floor(rnd() * 700);
      const O = Math.floor(rnd() * Math.min(T, 200));
      // at most ~40 x 40 tiles
      const W = 1 + Math.floor(rnd() * 40 * (T - O));
      const H = 1 + Math.floor(rnd() * 40 * (T - O));
      const edge = edges[i % 3]!;
      const grid = planTileGrid(shapeSource(W, H), { tileSize: T, overlap: O, edge });
      const { specs, edgeSkipped, backgroundSkipped } = grid.tiles();
      expect(backgroundSkipped).toBe(0);
      expect(specs.length + edgeSkipped).toBe(grid.columns * grid.rows);
      expect([grid.level, grid.downsample, grid.targetMpp]).toEqual([0, 1, null]);
      if (specs.length === 0) {
        expect(edge === 'skip' && (W < T || H < T)).toBe(true);
        continue;
      }
      const row0 = specs.filter((s) => s.row === (specs[0]?.row ?? 0));
      const col0 = specs.filter((s) => s.col === (specs[0]?.col ?? 0));
      checkAxis(row0.map((s) => s.x), row0.map((s) => s.width), W, T, O, edge);
      checkAxis(col0.map((s) => s.y), col0.map((s) => s.height), H, T, O, edge);
      const bad = specs.find((s) => {
        const want = edge === 'pad' ? [T, T, T, T] : [s.width, s.height, s.width, s.height];
        const got = [s.readWidth, s.readHeight, s.outWidth, s.outHeight];
        return s.index !== s.row * grid.columns + s.col || s.tissueFraction !== 1 || got.some((v, k) => v !== want[k]);
      });
      expect(bad).toBeUndefined();
    }
  });

  it('is row-major with index = row * columns + col', () => {
    const { specs } = planTileGrid(shapeSource(1000, 600), { tileSize: 256 }).tiles();
    expect(specs.map((s) => [s.col, s.row])).toEqual([0, 1, 2].flatMap((r) => [0, 1, 2, 3].map((c) => [c, r])));
  });
});

describe('planTileGrid with mpp: level choice, resampling factors and coverage', () => {
  // 0.25 um/px, levels at 4x and 16x (vips-like rounding down)
  const src = shapeSource(40000, 30001, [[10000, 7500], [2500, 1875]], { x: 0.25, y: 0.25 });
  const small = shapeSource(8000, 6001, [[2000, 1500], [500, 375]], { x: 0.25, y: 0.25 });
  it.each([
    [0.25, 0, 1],
    [0.5, 0, 2],
    [1.0, 1, 1],
    [2.0, 1, 2],
    [3.0, 1, 3],
    [4.0, 2, 1],
    [10, 2, 2.5],
    [0.2, 0, 0.8], // finer than the slide: level 0 upsampled
  ])('target %f um/px reads level %i with %f level px per output px', (mpp, level, f) => {
    const grid = planTileGrid(src, { tileSize: 256, mpp });
    expect(grid.level).toBe(level);
    expect(grid.readFactorX).toBeCloseTo(f, 3);
    expect(grid.targetMpp).toBe(mpp);
    expect(grid.downsample).toBeCloseTo(mpp / 0.25, 2);
  });

  it('tiles are contiguous in level-0 coordinates and cover the slide for 100 random targets', () => {
    const rnd = mulberry32(7);
    for (let i = 0; i < 100; i++) {
      const mpp = 0.2 + rnd() * 6;
      const T = 64 + Math.floor(rnd() * 512);
      const grid = planTileGrid(small, { tileSize: T, mpp });
      const { specs } = grid.tiles();
      const row0 = specs.filter((s) => s.row === 0);
      const col0 = specs.filter((s) => s.col === 0);
      expect(row0[0]!.x).toBe(0);
      for (let k = 1; k < row0.length; k++) expect(row0[k]!.x).toBe(row0[k - 1]!.x + row0[k - 1]!.width);
      for (let k = 1; k < col0.length; k++) expect(col0[k]!.y).toBe(col0[k - 1]!.y + col0[k - 1]!.height);
      expect(row0.at(-1)!.x + row0.at(-1)!.width).toBe(8000);
      expect(col0.at(-1)!.y + col0.at(-1)!.height).toBe(6001);
      const bad = specs.find(
        (s) => s.outWidth < 1 || (s.col < grid.columns - 1 && (s.outWidth !== T || Math.abs(s.readWidth - T * grid.readFactorX) > 1)),
      );
      expect(bad).toBeUndefined();
    }
  });

  it('snaps a factor within 1e-6 to an integer (DICOM 0.249999983 mm spacing)', () => {
    const dicomLike = shapeSource(4100, 3090, [], { x: 0.249999983, y: 0.249999983 });
    const grid = planTileGrid(dicomLike, { tileSize: 512, mpp: 0.5 });
    expect(grid.readFactorX).toBe(2);
    expect(grid.tiles().specs[0]).toMatchObject({ readWidth: 1024, readHeight: 1024, outWidth: 512, outHeight: 512 });
  });
});

describe('planTileGrid argument errors', () => {
  const src = shapeSource(1000, 800);
  it('level and mpp together', () =>
    expectArgumentError(
      () => planTileGrid(shapeSource(10, 10, [], { x: 1, y: 1 }), { tileSize: 4, level: 0, mpp: 1 }),
      /^Expected either level or mpp for the tile grid but received both \(level 0, mpp 1\)/,
    ));
  it('mpp on a slide without a pixel size names the file', () =>
    expectArgumentError(() => planTileGrid(src, { tileSize: 256, mpp: 0.5 }), /^Cannot tile shape:\/\/test at 0.5 um\/px: the slide does not record its pixel size/));
  it('overlap not below tileSize', () =>
    expectArgumentError(() => planTileGrid(src, { tileSize: 256, overlap: 256 }), 'Expected an integer from 0 to 255 (less than tileSize) for overlap but received 256 of type number'));
  it('level out of range', () => expectArgumentError(() => planTileGrid(src, { tileSize: 256, level: 1 }), 'Expected an integer from 0 to 0 for level but received 1 of type number'));
  it('bad edge policy', () =>
    expectArgumentError(() => planTileGrid(src, { tileSize: 256, edge: 'wrap' as EdgePolicy }), 'Expected "partial", "skip" or "pad" for edge but received "wrap" of type string'));
});

describe('readTile', () => {
  const img = randomImage(11, 304, 200);
  const src = memorySource([img, boxMean(img, 4)], undefined, { x: 0.25, y: 0.25 });

  it('returns exactly the region at level 0 (partial edge tiles at their true size)', async () => {
    const { specs } = planTileGrid(src, { tileSize: 128 }).tiles();
    expect(specs).toHaveLength(3 * 2);
    for (const s of specs) {
      const t = await readTile(src, s);
      expect([t.width, t.height, t.channels]).toEqual([s.outWidth, s.outHeight, 3]);
      expect(Buffer.from(t.data).equals(Buffer.from(crop(img, s.x, s.y, s.width, s.height).data))).toBe(true);
    }
  });

  it('pads edge tiles with white', async () => {
    const { specs } = planTileGrid(src, { tileSize: 128, edge: 'pad' }).tiles();
    const last = specs.at(-1)!; // col 2, row 1: 48 x 72 px of image
    expect([last.width, last.height]).toEqual([304 - 256, 200 - 128]);
    const t = await readTile(src, last);
    expect([t.width, t.height]).toEqual([128, 128]);
    expect(Buffer.from(crop(t, 0, 0, 48, 72).data).equals(Buffer.from(crop(img, 256, 128, 48, 72).data))).toBe(true);
    expect(t.data.subarray((0 * 128 + 48) * 3, 128 * 3).every((v) => v === 255)).toBe(true);
    expect(t.data.subarray(72 * 128 * 3).every((v) => v === 255)).toBe(true);
  });

  it('at mpp 0.5 on 0.25 um/px level 0 equals box_mean(region, 2) (INTER_AREA x2 rounds half up)', async () => {
    const l0only = memorySource([img], undefined, { x: 0.25, y: 0.25 });
    const grid = planTileGrid(l0only, { tileSize: 64, mpp: 0.5 });
    const { specs } = grid.tiles();
    for (const s of specs.filter((t) => t.readWidth % 2 === 0 && t.readHeight % 2 === 0)) {
      const t = await readTile(l0only, s);
      expect(Buffer.from(t.data).equals(Buffer.from(boxMean(crop(img, s.x, s.y, s.readWidth, s.readHeight), 2).data))).toBe(true);
    }
    // odd-sized partial edge tiles are still exactly outWidth x outHeight
    const odd = memorySource([randomImage(12, 301, 203)], undefined, { x: 0.25, y: 0.25 });
    const edge = planTileGrid(odd, { tileSize: 64, mpp: 0.5 }).tiles().specs.at(-1)!;
    const t = await readTile(odd, edge);
    expect([t.width, t.height]).toEqual([edge.outWidth, edge.outHeight]);
    expect([edge.readWidth, edge.outWidth, edge.readHeight, edge.outHeight]).toEqual([301 - 256, 23, 203 - 128, 38]);
  });

  it('reads level 1 when the target equals its mpp, with no resampling', async () => {
    const grid = planTileGrid(src, { tileSize: 32, mpp: 1 });
    expect(grid.level).toBe(1);
    const s = grid.tiles().specs[1]!;
    expect([s.x, s.readWidth, s.outWidth, s.width]).toEqual([128, 32, 32, 128]);
    const t = await readTile(src, s);
    expect(Buffer.from(t.data).equals(Buffer.from(crop(boxMean(img, 4), 32, 0, 32, 32).data))).toBe(true);
  });

  it('throws AbortError when the signal is already aborted', async () => {
    const s = planTileGrid(src, { tileSize: 32 }).tiles().specs[0]!;
    await expect(readTile(src, s, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'E_ABORTED' });
  });
});

describe.skipIf(!hasSharedData)('grid on the shared blurmosaic (reference/lv-tiles.json)', () => {
  type RefTile = { col: number; row: number; x: number; y: number; width: number; height: number };
  const ref = hasSharedData
    ? (JSON.parse(readFileSync(shared('reference', 'lv-tiles.json'), 'utf8')) as {
        grids: Record<string, { tiles_across: number; tiles_down: number; tiles: RefTile[] }>;
      })
    : undefined;

  it.each(['512', '598'])('the %s px grid on 4100 x 3090 has the same x, y, width, height for every tile', (size) => {
    const g = ref!.grids[size]!;
    const grid = planTileGrid(shapeSource(4100, 3090), { tileSize: Number(size) });
    expect([grid.columns, grid.rows]).toEqual([g.tiles_across, g.tiles_down]);
    const { specs } = grid.tiles();
    const pick = (t: TileSpec | RefTile) => ({ col: t.col, row: t.row, x: t.x, y: t.y, width: t.width, height: t.height });
    expect(specs.map(pick)).toEqual(g.tiles.map(pick));
  });

  it('with the reference tissue mask, the 4 background tiles of the 512 grid are skipped', async () => {
    const { data, info } = await sharp(shared('reference', 'otsu-thumbnail-1-32.png')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const thumb: RgbImage = { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 };
    const mask = createTissueMask(thumb, 32, 32);
    const { specs, backgroundSkipped } = planTileGrid(shapeSource(4100, 3090), { tileSize: 512 }).tiles(mask, 0.5);
    const kept = new Set(specs.map((s) => `${s.col},${s.row}`));
    for (const bg of ['0,4', '1,4', '0,5', '1,5']) expect(kept.has(bg)).toBe(false);
    expect(specs[0]!.tissueFraction).toBe(0.98828125); // r0c0 in otsu.json
    expect(backgroundSkipped).toBe(63 - specs.length);
    expect(backgroundSkipped).toBeGreaterThanOrEqual(4);
  });
});

describe('readTiles (async iterable)', () => {
  const img = randomImage(5, 200, 150);
  it('yields every tile in order, failures as records, with at most `concurrency` reads in flight', async () => {
    const base = memorySource([img]);
    let inFlight = 0;
    let maxInFlight = 0;
    const src = {
      ...base,
      async readRegion(r: Parameters<typeof base.readRegion>[0]) {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((res) => setTimeout(res, 2));
        inFlight--;
        if (r.x === 64 && r.y === 64) throw new Error('bad tile');
        return base.readRegion(r);
      },
    };
    const { specs } = planTileGrid(src, { tileSize: 64 }).tiles();
    const got: string[] = [];
    for await (const t of readTiles(src, specs, { concurrency: 3 })) {
      got.push(t.ok ? `${t.spec.index}:${t.image.width}x${t.image.height}` : `${t.spec.index}:error`);
    }
    expect(got).toEqual(specs.map((s) => (s.x === 64 && s.y === 64 ? `${s.index}:error` : `${s.index}:${s.outWidth}x${s.outHeight}`)));
    expect(maxInFlight).toBe(3);
  });
  it('ends with an AbortError when the signal aborts', async () => {
    const src = memorySource([img]);
    const { specs } = planTileGrid(src, { tileSize: 32 }).tiles();
    const ac = new AbortController();
    let n = 0;
    await expect(
      (async () => {
        for await (const t of readTiles(src, specs, { signal: ac.signal })) {
          void t;
          if (++n === 2) ac.abort();
        }
      })(),
    ).rejects.toMatchObject({ code: 'E_ABORTED' });
    expect(n).toBe(2);
  });
});
