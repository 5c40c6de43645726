/**
 * Whole-slide thumbnails: the coarsest pyramid level that is still at least the requested size,
 * read in horizontal strips and area-resampled (OpenCV INTER_AREA) as the strips arrive, so memory
 * stays bounded by one strip plus the thumbnail.
 */
import { AbortError, ArgumentError, DecodeError, invalidArgument, throwIfAborted } from './errors.js';
import { createAreaResizer } from './resample.js';
import type { LevelInfo, RgbImage, SlideSource } from './types.js';

/** bytes of decoded pixels one strip may hold */
const STRIP_BYTES = 32 * 1024 * 1024;
const MAX_STRIP_ROWS = 2048;

/** A thumbnail and its scale (level-0 pixels per thumbnail pixel, per axis). */
export interface Thumbnail {
  readonly image: RgbImage;
  readonly scaleX: number;
  readonly scaleY: number;
  /** the pyramid level it was read from */
  readonly level: number;
}

/**
 * The level-0 coordinate at which level pixel `v` starts, for a level of downsample `ds`:
 * the smallest integer X with X / ds >= v, so a reader that maps back with floor(X / ds)
 * (OpenSlide) or, for ds >= 2, round(X / ds) lands on `v`. Exact (X = v) at level 0.
 */
export function levelToBase(v: number, ds: number): number {
  if (ds === 1) return v;
  let x = Math.ceil(v * ds);
  while (x / ds < v) x++;
  while (x > 0 && (x - 1) / ds >= v) x--;
  return x;
}

/** Thumbnail size with longest side `maxSide` (never larger than the slide). */
export function thumbnailSize(width: number, height: number, maxSide: number): { width: number; height: number } {
  if (Math.max(width, height) <= maxSide) return { width, height };
  if (width >= height) return { width: maxSide, height: Math.max(1, Math.round((height * maxSide) / width)) };
  return { width: Math.max(1, Math.round((width * maxSide) / height)), height: maxSide };
}

/** The coarsest level at least `width x height`; level 0 when none is smaller. */
export function pickLevelAtLeast(levels: readonly LevelInfo[], width: number, height: number): LevelInfo {
  for (let i = levels.length - 1; i > 0; i--) {
    const l = levels[i]!;
    if (l.width >= width && l.height >= height) return l;
  }
  const l0 = levels[0];
  if (!l0) throw new ArgumentError('Expected a slide source with at least one level for source.levels but received an empty array', { pointer: 'source.levels' });
  return l0;
}

/** Drops the alpha channel of an RGBA image (sources should already return RGB for channels: 3). */
export function toRgb(image: RgbImage): RgbImage {
  if (image.channels === 3) return image;
  const n = image.width * image.height;
  const out = new Uint8Array(n * 3);
  const s = image.data;
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    out[i * 3] = s[j]!;
    out[i * 3 + 1] = s[j + 1]!;
    out[i * 3 + 2] = s[j + 2]!;
  }
  return { data: out, width: image.width, height: image.height, channels: 3 };
}

/**
 * Reads a thumbnail whose longest side is `maxSide` (or the whole slide when it is smaller):
 * from the coarsest level that is still at least that size (never a whole fine level when a
 * coarser one will do), in strips of at most 32 MiB, area-resampled as OpenCV INTER_AREA does.
 * `scaleX`/`scaleY` are level-0 pixels per thumbnail pixel.
 * @example
 * const { image, scaleX } = await readThumbnail(source, 1024);
 */
export async function readThumbnail(source: SlideSource, maxSide: number, options: { signal?: AbortSignal } = {}): Promise<Thumbnail> {
  if (!Number.isInteger(maxSide) || maxSide < 1) throw invalidArgument('maxSide', 'a positive integer', maxSide);
  const { signal } = options;
  throwIfAborted(signal, `thumbnail of ${source.path}`);
  const size = thumbnailSize(source.width, source.height, maxSide);
  const level = pickLevelAtLeast(source.levels, size.width, size.height);
  const resizer = createAreaResizer(level.width, level.height, size.width, size.height, 3);
  let rows = Math.max(1, Math.min(MAX_STRIP_ROWS, Math.floor(STRIP_BYTES / (level.width * 3))));
  const th = level.tileHeight;
  if (th !== undefined && th > 0 && rows >= th) rows -= rows % th;
  for (let y = 0; y < level.height; y += rows) {
    if (signal?.aborted) throw new AbortError(`Reading the thumbnail of ${source.path} was aborted`, { cause: signal.reason, path: source.path });
    const h = Math.min(rows, level.height - y);
    const strip = toRgb(
      await source.readRegion({ x: 0, y: levelToBase(y, level.downsample), width: level.width, height: h, level: level.index, channels: 3, signal }),
    );
    if (strip.width !== level.width || strip.height !== h) {
      throw new DecodeError(
        `The ${source.format} reader returned ${strip.width} x ${strip.height} px for a ${level.width} x ${h} region of level ${level.index} of ${source.path}; the reader is at fault`,
        { path: source.path, location: `level ${level.index}, rows ${y}-${y + h - 1}` },
      );
    }
    resizer.push(strip.data, h);
  }
  return { image: resizer.finish(), scaleX: source.width / size.width, scaleY: source.height / size.height, level: level.index };
}
