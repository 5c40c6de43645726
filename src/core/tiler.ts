/**
 * The tile grid: a regular grid over a slide, in level-0 coordinates, read either at a pyramid
 * level (`level`) or at a target resolution (`mpp`, microns per pixel: read from the nearest finer
 * level and area-resampled). Tile sizes and overlap are in output pixels.
 *
 * Geometry, per axis, in pixels of the read level L (f = level px per output px; 1 with `level`):
 *   stride = tileSize - overlap; tile c starts at round(c * stride * f) and ends at
 *   round((c * stride + tileSize) * f); there are max(1, ceil((Lw / f - overlap) / stride)) tiles,
 *   so the last one starts inside the level and no pixel is left out. Level-L coordinates map to
 *   level-0 with {@link levelToBase}.
 * Edge policies: 'partial' keeps edge tiles at their true (clipped) size, like the OpenCV reference
 * grid of the shared data; 'skip' drops tiles that are not whole; 'pad' reads whole tiles, the
 * area outside the slide white.
 */
import { ArgumentError, DecodeError, invalidArgument, throwIfAborted } from './errors.js';
import { resizeArea } from './resample.js';
import { levelToBase, toRgb } from './thumbnail.js';
import type { TissueMask } from './tissue.js';
import type { EdgePolicy, LevelInfo, RgbImage, SlideSource, TileSpec } from './types.js';

export { levelToBase } from './thumbnail.js';

/** Options of {@link planTileGrid}. Give `level` or `mpp`, not both (neither: level 0). */
export interface TileGridOptions {
  /** tile side in output pixels */
  readonly tileSize: number;
  /** overlap between neighbours in output pixels (default 0) */
  readonly overlap?: number;
  /** read at this pyramid level */
  readonly level?: number;
  /** target microns per pixel of the output tiles */
  readonly mpp?: number;
  /** default 'partial' */
  readonly edge?: EdgePolicy;
}

/** The tiles of a grid, after the edge policy and the tissue mask. */
export interface TileSelection {
  readonly specs: TileSpec[];
  /** tiles dropped because their tissue fraction was below the minimum */
  readonly backgroundSkipped: number;
  /** tiles dropped by the 'skip' edge policy */
  readonly edgeSkipped: number;
}

/** A planned grid. `columns x rows` counts every grid position, edge tiles included. */
export interface TileGrid {
  /** the level pixels are read from */
  readonly level: number;
  readonly targetMpp: number | null;
  /** level-0 pixels per output pixel (mean of the axes) */
  readonly downsample: number;
  /** level pixels per output pixel, per axis (1 when reading at a level without resampling) */
  readonly readFactorX: number;
  readonly readFactorY: number;
  readonly tileSize: number;
  readonly overlap: number;
  readonly columns: number;
  readonly rows: number;
  readonly edge: EdgePolicy;
  /**
   * The tiles in row-major order (`index = row * columns + col`). With a mask, tiles whose
   * tissue fraction is below `minTissueFraction` (default 0.25) are dropped and counted.
   */
  tiles(mask?: TissueMask, minTissueFraction?: number): TileSelection;
}

interface Axis {
  readonly count: number;
  /** start in level pixels, per tile */
  readonly start: Int32Array;
  /** end in level pixels, unclipped */
  readonly end: Int32Array;
}

/**
 * Relative tolerance on pixel sizes: pyramid writers round level sizes down (vips: 3090 -> 772, a
 * downsample of 4.0026 instead of 4) and DICOM stores spacing as float32 (0.249999983 mm), so a level
 * within 0.2 % of the target counts as the target, and a factor within 0.2 % of an integer is snapped.
 */
const MPP_TOLERANCE = 2e-3;

function snap(f: number): number {
  const r = Math.round(f);
  return r > 0 && Math.abs(f - r) <= MPP_TOLERANCE * f ? r : f;
}

function planAxis(levelSize: number, f: number, tileSize: number, overlap: number): Axis {
  const stride = tileSize - overlap;
  let outSize = levelSize / f;
  if (Math.abs(outSize - Math.round(outSize)) < 1e-9 * outSize) outSize = Math.round(outSize);
  const count = Math.max(1, Math.ceil((outSize - overlap) / stride - 1e-9));
  const start = new Int32Array(count);
  const end = new Int32Array(count);
  for (let c = 0; c < count; c++) {
    const o = c * stride;
    start[c] = f === 1 ? o : Math.round(o * f);
    end[c] = f === 1 ? o + tileSize : Math.round((o + tileSize) * f);
  }
  return { count, start, end };
}

