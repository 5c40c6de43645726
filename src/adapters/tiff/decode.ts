/**
 * Decoding of one TIFF tile or strip to interleaved 8-bit pixels: JPEG through libjpeg-turbo
 * (sharp), deflate through node:zlib, LZW and uncompressed in JavaScript, with the horizontal
 * predictor. Errors are DecodeErrors naming the file, page and tile.
 */
import { inflate } from 'node:zlib';
import { promisify } from 'node:util';
import { DecodeError } from '../../core/errors.js';
import type { RgbImage } from '../../core/types.js';
import { spliceJpegTables } from '../codecs/jpeg.js';
import { decodeLzw } from './lzw.js';
import { loadSharp } from '../codecs/sharp.js';
import type { TiffPage } from './page.js';

const inflateAsync = promisify(inflate);

/** "file, page 0, tile (3, 4)" */
export function tileLocation(page: TiffPage, col: number, row: number): string {
  return page.tiled ? `${page.ifd.name}, tile (${col}, ${row})` : `${page.ifd.name}, strip ${row}`;
}

interface JpegMarkers {
  readonly jfif: boolean;
  readonly adobe: boolean;
  /** component ids of the frame header, empty when no SOF was found */
  readonly ids: readonly number[];
}

/** Scans the marker segments of a JPEG stream up to its first SOS. */
export function scanJpegMarkers(b: Uint8Array): JpegMarkers {
  let jfif = false;
  let adobe = false;
  let ids: number[] = [];
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) break;
    const m = b[i + 1]!;
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      i += 2;
      continue;
    }
    if (m === 0xda || m === 0xd9) break;
    const len = (b[i + 2]! << 8) | b[i + 3]!;
    if (m === 0xe0 && b[i + 4] === 0x4a && b[i + 5] === 0x46 && b[i + 6] === 0x49 && b[i + 7] === 0x46) jfif = true;
    if (m === 0xee && b[i + 4] === 0x41 && b[i + 5] === 0x64 && b[i + 6] === 0x6f && b[i + 7] === 0x62 && b[i + 8] === 0x65) adobe = true;
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      const n = b[i + 9] ?? 0;
      ids = [];
      for (let k = 0; k < n; k++) ids.push(b[i + 10 + k * 3] ?? 0);
    }
    i += 2 + len;
  }
  return { jfif, adobe, ids };
}

const ADOBE_RGB = Uint8Array.from([0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00]);

/**
 * Makes a TIFF JPEG tile a complete stream libjpeg decodes as the TIFF says: splices the
 * JPEGTables in, and for PhotometricInterpretation RGB whose stream would otherwise be taken
 * for YCbCr (no Adobe marker, ids not 'R','G','B'), inserts an Adobe APP14 marker with
 * transform 0 so no colour conversion is applied (libtiff decodes such tiles as RGB too).
 */
export function prepareJpegTile(page: TiffPage, raw: Uint8Array): Uint8Array {
  let bytes = page.jpegTables && page.jpegTables.length >= 4 ? spliceJpegTables(page.jpegTables, raw) : raw;
  if (page.photometric === 2 && page.samples === 3) {
    const m = scanJpegMarkers(bytes);
    const rgbIds = m.ids.length === 3 && m.ids[0] === 0x52 && m.ids[1] === 0x47 && m.ids[2] === 0x42;
    if (!m.adobe && !m.jfif && !rgbIds) {
      const out = new Uint8Array(bytes.length + ADOBE_RGB.length);
      out.set(bytes.subarray(0, 2), 0);
      out.set(ADOBE_RGB, 2);
      out.set(bytes.subarray(2), 2 + ADOBE_RGB.length);
      bytes = out;
    }
  }
  return bytes;
}

function toRgb(data: Uint8Array, width: number, height: number, channels: number): RgbImage {
  if (channels === 3 || channels === 4) return { data, width, height, channels };
  const n = width * height;
  const out = new Uint8Array(n * 3);
  if (channels === 1) {
    for (let i = 0, o = 0; i < n; i++, o += 3) out[o] = out[o + 1] = out[o + 2] = data[i]!;
  } else {
    // grey + alpha: drop alpha
    for (let i = 0, o = 0; i < n; i++, o += 3) out[o] = out[o + 1] = out[o + 2] = data[i * 2]!;
  }
  return { data: out, width, height, channels: 3 };
}

