/**
 * The slide thumbnail under the overlays: core's bounded-memory `readThumbnail` (coarsest level
 * still large enough, strip-wise area resampling), with the argument checked here.
 */
import { invalidArgument } from '../../core/errors.js';
import { readThumbnail, type Thumbnail } from '../../core/thumbnail.js';
import type { SlideSource } from '../../core/types.js';

export type { Thumbnail };

/** The thumbnail of a slide, longer side `maxSide` (never upscaled). */
export async function loadThumbnail(source: SlideSource, maxSide: number, signal?: AbortSignal): Promise<Thumbnail> {
  if (!Number.isInteger(maxSide) || maxSide < 16) throw invalidArgument('maxSide', 'an integer of at least 16 (pixels)', maxSide);
  return readThumbnail(source, maxSide, signal ? { signal } : {});
}
