/**
 * Many JPEG tiles per native call: the tiles a region touches are wrapped, as they are (no
 * re-encoding), in a small in-memory TIFF (one IFD, the page's JPEGTables, photometric and
 * subsampling) and decoded and cropped by libvips/libtiff/libjpeg-turbo in one sharp call.
 * This avoids sharp's per-call cost on every 256 px tile; bench/tiff.bench.ts measures it.
 * libtiff decodes JPEG tiles of RGB pages without colour conversion and those of YCbCr pages
 * with it, exactly as OpenSlide (also libtiff) does.
 */
import type { RgbImage } from '../../core/types.js';
import { Tag, nums } from './ifd.js';
import type { TiffPage } from './page.js';
import { loadSharp } from '../codecs/sharp.js';

/** True when the page's tiles can go through {@link decodeJpegBlock}. */
export function canDecodeAsBlock(page: TiffPage): boolean {
  return page.tiled && page.compression === 7 && page.samples === 3 && (page.photometric === 2 || page.photometric === 6);
}

interface Entry {
  tag: number;
  type: 3 | 4 | 7;
  values: readonly number[] | Uint8Array;
}

/** Builds a little-endian classic TIFF holding `tiles` (row-major, `across` x `down`) of `page`. */
export function buildTileBlockTiff(page: TiffPage, tiles: readonly Uint8Array[], across: number, down: number): Uint8Array {
  const tw = page.tileWidth;
  const th = page.tileHeight;
  const entries: Entry[] = [
    { tag: Tag.ImageWidth, type: 4, values: [across * tw] },
    { tag: Tag.ImageLength, type: 4, values: [down * th] },
    { tag: Tag.BitsPerSample, type: 3, values: [8, 8, 8] },
    { tag: Tag.Compression, type: 3, values: [7] },
    { tag: Tag.Photometric, type: 3, values: [page.photometric] },
    { tag: Tag.SamplesPerPixel, type: 3, values: [3] },
    { tag: Tag.PlanarConfiguration, type: 3, values: [1] },
    { tag: Tag.TileWidth, type: 4, values: [tw] },
    { tag: Tag.TileLength, type: 4, values: [th] },
    { tag: Tag.TileOffsets, type: 4, values: new Array<number>(tiles.length).fill(0) },
    { tag: Tag.TileByteCounts, type: 4, values: tiles.map((t) => t.length) },
  ];
  if (page.jpegTables && page.jpegTables.length > 0) entries.push({ tag: Tag.JPEGTables, type: 7, values: page.jpegTables });
  if (page.photometric === 6) entries.push({ tag: Tag.YCbCrSubSampling, type: 3, values: nums(page.ifd, Tag.YCbCrSubSampling) ?? [2, 2] });
  const size = (e: Entry): number => (e.type === 3 ? 2 : e.type === 4 ? 4 : 1) * e.values.length;
  const ifdBytes = 2 + entries.length * 12 + 4;
  let extra = 8 + ifdBytes;
  const extraAt = new Map<Entry, number>();
  for (const e of entries) {
    if (size(e) > 4) {
      extraAt.set(e, extra);
      extra += size(e) + (size(e) & 1);
    }
  }
  let dataAt = extra;
  const offsets = entries.find((e) => e.tag === Tag.TileOffsets)!.values as number[];
  for (let i = 0; i < tiles.length; i++) {
    offsets[i] = dataAt;
    dataAt += tiles[i]!.length;
  }
  const out = new Uint8Array(dataAt);
  const v = new DataView(out.buffer);
  out[0] = 0x49;
  out[1] = 0x49;
  v.setUint16(2, 42, true);
  v.setUint32(4, 8, true);
  v.setUint16(8, entries.length, true);
  const put = (at: number, e: Entry): void => {
    const vals = e.values;
    for (let i = 0; i < vals.length; i++) {
      if (e.type === 3) v.setUint16(at + i * 2, vals[i]!, true);
      else if (e.type === 4) v.setUint32(at + i * 4, vals[i]!, true);
      else out[at + i] = vals[i]!;
    }
  };
  entries.forEach((e, k) => {
    const at = 10 + k * 12;
    v.setUint16(at, e.tag, true);
    v.setUint16(at + 2, e.type, true);
    v.setUint32(at + 4, e.values.length, true);
    const where = extraAt.get(e);
    if (where === undefined) put(at + 8, e);
    else {
      v.setUint32(at + 8, where, true);
      put(where, e);
    }
  });
  v.setUint32(10 + entries.length * 12, 0, true);
  for (let i = 0; i < tiles.length; i++) out.set(tiles[i]!, offsets[i]!);
  return out;
}

/**
 * Decodes a block of `across` x `down` JPEG tiles of `page` in one sharp call and returns the
 * crop `left, top, width, height` (pixels of the block). Throws sharp's error on bad data: the
 * caller falls back to tile-by-tile decoding to say which tile is damaged.
 */
export async function decodeJpegBlock(
  page: TiffPage,
  tiles: readonly Uint8Array[],
  across: number,
  down: number,
  crop: { left: number; top: number; width: number; height: number },
): Promise<RgbImage> {
  const sharp = await loadSharp();
  const tiff = buildTileBlockTiff(page, tiles, across, down);
  const { data, info } = await sharp(tiff, { failOn: 'error' }).extract(crop).raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`libvips returned ${info.channels} channels`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 };
}
