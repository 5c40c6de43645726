/**
 * The slide thumbnail under the overlays: core's bounded-memory `readThumbnail` (coarsest level
 * still large enough, strip-wise area resampling). The promise is shared per source and size, so
 * the heatmap and report writers of one run read the thumbnail once.
 */
import { invalidArgument, throwIfAborted } from '../../core/errors.js';
import { readThumbnail, type Thumbnail } from '../../core/thumbnail.js';
import type { SlideSource } from '../../core/types.js';

export type { Thumbnail };

const shared = new WeakMap<SlideSource, Map<number, Promise<Thumbnail>>>();

/** The thumbnail of a slide, longer side `maxSide` (never upscaled). */
export async function loadThumbnail(source: SlideSource, maxSide: number, signal?: AbortSignal): Promise<Thumbnail> {
  if (!Number.isInteger(maxSide) || maxSide < 16) throw invalidArgument('maxSide', 'an integer of at least 16 (pixels)', maxSide);
  throwIfAborted(signal, `thumbnail of ${source.path}`);
  let bySize = shared.get(source);
  if (!bySize) shared.set(source, (bySize = new Map()));
  let pending = bySize.get(maxSide);
  if (!pending) {
    pending = readThumbnail(source, maxSide, signal ? { signal } : {});
    bySize.set(maxSide, pending);
    // a failed read is not cached
    pending.catch(() => bySize!.delete(maxSide));
  }
  return pending;
}
