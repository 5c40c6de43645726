import { DecodeError } from '../../core/errors.js';
import type { RgbImage } from '../../core/types.js';
import { loadSharp } from './sharp.js';

/**
 * Joins a TIFF JPEGTables stream (SOI, tables, EOI) and an abbreviated tile stream (SOI ... EOI)
 * into one complete JPEG: SOI + tables + tile without its SOI.
 */
export function spliceJpegTables(tables: Uint8Array, tile: Uint8Array): Uint8Array {
  if (tables.length < 4) return tile;
  const tablesBody = tables.subarray(2, tables[tables.length - 2] === 0xff && tables[tables.length - 1] === 0xd9 ? tables.length - 2 : tables.length);
  const out = new Uint8Array(2 + tablesBody.length + tile.length - 2);
  out[0] = 0xff;
  out[1] = 0xd8;
  out.set(tablesBody, 2);
  out.set(tile.subarray(2), 2 + tablesBody.length);
  return out;
}

/**
 * Decodes one complete JPEG stream to interleaved 8-bit RGB with libjpeg-turbo (through sharp).
 * `where` names the file/tile in errors.
 */
export async function decodeJpeg(bytes: Uint8Array, where: string): Promise<RgbImage> {
  const sharp = await loadSharp();
  try {
    const { data, info } = await sharp(bytes, { failOn: 'error' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      channels: 3,
    };
  } catch (cause) {
    throw new DecodeError(`Could not decode the JPEG data of ${where}: ${(cause as Error).message}`, { cause, location: where });
  }
}
