/**
 * The TIFF-family SlideSource: tiled pyramidal TIFF and BigTIFF, Aperio SVS, OME-TIFF
 * (levels as SubIFDs or as separate pages) and single-image tiled or stripped TIFFs.
 *
 * Structure comes from a small IFD parser (./ifd.ts); JPEG tiles are decoded with
 * libjpeg-turbo through sharp, deflate with node:zlib, LZW in JavaScript. Region reads follow
 * OpenSlide: x, y in level-0 pixels, mapped to level pixels by truncating x / downsample
 * (OpenSlide 3.4.1 truncates too, then bilinearly resamples the fractional remainder with
 * cairo; blurmm does not resample, so at levels > 0 and positions whose x / downsample is not a
 * whole number blurmm returns the level's own pixels where OpenSlide returns interpolated ones).
 */
import { ArgumentError, CorruptFileError, FormatError, NotFoundError, invalidArgument, throwIfAborted } from '../../core/errors.js';
import type { LevelInfo, Mpp, OpenSourceOptions, RegionRequest, RgbImage, SlideSource } from '../../core/types.js';
import { TileCache } from '../shared/tile-cache.js';
import { readTiledRegion } from '../shared/tiled-region.js';
import { openFileSource, type ByteSource } from '../shared/byte-source.js';
import { toLevelRegion } from '../shared/region-request.js';
import { decodeTile, tileLocation } from './decode.js';
import { Tag, num, parseTiff, str, type Ifd } from './ifd.js';
import { formatDouble, mppFromResolution, parseAperioDescription, parseOmePhysicalSize, tiffProperties } from './metadata.js';
import { canDecodeAsBlock, decodeJpegBlock } from './jpeg-block.js';
import { describePage, type TiffPage } from './page.js';

/** default decoded-tile cache: 64 MiB */
export const DEFAULT_TILE_CACHE_BYTES = 64 * 1024 * 1024;

export interface TiffLevel extends LevelInfo {
  readonly page: TiffPage;
}

/** Options of {@link openTiffSlide} beyond {@link OpenSourceOptions}. */
export interface TiffOpenOptions extends OpenSourceOptions {
  /** tiles decoded at once per region read (default 8) */
  readonly maxInFlight?: number;
  /**
   * How JPEG tiles are decoded (sharp costs ~1-2 ms per call, as much as decoding a 256 px tile):
   * - 'block' (default): fixed, aligned blocks of tiles of about `jpegBlock` px (default 4096 x 512,
   *   i.e. 16 x 2 tiles of 256 px) are decoded in one call each (./jpeg-block.ts) and kept in the
   *   tile cache, with read-ahead of the next block, so a tiler reading row by row decodes each
   *   block once. Best for whole-level reads; a lone small read decodes its whole block. For region
   *   heights that do not divide the block height, size the tile cache to hold two rows of blocks
   *   (2 x level width x 512 x 3 bytes) or each block is decoded more than once.
   * - 'region': the tiles one region touches, in one call, not cached.
   * - 'tile': one call per tile, through the tile cache.
   * 'block' and 'region' fall back to 'tile' for a region whose block has a missing or damaged
   * tile, so damaged tiles are reported one by one and fail only the reads that touch them.
   * 'block' acts as 'region' when the tile cache cannot hold two blocks (e.g. tileCacheBytes 0).
   */
  readonly jpegDecode?: 'block' | 'region' | 'tile';
  /** block size in pixels for jpegDecode 'block' (rounded to whole tiles; default 4096 x 512) */
  readonly jpegBlock?: { readonly width: number; readonly height: number };
}

/** thrown inside the block path to fall back to tile-by-tile reading; never escapes */
class BlockFallback extends Error {}

function allIfds(pages: readonly Ifd[]): Ifd[] {
  const out: Ifd[] = [];
  const walk = (i: Ifd): void => {
    out.push(i);
    i.children.forEach(walk);
  };
  pages.forEach(walk);
  return out;
}

function sameAspect(w0: number, h0: number, w: number, h: number): boolean {
  // sizes rounded (up or down) at each halving: allow a couple of pixels of slack per axis
  const dx = w0 / w;
  const dy = h0 / h;
  return Math.abs(w * dy - w0) <= 2 * dy + 0.02 * w0 && Math.abs(h * dx - h0) <= 2 * dx + 0.02 * h0;
}