function levelMpp(source: SlideSource, level: LevelInfo): { x: number; y: number } | undefined {
  if (level.mpp) return level.mpp;
  const m = source.mpp;
  if (!m) return undefined;
  if (level.index === 0) return m;
  return { x: (m.x * source.width) / level.width, y: (m.y * source.height) / level.height };
}

/**
 * Plans a regular tile grid over `source`. Either `level` (read at that level, no resampling) or
 * `mpp` (read from the coarsest level whose mpp is at most the target, area-resampled to it; level
 * 0 upsampled when the slide is coarser than the target). Mixing both is an ArgumentError, as is
 * `mpp` on a slide that does not record its pixel size.
 * @example
 * const grid = planTileGrid(source, { tileSize: 512, mpp: 0.5 });
 * const { specs } = grid.tiles(mask, 0.5);
 * const pixels = await readTile(source, specs[0]!);
 */
export function planTileGrid(source: SlideSource, options: TileGridOptions): TileGrid {
  if (options === null || typeof options !== 'object') throw invalidArgument('options', 'an object { tileSize, overlap?, level?, mpp?, edge? }', options);
  const { tileSize } = options;
  const overlap = options.overlap ?? 0;
  const edge: EdgePolicy = options.edge ?? 'partial';
  if (!Number.isInteger(tileSize) || tileSize < 1 || tileSize > 1 << 16) throw invalidArgument('tileSize', 'an integer from 1 to 65536', tileSize);
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= tileSize) throw invalidArgument('overlap', `an integer from 0 to ${tileSize - 1} (less than tileSize)`, overlap);
  if (edge !== 'partial' && edge !== 'skip' && edge !== 'pad') throw invalidArgument('edge', '"partial", "skip" or "pad"', edge);
  if (options.level !== undefined && options.mpp !== undefined) {
    throw new ArgumentError(
      `Expected either level or mpp for the tile grid but received both (level ${String(options.level)}, mpp ${String(options.mpp)}); give one: level reads at a pyramid level, mpp resamples to microns per pixel`,
      { pointer: 'mpp', path: source.path },
    );
  }
  const levels = source.levels;
  let level: LevelInfo;
  let fx = 1;
  let fy = 1;
  let targetMpp: number | null = null;
  if (options.mpp !== undefined) {
    const t = options.mpp;
    if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) throw invalidArgument('mpp', 'a positive number of microns per pixel', t);
    if (!source.mpp) {
      throw new ArgumentError(
        `Cannot tile ${source.path} at ${t} um/px: the slide does not record its pixel size (mpp source: ${source.mppSource}). Tile at a pyramid level instead (level), or give the slide's resolution.`,
        { pointer: 'mpp', path: source.path },
      );
    }
    targetMpp = t;
    level = levels[0]!;
    for (const l of levels) {
      const m = levelMpp(source, l);
      if (m && m.x <= t * (1 + MPP_TOLERANCE) && m.y <= t * (1 + MPP_TOLERANCE) && l.downsample >= level.downsample) level = l;
    }
    const m = levelMpp(source, level)!;
    fx = snap(t / m.x);
    fy = snap(t / m.y);
  } else {
    const li = options.level ?? 0;
    if (!Number.isInteger(li) || li < 0 || li >= levels.length) throw invalidArgument('level', `an integer from 0 to ${levels.length - 1}`, li);
    level = levels[li]!;
  }
  const ax = planAxis(level.width, fx, tileSize, overlap);
  const ay = planAxis(level.height, fy, tileSize, overlap);
  const ds = level.index === 0 ? 1 : level.downsample;
  const baseX = (v: number): number => (v >= level.width ? source.width : Math.min(source.width, levelToBase(v, ds)));
  const baseY = (v: number): number => (v >= level.height ? source.height : Math.min(source.height, levelToBase(v, ds)));
  const downsample = (((source.width / level.width) * fx + (source.height / level.height) * fy) / 2);

  const tiles = (mask?: TissueMask, minTissueFraction = 0.25): TileSelection => {
    if (!(typeof minTissueFraction === 'number' && minTissueFraction >= 0 && minTissueFraction <= 1)) {
      throw invalidArgument('minTissueFraction', 'a number from 0 to 1', minTissueFraction);
    }
    const specs: TileSpec[] = [];
    let backgroundSkipped = 0;
    let edgeSkipped = 0;
    for (let row = 0; row < ay.count; row++) {
      const ly0 = ay.start[row]!;
      const ly1Full = ay.end[row]!;
      const fullY = ly1Full <= level.height;
      const ly1 = Math.min(ly1Full, level.height);
      for (let col = 0; col < ax.count; col++) {
        const lx0 = ax.start[col]!;
        const lx1Full = ax.end[col]!;
        const fullX = lx1Full <= level.width;
        const lx1 = Math.min(lx1Full, level.width);
        const whole = fullX && fullY;
        if (edge === 'skip' && !whole) {
          edgeSkipped++;
          continue;
        }
        const x = baseX(lx0);
        const y = baseY(ly0);
        const width = baseX(lx1) - x;
        const height = baseY(ly1) - y;
        const tissueFraction = mask ? mask.tissueFraction(x, y, width, height) : 1;
        if (mask && tissueFraction < minTissueFraction) {
          backgroundSkipped++;
          continue;
        }
        const pad = edge === 'pad';
        const readWidth = pad ? lx1Full - lx0 : lx1 - lx0;
        const readHeight = pad ? ly1Full - ly0 : ly1 - ly0;
        const outWidth = pad || fullX ? tileSize : fx === 1 ? readWidth : Math.max(1, Math.round(readWidth / fx));
        const outHeight = pad || fullY ? tileSize : fy === 1 ? readHeight : Math.max(1, Math.round(readHeight / fy));
        specs.push({
          index: row * ax.count + col,
          col,
          row,
          x,
          y,
          width,
          height,
          level: level.index,
          readWidth,
          readHeight,
          outWidth,
          outHeight,
          tissueFraction,
        });
      }
    }
    return { specs, backgroundSkipped, edgeSkipped };
  };

  return {
    level: level.index,
    targetMpp,
    downsample,
    readFactorX: fx,
    readFactorY: fy,
    tileSize,
    overlap,
    columns: ax.count,
    rows: ay.count,
    edge,
    tiles,
  };
}

