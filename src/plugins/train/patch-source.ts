/**
 * Where the trainer and the estimator comparison get pixels from: a slide (any registered
 * reader, level 0) or a plain image decoded by sharp when no slide reader claims it; plus the
 * LV-based pre-selection of sharp tissue tiles.
 */
import { isBlurmmError, invalidArgument, throwIfAborted } from '../../core/errors.js';
import { openSlide } from '../../core/open.js';
import { rgbToGray } from '../../core/tissue.js';
import type { RgbImage } from '../../core/types.js';
import { loadSharp } from '../../adapters/codecs/sharp.js';
import { varianceOfLaplacian } from '../estimators/lv.js';
import { seededRandom, shuffle } from './stats.js';

/** Level-0 RGB pixels of one image or slide, read by rectangle. */
export interface PatchSource {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** level-0 microns per pixel (mean of x and y), when the source says */
  readonly mpp?: number | undefined;
  read(x: number, y: number, width: number, height: number, signal?: AbortSignal): Promise<RgbImage>;
  close(): Promise<void>;
}

/** Copies a rectangle (inside the image) out of an RGB(A) image, as RGB. */
export function cropRgb(image: RgbImage, x: number, y: number, width: number, height: number): RgbImage {
  if (x < 0 || y < 0 || x + width > image.width || y + height > image.height) {
    throw invalidArgument('rectangle', `a rectangle inside the ${image.width} x ${image.height} image`, `${width} x ${height} at (${x}, ${y})`);
  }
  const out = new Uint8Array(width * height * 3);
  const ch = image.channels;
  for (let r = 0; r < height; r++) {
    const src = ((y + r) * image.width + x) * ch;
    if (ch === 3) out.set(image.data.subarray(src, src + width * 3), r * width * 3);
    else for (let c = 0; c < width; c++) out.set(image.data.subarray(src + c * 4, src + c * 4 + 3), (r * width + c) * 3);
  }
  return { data: out, width, height, channels: 3 };
}

/** A PatchSource over an image held in memory. */
export function imagePatchSource(name: string, image: RgbImage): PatchSource {
  return {
    name,
    width: image.width,
    height: image.height,
    read: (x, y, w, h) => Promise.resolve(cropRgb(image, x, y, w, h)),
    close: () => Promise.resolve(),
  };
}

/**
 * Opens a slide with the registered readers (level 0), or, when none claims the file,
 * decodes it whole with sharp (PNG, JPEG, TIFF that fit in memory).
 */
export async function openPatchSource(target: string, options: { signal?: AbortSignal } = {}): Promise<PatchSource> {
  try {
    const { registerBuiltins } = await import('../../builtins.js');
    registerBuiltins();
    const slide = await openSlide(target, options.signal ? { signal: options.signal } : {});
    return {
      name: target,
      width: slide.width,
      height: slide.height,
      mpp: slide.mpp ? (slide.mpp.x + slide.mpp.y) / 2 : undefined,
      read: (x, y, width, height, signal) => slide.readRegion({ x, y, width, height, level: 0, channels: 3, signal }),
      close: () => slide.close(),
    };
  } catch (err) {
    if (!isBlurmmError(err, 'E_FORMAT', 'E_REGISTRY')) throw err;
    const sharp = await loadSharp();
    const { data, info } = await sharp(target, { limitInputPixels: false }).removeAlpha().raw().toBuffer({ resolveWithObject: true }).catch(() => {
      throw err;
    });
    return imagePatchSource(target, { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 });
  }
}

/** A sharp tissue tile picked for training or comparison. */
export interface SelectedTile {
  readonly source: string;
  /** level-0 top-left of the patch */
  readonly x: number;
  readonly y: number;
  /** LV of the patch's centre crop */
  readonly lv: number;
  /** fraction of centre-crop pixels with OpenCV gray < 220 */
  readonly tissue: number;
  /** the patch pixels (RGB, `patch` x `patch`) */
  readonly image: RgbImage;
}

export interface SelectTilesOptions {
  /** patch side read from the source (the crop plus the blur margin) */
  readonly patch: number;
  /** the centre crop whose LV and tissue fraction decide */
  readonly crop: number;
  /** how many tiles to return */
  readonly count: number;
  readonly seed?: number;
  /** minimum tissue fraction, default 0.6 */
  readonly minTissue?: number;
  /** keep tiles with LV >= this fraction of the 90th-percentile LV of tissue tiles, default 0.6 */
  readonly lvFraction?: number;
  /** at most this many grid candidates per source are read (a seeded random subset), default 600 */
  readonly maxCandidates?: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * LV-based pre-selection: reads a grid of non-overlapping patches from each source, keeps tissue
 * patches whose centre-crop LV is high (at least `lvFraction` of the 90th percentile), and picks
 * `count` of them at random (seeded), spread evenly over the sources.
 */
export async function selectSharpTiles(sources: readonly PatchSource[], options: SelectTilesOptions): Promise<SelectedTile[]> {
  const rand = seededRandom(options.seed ?? 1);
  const minTissue = options.minTissue ?? 0.6;
  const lvFraction = options.lvFraction ?? 0.6;
  const maxCandidates = options.maxCandidates ?? 600;
  const { patch, crop } = options;
  const off = (patch - crop) >> 1;
  const perSource: SelectedTile[][] = [];
  for (const src of sources) {
    const cells: { x: number; y: number }[] = [];
    for (let y = 0; y + patch <= src.height; y += patch) for (let x = 0; x + patch <= src.width; x += patch) cells.push({ x, y });
    const chosen = cells.length > maxCandidates ? shuffle(cells, rand).slice(0, maxCandidates) : cells;
    const found: SelectedTile[] = [];
    for (const { x, y } of chosen) {
      throwIfAborted(options.signal, 'tile selection');
      const image = await src.read(x, y, patch, patch, options.signal);
      const centre = cropRgb(image, off, off, crop, crop);
      const gray = rgbToGray(centre);
      let t = 0;
      for (let i = 0; i < gray.length; i++) if (gray[i]! < 220) t++;
      const tissue = t / gray.length;
      if (tissue < minTissue) continue;
      found.push({ source: src.name, x, y, lv: varianceOfLaplacian(centre), tissue, image });
    }
    perSource.push(found);
  }
  const all = perSource.flat().map((t) => t.lv).sort((a, b) => a - b);
  const p90 = all.length ? all[Math.min(all.length - 1, Math.floor(0.9 * all.length))]! : 0;
  const eligible = perSource.map((list) => shuffle(list.filter((t) => t.lv >= lvFraction * p90), rand));
  // round-robin over sources so each contributes
  const out: SelectedTile[] = [];
  for (let i = 0; out.length < options.count; i++) {
    let any = false;
    for (const list of eligible) {
      const t = list[i];
      if (t && out.length < options.count) {
        out.push(t);
        any = true;
      }
    }
    if (!any) break;
  }
  return out;
}