class TiffSlide implements SlideSource {
  readonly format: string;
  readonly path: string;
  readonly width: number;
  readonly height: number;
  readonly levels: readonly TiffLevel[];
  readonly mpp: Mpp | undefined;
  readonly mppSource: string;
  readonly properties: Readonly<Record<string, string>>;
  readonly associatedImages: readonly string[];
  readonly #src: ByteSource;
  readonly #cache: TileCache;
  readonly #associated: ReadonlyMap<string, TiffPage>;
  readonly #maxInFlight: number;
  readonly #jpegDecode: 'block' | 'region' | 'tile';
  readonly #jpegBlock: { readonly width: number; readonly height: number };
  /** blocks that failed to decode as a whole: their regions go tile by tile */
  readonly #badBlocks = new Set<string>();
  /** the last block asked for, per level, to detect sequential reading */
  readonly #lastBlock = new Map<string, [number, number]>();
  #closed = false;

  constructor(init: {
    format: string;
    src: ByteSource;
    levels: TiffLevel[];
    mpp: Mpp | undefined;
    mppSource: string;
    properties: Record<string, string>;
    associated: Map<string, TiffPage>;
    cacheBytes: number;
    maxInFlight: number;
    jpegDecode: 'block' | 'region' | 'tile';
    jpegBlock: { readonly width: number; readonly height: number };
  }) {
    this.format = init.format;
    this.path = init.src.path;
    this.#src = init.src;
    this.levels = init.levels;
    this.width = init.levels[0]!.width;
    this.height = init.levels[0]!.height;
    this.mpp = init.mpp;
    this.mppSource = init.mppSource;
    this.properties = Object.freeze(init.properties);
    this.#associated = init.associated;
    this.associatedImages = [...init.associated.keys()];
    this.#cache = new TileCache(init.cacheBytes);
    this.#maxInFlight = init.maxInFlight;
    this.#jpegDecode = init.jpegDecode;
    this.#jpegBlock = init.jpegBlock;
  }

  /** decoded bytes held by the tile cache */
  get cachedBytes(): number {
    return this.#cache.size;
  }

  async #loadTile(page: TiffPage, col: number, row: number, signal: AbortSignal | undefined): Promise<RgbImage | null> {
    const i = row * page.tilesAcross + col;
    const offset = page.offsets[i]!;
    const count = page.byteCounts[i]!;
    if (count === 0 || offset === 0) return null; // sparse TIFF: missing tile
    if (offset + count > this.#src.size) {
      throw new CorruptFileError(
        `${this.path}, ${tileLocation(page, col, row)}: the tile's bytes ${offset}..${offset + count} lie past the end of the file (${this.#src.size} bytes); the file is truncated or damaged. Other tiles can still be read.`,
        { path: this.path, location: tileLocation(page, col, row), data: { offset, byteCount: count, fileSize: this.#src.size } },
      );
    }
    throwIfAborted(signal, 'tile read');
    const raw = await this.#src.read(offset, count);
    return decodeTile(page, raw, col, row);
  }

  #tile(key: string, page: TiffPage, col: number, row: number, signal: AbortSignal | undefined): Promise<RgbImage | null> {
    const i = row * page.tilesAcross + col;
    if (page.byteCounts[i] === 0 || page.offsets[i] === 0) return Promise.resolve(null);
    throwIfAborted(signal, 'region read');
    return this.#cache.getOrLoad(`${key}/${col}/${row}`, async () => (await this.#loadTile(page, col, row, undefined))!);
  }

