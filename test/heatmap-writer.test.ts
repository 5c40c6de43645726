import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBlurmmError } from '../src/core/errors.js';
import { createHeatmapWriter, loadThumbnail, type Thumbnail } from '../src/adapters/heatmap/index.js';
import { COLS, ROWS, TILE, createContext, createReport, createSyntheticSource, createTiles, lvFor } from './helpers/overlay-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'blurmm-heatmap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const PY = '/usr/bin/python3';
const hasPy = spawnSync(PY, ['-c', 'import tifffile, numpy'], { encoding: 'utf8' }).status === 0;
const hasGdal = spawnSync('gdalinfo', ['--version']).status === 0;

async function run(out: string, tiles = createTiles(), options: Record<string, unknown> = {}): Promise<void> {
  const w = createHeatmapWriter({ dir: out, maxSide: 400, overwrite: true, ...options });
  await w.open(createContext());
  for (const t of tiles) await w.write(t);
  await w.close(createReport(tiles));
}

async function rgbAt(file: string): Promise<(x: number, y: number) => number[]> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return (x, y) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
}

describe('heatmap writer', () => {
  const out = join(dir, 'out');
  let thumb: Thumbnail;
  beforeAll(async () => {
    await run(out);
    thumb = await loadThumbnail(createSyntheticSource(), 400);
  });
  /** the thumbnail pixel at the centre of grid tile (col, row) and its coordinates */
  const centre = (col: number, row: number) => {
    const x = Math.floor((col * TILE + TILE / 2) / thumb.scaleX), y = Math.floor((row * TILE + TILE / 2) / thumb.scaleY);
    const o = (y * thumb.image.width + x) * thumb.image.channels;
    return { x, y, base: [...thumb.image.data.subarray(o, o + 3)] };
  };
  const blend = (base: number[], c: number[]) => base.map((b, i) => (b * (256 - 141) + c[i]! * 141) >> 8);

  it('writes the five files', () => {
    expect(readdirSync(out).sort()).toEqual(['blur-grid.npy', 'blur-grid.tiff', 'heatmap-blur.png', 'heatmap-prediction.png', 'heatmap-route.png']);
  });

  it('renders the thumbnail at the chosen size plus a legend panel', async () => {
    expect([thumb.image.width, thumb.image.height]).toEqual([400, 300]);
    for (const f of ['heatmap-blur.png', 'heatmap-route.png', 'heatmap-prediction.png']) {
      const m = await sharp(join(out, f)).metadata();
      expect(m.format).toBe('png');
      expect(m.width).toBe(400 + 240);
      expect(m.height).toBeGreaterThanOrEqual(300);
    }
  });

  it('route overlay: each tile blended with its rule colour at 0.55; background tiles untouched', async () => {
    const px = await rgbAt(join(out, 'heatmap-route.png'));
    const cases: [number, number, number[]][] = [
      [0, 0, [44, 160, 44]], // sharp
      [4, 2, [255, 127, 14]], // moderate
      [6, 3, [214, 39, 40]], // severe
      [7, 5, [128, 128, 128]], // NaN -> fallback
    ];
    for (const [col, row, color] of cases) {
      const c = centre(col, row);
      expect(px(c.x, c.y)).toEqual(blend(c.base, color));
    }
    const bg = centre(0, 5);
    expect(px(bg.x, bg.y)).toEqual(bg.base);
    // legend panel is white at its bottom-right corner
    expect(px(639, 299)).toEqual([255, 255, 255]);
  });

  it('blur overlay: sharp tiles green, severe tiles red; prediction overlay only where a model ran', async () => {
    const blur = await rgbAt(join(out, 'heatmap-blur.png'));
    const s = centre(0, 0), v = centre(7, 0);
    const sharpPx = blur(s.x, s.y), severePx = blur(v.x, v.y);
    expect(sharpPx[1]! - sharpPx[0]!).toBeGreaterThan(40);
    expect(severePx[0]! - severePx[1]!).toBeGreaterThan(40);
    const pred = await rgbAt(join(out, 'heatmap-prediction.png'));
    const severe = centre(6, 1);
    expect(pred(severe.x, severe.y)).toEqual(severe.base);
    const p = centre(1, 0); // score 0.1: bluish
    const pp = pred(p.x, p.y);
    expect(pp[2]! - pp[0]!).toBeGreaterThan(20);
  });

  it.skipIf(!hasPy)('blur-grid.tiff and blur-grid.npy hold the float32 grid with NaN for missing tiles (read by tifffile and numpy)', () => {
    const script = `
import json, sys, numpy, tifffile
t = tifffile.imread(sys.argv[1]); n = numpy.load(sys.argv[2])
with tifffile.TiffFile(sys.argv[1]) as f: desc = json.loads(f.pages[0].description)
print(json.dumps({"tdtype": str(t.dtype), "tshape": list(t.shape), "ndtype": str(n.dtype), "nshape": list(n.shape),
  "equal": bool(numpy.array_equal(t, n, equal_nan=True)), "bands": desc["bands"],
  "values": [[None if numpy.isnan(v) else float(v) for v in row] for row in n]}))`;
    const r = JSON.parse(execFileSync(PY, ['-c', script, join(out, 'blur-grid.tiff'), join(out, 'blur-grid.npy')], { encoding: 'utf8' }));
    expect(r).toMatchObject({ tdtype: 'float32', tshape: [ROWS, COLS], ndtype: 'float32', nshape: [ROWS, COLS], equal: true, bands: ['lv'] });
    for (let row = 0; row < ROWS; row++) {
      for (let col = 0; col < COLS; col++) {
        const v = lvFor(col, row);
        const missing = (row === 5 && col <= 1) || Number.isNaN(v);
        if (missing) expect(r.values[row][col]).toBeNull();
        else expect(r.values[row][col]).toBe(Math.fround(v));
      }
    }
  });
  it.skipIf(hasPy)('grid check skipped: install the Debian packages python3-tifffile and python3-numpy', () => {});

  it.skipIf(!hasGdal)('GDAL reads blur-grid.tiff as Float32 with nodata nan', () => {
    const info = execFileSync('gdalinfo', [join(out, 'blur-grid.tiff')], { encoding: 'utf8' });
    expect(info).toMatch(/Size is 8, 6/);
    expect(info).toMatch(/Type=Float32/);
    expect(info).toMatch(/NoData Value=nan/);
  });

  it('an empty slide gives blur and route heatmaps, no prediction heatmap, an all-NaN grid', async () => {
    const e = join(dir, 'empty');
    await run(e, []);
    expect(readdirSync(e).sort()).toEqual(['blur-grid.npy', 'blur-grid.tiff', 'heatmap-blur.png', 'heatmap-route.png']);
  });

  it('refuses existing outputs without overwrite and leaves nothing behind on abort', async () => {
    const d = join(dir, 'exists');
    await run(d);
    const err = await createHeatmapWriter({ dir: d }).open(createContext()).catch((x: unknown) => x);
    expect(isBlurmmError(err, 'E_IO')).toBe(true);
    expect((err as Error).message).toContain(join(d, 'heatmap-blur.png'));
    const a = join(dir, 'aborted');
    const w = createHeatmapWriter({ dir: a });
    await w.open(createContext());
    for (const t of createTiles()) await w.write(t);
    await w.abort!(new Error('stop'));
    expect(existsSync(a) ? readdirSync(a) : []).toEqual([]);
    writeFileSync(join(dir, 'blocker'), 'x');
    const err2 = await createHeatmapWriter({ dir: join(dir, 'blocker', 'sub') }).open(createContext()).catch((x: unknown) => x);
    expect(isBlurmmError(err2, 'E_IO')).toBe(true);
  });
});
