import { describe, expect, it } from 'vitest';
import { isBlurmmError } from '../src/core/errors.js';
import type { RgbImage } from '../src/core/types.js';
import { TileCache } from '../src/adapters/shared/tile-cache.js';
import { readTiledRegion } from '../src/adapters/shared/tiled-region.js';

function img(width: number, height: number, channels: 3 | 4, fill: (x: number, y: number, c: number) => number): RgbImage {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = fill(x, y, c);
  return { data, width, height, channels };
}

describe('TileCache', () => {
  it('shares one pending load between concurrent readers', async () => {
    const cache = new TileCache(1 << 20);
    let loads = 0;
    const load = async (): Promise<RgbImage> => {
      loads++;
      await new Promise((r) => setTimeout(r, 5));
      return img(4, 4, 3, () => 1);
    };
    const [a, b] = await Promise.all([cache.getOrLoad('k', load), cache.getOrLoad('k', load)]);
    expect(loads).toBe(1);
    expect(a).toBe(b);
    expect(cache.size).toBe(48);
  });

  it('does not cache a failed load', async () => {
    const cache = new TileCache(1 << 20);
    let calls = 0;
    await expect(cache.getOrLoad('k', () => { calls++; return Promise.reject(new Error('boom')); })).rejects.toThrow('boom');
    const ok = await cache.getOrLoad('k', async () => { calls++; return img(2, 2, 3, () => 0); });
    expect(ok.width).toBe(2);
    expect(calls).toBe(2);
    expect(cache.size).toBe(12);
  });

  it('evicts least recently used entries by decoded bytes', async () => {
    const cache = new TileCache(300); // room for two 10 x 5 RGB tiles
    const t = (): Promise<RgbImage> => Promise.resolve(img(10, 5, 3, () => 0)); // 150 bytes
    await cache.getOrLoad('a', t);
    await cache.getOrLoad('b', t);
    expect(cache.size).toBe(300);
    await cache.getOrLoad('a', t); // a becomes most recent
    await cache.getOrLoad('c', t); // evicts b
    expect(cache.size).toBe(300);
    let reloaded = 0;
    await cache.getOrLoad('a', () => { reloaded++; return t(); });
    expect(reloaded).toBe(0);
    await cache.getOrLoad('b', () => { reloaded++; return t(); });
    expect(reloaded).toBe(1);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('with 0 bytes it caches nothing', async () => {
    const cache = new TileCache(0);
    let loads = 0;
    await cache.getOrLoad('a', async () => { loads++; return img(2, 2, 3, () => 0); });
    await cache.getOrLoad('a', async () => { loads++; return img(2, 2, 3, () => 0); });
    expect(loads).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('rejects a bad size with the argument template', () => {
    expect(() => new TileCache(-1)).toThrow('Expected a finite number of bytes >= 0 for maxBytes but received -1 of type number');
  });
});

describe('readTiledRegion', () => {
  // a 10 x 7 level of 4 x 4 tiles; pixel value encodes (x, y, c); edge tiles come padded to 4 x 4 with 77
  const level = { width: 10, height: 7, tileWidth: 4, tileHeight: 4 };
  const truth = (x: number, y: number, c: number): number => (x * 20 + y * 3 + c) & 255;
  const fetched: string[] = [];
  const getTile = async (col: number, row: number): Promise<RgbImage> => {
    fetched.push(`${col},${row}`);
    return img(4, 4, 3, (tx, ty, c) => {
      const x = col * 4 + tx;
      const y = row * 4 + ty;
      return x < level.width && y < level.height ? truth(x, y, c) : 77;
    });
  };

  it('crops padded edge tiles, fills outside white, fetches only touched tiles', async () => {
    fetched.length = 0;
    const r = await readTiledRegion({ level, x: 5, y: 2, width: 8, height: 7, channels: 3, getTile, maxInFlight: 2 });
    expect(fetched.sort()).toEqual(['1,0', '1,1', '2,0', '2,1']);
    for (let yy = 0; yy < 7; yy++)
      for (let xx = 0; xx < 8; xx++)
        for (let c = 0; c < 3; c++) {
          const X = 5 + xx;
          const Y = 2 + yy;
          const want = X < 10 && Y < 7 ? truth(X, Y, c) : 255;
          expect(r.data[(yy * 8 + xx) * 3 + c]).toBe(want);
        }
  });

  it('transparent outside and opaque inside with 4 channels; negative origin', async () => {
    const r = await readTiledRegion({ level, x: -2, y: -1, width: 4, height: 3, channels: 4, getTile });
    expect(Array.from(r.data.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    const at = (xx: number, yy: number): number[] => Array.from(r.data.subarray((yy * 4 + xx) * 4, (yy * 4 + xx) * 4 + 4));
    expect(at(2, 1)).toEqual([truth(0, 0, 0), truth(0, 0, 1), truth(0, 0, 2), 255]);
    expect(at(3, 2)).toEqual([truth(1, 1, 0), truth(1, 1, 1), truth(1, 1, 2), 255]);
  });

  it('paints missing tiles as background and touches no tile for a region fully outside', async () => {
    const r = await readTiledRegion({ level, x: 0, y: 0, width: 5, height: 1, channels: 3, getTile: async (c) => (c === 0 ? null : getTile(c, 0)) });
    expect(Array.from(r.data.subarray(0, 3))).toEqual([255, 255, 255]);
    expect(Array.from(r.data.subarray(12, 15))).toEqual([truth(4, 0, 0), truth(4, 0, 1), truth(4, 0, 2)]);
    fetched.length = 0;
    const o = await readTiledRegion({ level, x: 100, y: 0, width: 2, height: 2, channels: 3, getTile });
    expect(fetched).toEqual([]);
    expect(o.data.every((v) => v === 255)).toBe(true);
  });

  it('propagates a tile failure and honours an aborted signal', async () => {
    await expect(readTiledRegion({ level, x: 0, y: 0, width: 10, height: 7, channels: 3, getTile: async (c, r) => {
      if (c === 1 && r === 1) throw new Error('tile 1,1 bad');
      return getTile(c, r);
    } })).rejects.toThrow('tile 1,1 bad');
    const ac = new AbortController();
    ac.abort();
    const err = await readTiledRegion({ level, x: 0, y: 0, width: 4, height: 4, channels: 3, getTile, signal: ac.signal }).catch((e: unknown) => e);
    expect(isBlurmmError(err, 'E_ABORTED')).toBe(true);
  });

  it('rejects non-integer geometry', async () => {
    await expect(readTiledRegion({ level, x: 0.5, y: 0, width: 4, height: 4, channels: 3, getTile })).rejects.toThrow('Expected an integer for x but received 0.5 of type number');
  });
});