/** Decodes a complete JPEG stream with libjpeg-turbo through sharp. */
export async function decodeJpegStream(bytes: Uint8Array, where: string, path: string): Promise<RgbImage> {
  const sharp = await loadSharp();
  try {
    const { data, info } = await sharp(bytes, { failOn: 'error' }).raw().toBuffer({ resolveWithObject: true });
    return toRgb(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info.width, info.height, info.channels);
  } catch (cause) {
    throw new DecodeError(`Could not decode the JPEG data of ${path}, ${where}: ${(cause as Error).message}. The tile is damaged; other tiles can still be read.`, {
      cause,
      path,
      location: where,
    });
  }
}

/** Decodes the raw bytes of tile (col, row) (strip `row` for strip pages) of `page`. */
export async function decodeTile(page: TiffPage, raw: Uint8Array, col: number, row: number): Promise<RgbImage> {
  const where = tileLocation(page, col, row);
  const path = page.path;
  const w = page.tileWidth;
  // the last strip may be short
  const h = page.tiled ? page.tileHeight : Math.min(page.tileHeight, page.height - row * page.tileHeight);
  if (page.compression === 7) {
    const img = await decodeJpegStream(prepareJpegTile(page, raw), where, path);
    if (img.width < Math.min(w, page.width - col * w) || img.height < Math.min(h, page.height - row * page.tileHeight)) {
      throw new DecodeError(`${path}, ${where}: the JPEG decoded to ${img.width}x${img.height}, smaller than the ${w}x${h} tile; the tile is damaged.`, { path, location: where });
    }
    return img;
  }
  const spp = page.samples;
  const expected = w * h * spp;
  let data: Uint8Array;
  try {
    if (page.compression === 1) {
      if (raw.length < expected) throw new Error(`${raw.length} bytes, ${expected} expected`);
      data = raw.length === expected ? raw : raw.subarray(0, expected);
    } else if (page.compression === 8 || page.compression === 32946) {
      const buf = await inflateAsync(raw);
      if (buf.length < expected) throw new Error(`inflated to ${buf.length} bytes, ${expected} expected`);
      data = new Uint8Array(buf.buffer, buf.byteOffset, expected);
    } else {
      data = decodeLzw(raw, expected);
    }
  } catch (cause) {
    throw new DecodeError(`Could not decode ${path}, ${where} (${page.compression === 5 ? 'LZW' : page.compression === 1 ? 'uncompressed' : 'deflate'}): ${(cause as Error).message}. The tile is damaged; other tiles can still be read.`, {
      cause,
      path,
      location: where,
    });
  }
  if (page.predictor === 2) undoHorizontalPredictor(data, w, h, spp);
  if (page.photometric === 0) for (let i = 0; i < data.length; i++) data[i] = 255 - data[i]!;
  return toRgb(data, w, h, spp);
}

/** Undoes TIFF predictor 2 (horizontal differencing) on 8-bit samples, in place. */
export function undoHorizontalPredictor(data: Uint8Array, width: number, height: number, spp: number): void {
  const stride = width * spp;
  if (spp === 3) {
    for (let y = 0; y < height; y++) {
      const end = (y + 1) * stride;
      let i = y * stride;
      let r = data[i]!;
      let g = data[i + 1]!;
      let b = data[i + 2]!;
      for (i += 3; i < end; i += 3) {
        r = (r + data[i]!) & 255;
        g = (g + data[i + 1]!) & 255;
        b = (b + data[i + 2]!) & 255;
        data[i] = r;
        data[i + 1] = g;
        data[i + 2] = b;
      }
    }
    return;
  }
  for (let y = 0; y < height; y++) {
    const base = y * stride;
    for (let i = spp; i < stride; i++) data[base + i] = data[base + i]! + data[base + i - spp]!; // Uint8Array stores mod 256
  }
}
