/**
 * The slide thumbnail for overlays. Uses `readThumbnail` from src/core/thumbnail.ts when that
 * module is present; otherwise reads the coarsest level that is large enough, in bands, and
 * resizes with sharp (never the whole of a large level at once).
 */
import { getSharp } from './sharp-fn.js';
import { invalidArgument, throwIfAborted } from '../../core/errors.js';
import type { RgbImage, SlideSource } from '../../core/types.js';

export interface Thumbnail {
  readonly image: RgbImage;
  /** level-0 pixels per thumbnail pixel */
  readonly scaleX: number;
  readonly scaleY: number;
}

type ReadThumbnail = (source: SlideSource, maxSide: number, options?: { signal?: AbortSignal }) => Promise<Thumbnail>;

async function coreReadThumbnail(): Promise<ReadThumbnail | undefined> {
  const spec = '../../core/thumbnail.js';
  try {
    const m = (await import(spec)) as { readThumbnail?: ReadThumbnail };
    return typeof m.readThumbnail === 'function' ? m.readThumbnail : undefined;
  } catch {
    return undefined;
  }
}

/** Target size of a thumbnail whose longer side is `maxSide` (never upscaled). */
export function thumbnailSize(width: number, height: number, maxSide: number): { width: number; height: number } {
  const s = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * s)), height: Math.max(1, Math.round(height * s)) };
}

/** Fallback thumbnail: banded reads of the best level, resized by sharp. */
export async function readThumbnailFallback(source: SlideSource, maxSide: number, signal?: AbortSignal): Promise<Thumbnail> {
  const { width: tw, height: th } = thumbnailSize(source.width, source.height, maxSide);
  const want = source.width / tw;
  // coarsest level still at least as fine as the thumbnail
  let level = source.levels[0]!;
  for (const l of source.levels) if (l.downsample <= want * 1.0001 && l.downsample > level.downsample) level = l;
  const sharp = await getSharp();
  const out = new Uint8Array(tw * th * 3);
  const rowsPerBand = Math.max(1, Math.floor(16_000_000 / (level.width * 3) / (level.height / th)));
  for (let r0 = 0; r0 < th; r0 += rowsPerBand) {
    throwIfAborted(signal, `thumbnail of ${source.path}`);
    const r1 = Math.min(th, r0 + rowsPerBand);
    const ly0 = Math.floor((r0 * level.height) / th);
    const ly1 = Math.min(level.height, Math.max(ly0 + 1, Math.ceil((r1 * level.height) / th)));
    const region = await source.readRegion({ x: 0, y: Math.round(ly0 * level.downsample), width: level.width, height: ly1 - ly0, level: level.index, channels: 3, signal });
    const resized = await sharp(Buffer.from(region.data.buffer, region.data.byteOffset, region.data.byteLength), { raw: { width: region.width, height: region.height, channels: region.channels } })
      .removeAlpha()
      .resize(tw, r1 - r0, { fit: 'fill', kernel: 'cubic' })
      .raw()
      .toBuffer();
    out.set(resized, r0 * tw * 3);
  }
  return { image: { data: out, width: tw, height: th, channels: 3 }, scaleX: source.width / tw, scaleY: source.height / th };
}

/** The thumbnail of a slide, longer side `maxSide`. */
export async function loadThumbnail(source: SlideSource, maxSide: number, signal?: AbortSignal): Promise<Thumbnail> {
  if (!Number.isInteger(maxSide) || maxSide < 16) throw invalidArgument('maxSide', 'an integer of at least 16 (pixels)', maxSide);
  const core = await coreReadThumbnail();
  if (core) return core(source, maxSide, signal ? { signal } : {});
  return readThumbnailFallback(source, maxSide, signal);
}