  async readRegion(request: RegionRequest): Promise<RgbImage> {
    if (this.#closed) throw new ArgumentError(`${this.path} was read after close(); open it again.`, { path: this.path });
    const { level, x: lx, y: ly, width, height, channels } = toLevelRegion(request, this.levels);
    const L = this.levels[level]!;
    const page = L.page;
    const key = `L${level}`;
    // at least two blocks per row, so read-ahead can decode one while the other is being read
    const across = Math.max(1, Math.min(Math.round(this.#jpegBlock.width / page.tileWidth), Math.ceil(page.tilesAcross / 2)));
    const down = Math.max(1, Math.round(this.#jpegBlock.height / page.tileHeight));
    // blocks only pay when the cache can keep them (and the one read ahead); else decode per region
    const blockBytes = across * page.tileWidth * down * page.tileHeight * 3;
    const blocksFit = this.#cache.maxBytes >= 2 * blockBytes;
    const readAhead = this.#cache.maxBytes >= 6 * blockBytes ? 2 : 1;
    if (this.#jpegDecode === 'block' && blocksFit && canDecodeAsBlock(page)) {
      try {
        return await readTiledRegion({
          level: { width: page.width, height: page.height, tileWidth: across * page.tileWidth, tileHeight: down * page.tileHeight },
          x: lx,
          y: ly,
          width,
          height,
          channels,
          signal: request.signal,
          maxInFlight: this.#maxInFlight,
          getTile: (bc, br) => {
            const got = this.#block(key, page, bc, br, across, down);
            // read-ahead: when blocks are asked for in row-major order, start decoding the next one
            // now, so a sequential reader has it decoded (on another libuv thread) when it gets there
            const last = this.#lastBlock.get(key);
            this.#lastBlock.set(key, [bc, br]);
            const blocksAcross = Math.ceil(page.tilesAcross / across);
            const next = (b: readonly [number, number]): [number, number] => (b[0] + 1 < blocksAcross ? [b[0] + 1, b[1]] : [0, b[1] + 1]);
            const sequential = last && ((last[0] === bc && last[1] === br) || (next(last)[0] === bc && next(last)[1] === br));
            if (sequential) {
              // two blocks ahead when the cache holds them, so two libuv threads stay busy
              let ahead: [number, number] = [bc, br];
              for (let k = 0; k < readAhead; k++) {
                ahead = next(ahead);
                if (ahead[1] * down >= page.tilesDown) break;
                this.#block(key, page, ahead[0], ahead[1], across, down).catch(() => undefined);
              }
            }
            return got;
          },
        });
      } catch (err) {
        if (!(err instanceof BlockFallback)) throw err;
      }
    } else if ((this.#jpegDecode === 'region' || this.#jpegDecode === 'block') && canDecodeAsBlock(page)) {
      const fast = await this.#readBlock(page, lx, ly, width, height, channels, request.signal);
      if (fast) return fast;
    }
    return readTiledRegion({
      level: { width: page.width, height: page.height, tileWidth: page.tileWidth, tileHeight: page.tileHeight },
      x: lx,
      y: ly,
      width,
      height,
      channels,
      signal: request.signal,
      maxInFlight: this.#maxInFlight,
      getTile: (col, row) => this.#tile(key, page, col, row, request.signal),
    });
  }

  /** a block through the cache; shared loads take no AbortSignal (callers check theirs between blocks) */
  #block(key: string, page: TiffPage, bc: number, br: number, across: number, down: number): Promise<RgbImage> {
    const bkey = `${key}/B${across}x${down}/${bc}/${br}`;
    if (this.#badBlocks.has(bkey)) return Promise.reject(new BlockFallback());
    return this.#cache.getOrLoad(bkey, () => this.#loadBlock(page, bc, br, across, down)).catch((err: unknown) => {
      if (err instanceof BlockFallback) this.#badBlocks.add(bkey);
      throw err;
    });
  }

  /** block (bc, br) of across x down tiles, decoded in one call and cropped to the level */
  async #loadBlock(page: TiffPage, bc: number, br: number, across: number, down: number): Promise<RgbImage> {
    const c0 = bc * across;
    const r0 = br * down;
    const c1 = Math.min(c0 + across, page.tilesAcross);
    const r1 = Math.min(r0 + down, page.tilesDown);
    const index: number[] = [];
    for (let r = r0; r < r1; r++) {
      for (let c = c0; c < c1; c++) {
        const i = r * page.tilesAcross + c;
        const off = page.offsets[i]!;
        const n = page.byteCounts[i]!;
        if (off === 0 || n === 0 || off + n > this.#src.size) throw new BlockFallback();
        index.push(i);
      }
    }
    const tiles = await this.#readTileBytes(page, index);
    const x0 = c0 * page.tileWidth;
    const y0 = r0 * page.tileHeight;
    try {
      return await decodeJpegBlock(page, tiles, c1 - c0, r1 - r0, {
        left: 0,
        top: 0,
        width: Math.min((c1 - c0) * page.tileWidth, page.width - x0),
        height: Math.min((r1 - r0) * page.tileHeight, page.height - y0),
      });
    } catch {
      throw new BlockFallback();
    }
  }

  /**
   * The 'region' JPEG path: every tile the region touches decoded and cropped in one sharp call.
   * Returns undefined (so the caller uses the tile-by-tile path, which reports damaged tiles
   * one by one) when a tile is missing, out of the file, or the block fails to decode.
   */
  async #readBlock(page: TiffPage, x: number, y: number, width: number, height: number, channels: 3 | 4, signal: AbortSignal | undefined): Promise<RgbImage | undefined> {
    const x0 = Math.max(x, 0);
    const y0 = Math.max(y, 0);
    const x1 = Math.min(x + width, page.width);
    const y1 = Math.min(y + height, page.height);
    if (x1 <= x0 || y1 <= y0) return undefined;
    const tw = page.tileWidth;
    const th = page.tileHeight;
    const c0 = Math.floor(x0 / tw);
    const r0 = Math.floor(y0 / th);
    const c1 = Math.floor((x1 - 1) / tw);
    const r1 = Math.floor((y1 - 1) / th);
    const across = c1 - c0 + 1;
    const down = r1 - r0 + 1;
    const index: number[] = [];
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const i = r * page.tilesAcross + c;
        const off = page.offsets[i]!;
        const n = page.byteCounts[i]!;
        if (off === 0 || n === 0 || off + n > this.#src.size) return undefined;
        index.push(i);
      }
    }
    throwIfAborted(signal, 'region read');
    const tiles = await this.#readTileBytes(page, index);
    let block: RgbImage;
    try {
      block = await decodeJpegBlock(page, tiles, across, down, { left: x0 - c0 * tw, top: y0 - r0 * th, width: x1 - x0, height: y1 - y0 });
    } catch {
      return undefined;
    }
    throwIfAborted(signal, 'region read');
    if (channels === 3 && x0 === x && y0 === y && x1 - x0 === width && y1 - y0 === height) return block;
    const out = new Uint8Array(width * height * channels).fill(channels === 3 ? 255 : 0);
    const bw = x1 - x0;
    for (let j = 0; j < y1 - y0; j++) {
      let s = j * bw * 3;
      let d = ((y0 - y + j) * width + (x0 - x)) * channels;
      if (channels === 3) out.set(block.data.subarray(s, s + bw * 3), d);
      else {
        for (let i = 0; i < bw; i++, s += 3, d += 4) {
          out[d] = block.data[s]!;
          out[d + 1] = block.data[s + 1]!;
          out[d + 2] = block.data[s + 2]!;
          out[d + 3] = 255;
        }
      }
    }
    return { data: out, width, height, channels };
  }

  /** the raw bytes of tiles `index`, with adjacent tiles read in one file read */
  async #readTileBytes(page: TiffPage, index: readonly number[]): Promise<Uint8Array[]> {
    const order = index.map((i, k) => ({ k, off: page.offsets[i]!, n: page.byteCounts[i]! })).sort((a, b) => a.off - b.off);
    const out = new Array<Uint8Array>(index.length);
    const runs: (typeof order)[] = [];
    for (const t of order) {
      const run = runs[runs.length - 1];
      const last = run?.[run.length - 1];
      if (run && last && t.off >= last.off + last.n && t.off - (last.off + last.n) <= 4096) run.push(t);
      else runs.push([t]);
    }
    await Promise.all(
      runs.map(async (run) => {
        const start = run[0]!.off;
        const end = run[run.length - 1]!.off + run[run.length - 1]!.n;
        const buf = await this.#src.read(start, end - start);
        for (const t of run) out[t.k] = buf.subarray(t.off - start, t.off - start + t.n);
      }),
    );
    return out;
  }

  async readAssociatedImage(name: string, options: { signal?: AbortSignal } = {}): Promise<RgbImage> {
    const page = this.#associated.get(name);
    if (!page) {
      throw new NotFoundError(`${this.path} has no associated image "${name}"; it has: ${this.associatedImages.join(', ') || '(none)'}.`, { path: this.path });
    }
    return readTiledRegion({
      level: { width: page.width, height: page.height, tileWidth: page.tileWidth, tileHeight: page.tileHeight },
      x: 0,
      y: 0,
      width: page.width,
      height: page.height,
      channels: 3,
      signal: options.signal,
      getTile: (col, row) => this.#loadTile(page, col, row, options.signal),
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#cache.clear();
    await this.#src.close();
  }
}

/**
 * Opens a TIFF-family slide. Reads structure only (IFDs, tile tables, metadata); pixels are
 * decoded per region on demand, through a bounded LRU cache of `options.tileCacheBytes`
 * (default 64 MiB).
 *
 * @example
 * const slide = await openTiffSlide('slide.svs');
 * const rgb = await slide.readRegion({ level: 0, x: 1000, y: 2000, width: 512, height: 512 });
 */
export async function openTiffSlide(path: string, options: TiffOpenOptions = {}): Promise<SlideSource> {
  const cacheBytes = options.tileCacheBytes ?? DEFAULT_TILE_CACHE_BYTES;
  if (typeof cacheBytes !== 'number' || !(cacheBytes >= 0)) throw invalidArgument('tileCacheBytes', 'a number of bytes >= 0', cacheBytes);
  const jpegDecode = options.jpegDecode ?? 'block';
  if (jpegDecode !== 'block' && jpegDecode !== 'region' && jpegDecode !== 'tile') throw invalidArgument('jpegDecode', '"block", "region" or "tile"', jpegDecode);
  const jpegBlock = options.jpegBlock ?? { width: 4096, height: 512 };
  if (!(jpegBlock.width >= 1 && jpegBlock.height >= 1 && jpegBlock.width * jpegBlock.height <= 1 << 24)) {
    throw invalidArgument('jpegBlock', 'a block size { width, height } of 1 to 2^24 pixels', jpegBlock);
  }
  const maxInFlight = options.maxInFlight ?? 8;
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw invalidArgument('maxInFlight', 'a positive integer', maxInFlight);
  throwIfAborted(options.signal, 'slide open');
  const src = await openFileSource(path, 'TIFF file');
  try {
    return await build(src, cacheBytes, maxInFlight, jpegDecode, jpegBlock);
  } catch (err) {
    await src.close();
    throw err;
  }
}

async function build(
  src: ByteSource,
  cacheBytes: number,
  maxInFlight: number,
  jpegDecode: 'block' | 'region' | 'tile',
  jpegBlock: { readonly width: number; readonly height: number },
): Promise<SlideSource> {
  const path = src.path;
  const tiff = await parseTiff(src);
  const first = tiff.pages[0]!;
  const desc0 = str(first, Tag.ImageDescription);
  const aperio = parseAperioDescription(desc0);
  const isOme = desc0 !== undefined && /<OME[\s>]/.test(desc0);

  // pages kept out of the pyramid: Aperio thumbnail (page 1 when stripped), label, macro
  const associated = new Map<string, TiffPage>();
  const excluded = new Set<Ifd>();
  if (aperio) {
    tiff.pages.forEach((ifd, i) => {
      if (i === 0) return;
      const d = str(ifd, Tag.ImageDescription) ?? '';
      const tiled = ifd.tags.has(Tag.TileWidth);
      let name: string | undefined;
      if (/\blabel\b/i.test(d.split('\n').pop() ?? '')) name = 'label';
      else if (/\bmacro\b/i.test(d.split('\n').pop() ?? '')) name = 'macro';
      else if (i === 1 && !tiled) name = 'thumbnail';
      if (name) {
        excluded.add(ifd);
        try {
          associated.set(name, describePage(path, ifd, src.size));
        } catch {
          // an unreadable associated image is left out rather than failing the slide
        }
      }
    });
  }

  // candidate pyramid pages: every tiled page (main chain and SubIFDs) not excluded and not a mask
  const candidates: TiffPage[] = [];
  const errors: unknown[] = [];
  const all = allIfds(tiff.pages).filter((i) => !excluded.has(i) && (num(i, Tag.NewSubfileType, 0) & 4) === 0);
  for (const ifd of all) {
    if (!ifd.tags.has(Tag.TileWidth)) continue;
    try {
      candidates.push(describePage(path, ifd, src.size));
    } catch (err) {
      errors.push(err);
      if (ifd === first) throw err;
    }
  }
  if (candidates.length === 0) {
    // an untiled TIFF: the first page, read by strips, as a one-level slide
    if (errors.length) throw errors[0];
    candidates.push(describePage(path, first, src.size));
  }
  // level 0: the largest page (by area), preferring the main chain's full-resolution pages
  const base = [...candidates].sort((a, b) => b.width * b.height - a.width * a.height || a.ifd.page - b.ifd.page)[0]!;
  const pyramid: TiffPage[] = [];
  const ignored: string[] = [];
  for (const p of [...candidates].sort((a, b) => b.width - a.width || b.height - a.height || a.ifd.page - b.ifd.page)) {
    if (p.width > base.width || p.height > base.height || !sameAspect(base.width, base.height, p.width, p.height)) {
      ignored.push(`${p.ifd.name} (${p.width}x${p.height}: not a reduction of ${base.width}x${base.height})`);
      continue;
    }
    if (pyramid.some((q) => q.width === p.width && q.height === p.height)) {
      ignored.push(`${p.ifd.name} (${p.width}x${p.height}: same size as a level already found)`);
      continue;
    }
    pyramid.push(p);
  }
  if (pyramid[0] !== base) throw new FormatError(`${path}: could not identify the full-resolution page`, { path });

  // microns per pixel: the format's own metadata, then the TIFF resolution tags, else unknown
  let mpp: Mpp | undefined;
  let mppSource = 'unknown';
  const aperioMpp = aperio?.['MPP'] !== undefined ? Number(aperio['MPP']) : NaN;
  if (aperioMpp > 0 && Number.isFinite(aperioMpp)) {
    mpp = { x: aperioMpp, y: aperioMpp };
    mppSource = 'aperio MPP';
  } else if (isOme && desc0) {
    const ome = parseOmePhysicalSize(desc0);
    mpp = ome.mpp;
    mppSource = ome.mpp ? ome.note : 'unknown';
  }
  if (!mpp) {
    const r = mppFromResolution(base.ifd);
    mpp = r.mpp;
    mppSource = r.mpp ? r.note : r.note.startsWith('unknown') ? r.note : 'unknown';
  }

  const levels: TiffLevel[] = pyramid.map((page, index) => {
    const downsample = index === 0 ? 1 : (base.width / page.width + base.height / page.height) / 2;
    return {
      index,
      width: page.width,
      height: page.height,
      downsample,
      mpp: mpp ? { x: mpp.x * downsample, y: mpp.y * downsample } : undefined,
      tileWidth: page.tileWidth,
      tileHeight: page.tileHeight,
      page,
    };
  });

  const format = aperio ? 'aperio' : isOme ? 'ome-tiff' : 'generic-tiff';
  const properties: Record<string, string> = { ...tiffProperties(first) };
  if (desc0 !== undefined) properties['openslide.comment'] = desc0;
  properties['openslide.vendor'] = format;
  properties['openslide.level-count'] = String(levels.length);
  levels.forEach((l, i) => {
    properties[`openslide.level[${i}].width`] = String(l.width);
    properties[`openslide.level[${i}].height`] = String(l.height);
    properties[`openslide.level[${i}].downsample`] = formatDouble(l.downsample);
    properties[`openslide.level[${i}].tile-width`] = String(l.tileWidth);
    properties[`openslide.level[${i}].tile-height`] = String(l.tileHeight);
  });
  if (aperio) {
    for (const [k, v] of Object.entries(aperio)) properties[`aperio.${k}`] = v;
    if (aperio['AppMag'] !== undefined) properties['openslide.objective-power'] = aperio['AppMag'];
    if (aperio['MPP'] !== undefined) {
      properties['openslide.mpp-x'] = aperio['MPP'];
      properties['openslide.mpp-y'] = aperio['MPP'];
    }
  } else if (mpp) {
    properties['openslide.mpp-x'] = formatDouble(mpp.x);
    properties['openslide.mpp-y'] = formatDouble(mpp.y);
  }
  properties['blurmm.mpp-source'] = mppSource;
  if (tiff.bigTiff) properties['blurmm.bigtiff'] = 'true';
  if (ignored.length) properties['blurmm.ignored-pages'] = ignored.join('; ');

  return new TiffSlide({ format, src, levels, mpp, mppSource, properties, associated, cacheBytes, maxInFlight, jpegDecode, jpegBlock });
}