/**
 * Reads one tile: `spec.readWidth x spec.readHeight` pixels of `spec.level` at level-0 (`x`, `y`),
 * area-resampled (OpenCV INTER_AREA) to exactly `outWidth x outHeight` RGB. Outside the slide
 * (padded edge tiles) is white.
 * @example
 * const rgb = await readTile(source, spec, { signal });
 */
export async function readTile(source: SlideSource, spec: TileSpec, options: { signal?: AbortSignal } = {}): Promise<RgbImage> {
  const where = `tile ${spec.index} (col ${spec.col}, row ${spec.row}) of ${source.path}`;
  throwIfAborted(options.signal, `read of ${where}`);
  const img = toRgb(
    await source.readRegion({
      x: spec.x,
      y: spec.y,
      width: spec.readWidth,
      height: spec.readHeight,
      level: spec.level,
      channels: 3,
      signal: options.signal,
    }),
  );
  if (img.width !== spec.readWidth || img.height !== spec.readHeight) {
    throw new DecodeError(
      `The ${source.format} reader returned ${img.width} x ${img.height} px for ${where}, which should be ${spec.readWidth} x ${spec.readHeight}; the reader is at fault`,
      { path: source.path, location: `level ${spec.level}, tile (${spec.col}, ${spec.row})` },
    );
  }
  if (img.width === spec.outWidth && img.height === spec.outHeight) return img;
  return resizeArea(img, spec.outWidth, spec.outHeight);
}

/** One tile read by {@link readTiles}: the pixels, or why they could not be read. */
export type TileRead = { readonly ok: true; readonly spec: TileSpec; readonly image: RgbImage } | { readonly ok: false; readonly spec: TileSpec; readonly error: unknown };

/**
 * Reads tiles as an async iterable, in the order given, with up to `concurrency` (default 4) reads
 * in flight. A tile that fails is yielded as a record with its error and the iteration goes on;
 * an aborted signal ends it with an AbortError. Breaking out of the loop stops further reads.
 * @example
 * for await (const t of readTiles(source, grid.tiles(mask).specs, { signal })) {
 *   if (t.ok) estimate(t.image); else report(t.spec, t.error);
 * }
 */
export async function* readTiles(
  source: SlideSource,
  specs: readonly TileSpec[],
  options: { signal?: AbortSignal; concurrency?: number } = {},
): AsyncGenerator<TileRead, void, undefined> {
  const concurrency = options.concurrency ?? 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw invalidArgument('concurrency', 'a positive integer', concurrency);
  const { signal } = options;
  const readOptions = signal ? { signal } : {};
  const window: Promise<TileRead>[] = [];
  let next = 0;
  const start = (): void => {
    const spec = specs[next++]!;
    window.push(readTile(source, spec, readOptions).then((image): TileRead => ({ ok: true, spec, image }), (error: unknown): TileRead => ({ ok: false, spec, error })));
  };
  while (next < specs.length && window.length < concurrency) start();
  while (window.length > 0) {
    const done = await window.shift()!;
    throwIfAborted(signal, `tile reading of ${source.path}`);
    if (next < specs.length) start();
    yield done;
  }
}
