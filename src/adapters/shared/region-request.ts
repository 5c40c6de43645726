import { invalidArgument } from '../../core/errors.js';
import type { LevelInfo, RegionRequest } from '../../core/types.js';

/** A validated region request in level pixels. */
export interface LevelRegion {
  readonly level: number;
  /** left/top in level pixels: trunc(level-0 coordinate / downsample), as OpenSlide 3.4.1 */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
}

/**
 * Checks a {@link RegionRequest} against a slide's levels (integers everywhere, positive size,
 * 3 or 4 channels, at most 2^28 pixels) and maps it to level pixels with OpenSlide's semantics.
 * Throws the `invalidArgument` template naming the field.
 */
export function toLevelRegion(request: RegionRequest, levels: readonly LevelInfo[]): LevelRegion {
  if (typeof request !== 'object' || request === null) throw invalidArgument('request', 'a region request object', request);
  const { level, x, y, width, height } = request;
  const channels = request.channels ?? 3;
  if (!Number.isInteger(level) || level < 0 || level >= levels.length) throw invalidArgument('level', `an integer level from 0 to ${levels.length - 1}`, level);
  if (!Number.isInteger(x)) throw invalidArgument('x', 'an integer (level-0 pixels)', x);
  if (!Number.isInteger(y)) throw invalidArgument('y', 'an integer (level-0 pixels)', y);
  if (!Number.isInteger(width) || width <= 0) throw invalidArgument('width', 'a positive integer (level pixels)', width);
  if (!Number.isInteger(height) || height <= 0) throw invalidArgument('height', 'a positive integer (level pixels)', height);
  if (width * height > 1 << 28) throw invalidArgument('width * height', 'at most 2^28 pixels per region (read a large area in pieces)', width * height);
  if (channels !== 3 && channels !== 4) throw invalidArgument('channels', '3 or 4', channels);
  const ds = levels[level]!.downsample;
  return { level, x: Math.trunc(x / ds), y: Math.trunc(y / ds), width, height, channels };
}
