import { AbortError, DecodeError, invalidArgument, throwIfAborted } from '../../core/errors.js';
import type { RgbImage } from '../../core/types.js';

/** Geometry of one tiled level, in level pixels. */
export interface TiledLevelGeometry {
  readonly width: number;
  readonly height: number;
  readonly tileWidth: number;
  readonly tileHeight: number;
}

export interface ReadTiledRegionArgs {
  readonly level: TiledLevelGeometry;
  /** region left/top in level pixels; may be negative or extend past the level */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** 3: RGB, outside white. 4: RGBA, outside transparent (0,0,0,0). */
  readonly channels: 3 | 4;
  /**
   * Returns tile (col, row), either full size (tileWidth x tileHeight, padded edge tiles are
   * cropped here) or already cropped to the level; `null` for a missing tile (painted as
   * background).
   */
  getTile(col: number, row: number): Promise<RgbImage | null>;
  readonly signal?: AbortSignal | undefined;
  /** tiles fetched at once (default 8) */
  readonly maxInFlight?: number;
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/**
 * Assembles a region of a tiled level from its tiles. Fetches only the tiles the region
 * touches, at most `maxInFlight` at a time, and copies each into the output as it arrives.
 * Pixels outside the level, and missing tiles, are white (3 channels) or transparent
 * (4 channels), as OpenSlide does.
 *
 * @example
 * const rgb = await readTiledRegion({ level, x: 100, y: 200, width: 512, height: 512, channels: 3,
 *   getTile: (c, r) => cache.getOrLoad(`${c},${r}`, () => decode(c, r)) });
 */
export async function readTiledRegion(args: ReadTiledRegionArgs): Promise<RgbImage> {
  const { level, x, y, width, height, channels, getTile, signal } = args;
  if (!isInt(x)) throw invalidArgument('x', 'an integer', x);
  if (!isInt(y)) throw invalidArgument('y', 'an integer', y);
  if (!isInt(width) || width <= 0) throw invalidArgument('width', 'a positive integer', width);
  if (!isInt(height) || height <= 0) throw invalidArgument('height', 'a positive integer', height);
  if (channels !== 3 && channels !== 4) throw invalidArgument('channels', '3 or 4', channels);
  if (!isInt(level.tileWidth) || level.tileWidth <= 0) throw invalidArgument('level.tileWidth', 'a positive integer', level.tileWidth);
  if (!isInt(level.tileHeight) || level.tileHeight <= 0) throw invalidArgument('level.tileHeight', 'a positive integer', level.tileHeight);
  const maxInFlight = args.maxInFlight ?? 8;
  if (!isInt(maxInFlight) || maxInFlight < 1) throw invalidArgument('maxInFlight', 'a positive integer', maxInFlight);
  throwIfAborted(signal, 'region read');

  // Buffer: native row copies (Buffer#copy) without a typed-array view per row
  const out = Buffer.allocUnsafeSlow(width * height * channels); // not pooled: the caller owns the whole ArrayBuffer
  const background = channels === 3 ? 255 : 0;

  // intersection of the region with the level
  const x0 = Math.max(x, 0);
  const y0 = Math.max(y, 0);
  const x1 = Math.min(x + width, level.width);
  const y1 = Math.min(y + height, level.height);
  if (x1 <= x0 || y1 <= y0) return { data: new Uint8Array(out.fill(background).buffer), width, height, channels };
  // background outside the level (inside, every pixel is written by a tile or a missing-tile fill)
  if (x0 > x || y0 > y || x1 < x + width || y1 < y + height) out.fill(background);

  const tw = level.tileWidth;
  const th = level.tileHeight;
  const tiles: [number, number][] = [];
  for (let row = Math.floor(y0 / th); row <= Math.floor((y1 - 1) / th); row++) {
    for (let col = Math.floor(x0 / tw); col <= Math.floor((x1 - 1) / tw); col++) tiles.push([col, row]);
  }

  const place = (col: number, row: number, tile: RgbImage): void => {
    // the part of this tile inside both the level and the region, in level pixels
    const tx = col * tw;
    const ty = row * th;
    const sx0 = Math.max(tx, x0);
    const sy0 = Math.max(ty, y0);
    const sx1 = Math.min(tx + tw, x1);
    const sy1 = Math.min(ty + th, y1);
    if (tile.width < sx1 - tx || tile.height < sy1 - ty) {
      throw new DecodeError(
        `Tile (${col}, ${row}) decoded to ${tile.width}x${tile.height} px, smaller than the ${Math.min(tw, level.width - tx)}x${Math.min(th, level.height - ty)} px the level geometry needs`,
        { location: `tile (${col}, ${row})` },
      );
    }
    const tc = tile.channels;
    const src = tile.data;
    const srcBuf = Buffer.from(src.buffer, src.byteOffset, src.byteLength);
    const n = sx1 - sx0;
    for (let yy = sy0; yy < sy1; yy++) {
      let s = ((yy - ty) * tile.width + (sx0 - tx)) * tc;
      let d = ((yy - y) * width + (sx0 - x)) * channels;
      if (tc === channels) {
        srcBuf.copy(out, d, s, s + n * tc);
      } else if (tc === 3) {
        for (let i = 0; i < n; i++, s += 3, d += 4) {
          out[d] = src[s]!;
          out[d + 1] = src[s + 1]!;
          out[d + 2] = src[s + 2]!;
          out[d + 3] = 255;
        }
      } else {
        for (let i = 0; i < n; i++, s += 4, d += 3) {
          out[d] = src[s]!;
          out[d + 1] = src[s + 1]!;
          out[d + 2] = src[s + 2]!;
        }
      }
    }
  };

  const fillMissing = (col: number, row: number): void => {
    const sx0 = Math.max(col * tw, x0);
    const sx1 = Math.min(col * tw + tw, x1);
    for (let yy = Math.max(row * th, y0); yy < Math.min(row * th + th, y1); yy++) {
      const d = ((yy - y) * width + (sx0 - x)) * channels;
      out.fill(background, d, d + (sx1 - sx0) * channels);
    }
  };

  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < tiles.length) {
      if (signal?.aborted) throw new AbortError('The region read was aborted', { cause: signal.reason });
      const [col, row] = tiles[next++]!;
      const tile = await getTile(col, row);
      if (tile) place(col, row, tile);
      else fillMissing(col, row);
    }
  };
  const workers: Promise<void>[] = [];
  for (let i = 0; i < Math.min(maxInFlight, tiles.length); i++) workers.push(worker());
  try {
    await Promise.all(workers);
  } catch (err) {
    failed = true;
    await Promise.allSettled(workers);
    throw err;
  }
  throwIfAborted(signal, 'region read');
  return { data: new Uint8Array(out.buffer, out.byteOffset, out.byteLength), width, height, channels };
}
