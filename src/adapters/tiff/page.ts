/**
 * One TIFF page as the reader sees it: geometry, tile (or strip) table and pixel format,
 * validated once at open time so that tile reads only look things up.
 */
import { CorruptFileError, UnsupportedError } from '../../core/errors.js';
import { Tag, bytesOf, num, nums, type Ifd } from './ifd.js';

export const COMPRESSION_NAMES: Record<number, string> = {
  1: 'none',
  5: 'LZW',
  6: 'old-style JPEG',
  7: 'JPEG',
  8: 'deflate',
  32946: 'deflate (PKZIP)',
  33003: 'JPEG 2000 (Aperio YCbCr)',
  33005: 'JPEG 2000 (Aperio RGB)',
  34712: 'JPEG 2000',
  50001: 'WebP',
  50000: 'Zstandard',
  34887: 'LERC',
};
const SUPPORTED_COMPRESSION = new Set([1, 5, 7, 8, 32946]);
const PHOTOMETRIC_NAMES: Record<number, string> = { 0: 'MinIsWhite', 1: 'MinIsBlack', 2: 'RGB', 3: 'Palette', 4: 'TransparencyMask', 5: 'Separated (CMYK)', 6: 'YCbCr', 8: 'CIELab' };

export interface TiffPage {
  readonly ifd: Ifd;
  readonly path: string;
  readonly width: number;
  readonly height: number;
  /** tiled page (false: strips, seen as tiles of width x rowsPerStrip) */
  readonly tiled: boolean;
  readonly tileWidth: number;
  readonly tileHeight: number;
  readonly tilesAcross: number;
  readonly tilesDown: number;
  readonly offsets: readonly number[];
  readonly byteCounts: readonly number[];
  readonly compression: number;
  readonly photometric: number;
  readonly samples: number;
  readonly predictor: number;
  readonly jpegTables: Uint8Array | undefined;
  readonly newSubfileType: number;
}

/** Reads and checks a page's layout; a typed error names the file, page and field otherwise. */
export function describePage(path: string, ifd: Ifd, fileSize: number): TiffPage {
  const where = ifd.name;
  const fail = (msg: string): never => {
    throw new CorruptFileError(`${path}, ${where}: ${msg}`, { path, location: where });
  };
  const unsupported = (msg: string): never => {
    throw new UnsupportedError(`${path}, ${where}: ${msg}`, { path, location: where });
  };
  const width = num(ifd, Tag.ImageWidth) ?? fail('no ImageWidth tag');
  const height = num(ifd, Tag.ImageLength) ?? fail('no ImageLength tag');
  if (!(width > 0 && height > 0 && width <= 1 << 24 && height <= 1 << 24)) fail(`implausible size ${width}x${height}`);
  const compression = num(ifd, Tag.Compression, 1);
  const photometric = num(ifd, Tag.Photometric, compression === 7 ? 6 : 2);
  const samples = num(ifd, Tag.SamplesPerPixel, 1);
  const bits = nums(ifd, Tag.BitsPerSample) ?? [1];
  const planar = num(ifd, Tag.PlanarConfiguration, 1);
  const predictor = num(ifd, Tag.Predictor, 1);
  const sampleFormat = num(ifd, Tag.SampleFormat, 1);
  if (!SUPPORTED_COMPRESSION.has(compression)) {
    unsupported(`compression ${compression} (${COMPRESSION_NAMES[compression] ?? 'unknown'}) is not supported; blurmm reads JPEG, deflate, LZW and uncompressed tiles. Convert the file, e.g. \`vips tiffsave in out.tif --tile --pyramid --compression jpeg\`.`);
  }
  if (bits.some((b) => b !== 8)) unsupported(`BitsPerSample ${bits.join(',')} is not supported (8-bit samples only).`);
  if (sampleFormat !== 1) unsupported(`SampleFormat ${sampleFormat} is not supported (unsigned integer samples only).`);
  if (planar !== 1 && samples > 1) unsupported('PlanarConfiguration 2 (separate planes) is not supported.');
  if (predictor !== 1 && predictor !== 2) unsupported(`Predictor ${predictor} is not supported (1 none, 2 horizontal).`);
  const photoOk =
    (photometric === 2 && (samples === 3 || samples === 4)) ||
    ((photometric === 0 || photometric === 1) && (samples === 1 || samples === 2)) ||
    (photometric === 6 && samples === 3 && compression === 7);
  if (!photoOk) {
    unsupported(`PhotometricInterpretation ${photometric} (${PHOTOMETRIC_NAMES[photometric] ?? 'unknown'}) with ${samples} samples and compression ${compression} is not supported; RGB(A), grey and JPEG YCbCr are.`);
  }
  const tiledW = num(ifd, Tag.TileWidth);
  const tiledH = num(ifd, Tag.TileLength);
  const tiled = tiledW !== undefined && tiledH !== undefined;
  let tileWidth: number;
  let tileHeight: number;
  let offsets: readonly number[];
  let byteCounts: readonly number[];
  if (tiled) {
    tileWidth = tiledW;
    tileHeight = tiledH;
    if (!(tileWidth > 0 && tileHeight > 0 && tileWidth <= 65536 && tileHeight <= 65536)) fail(`implausible tile size ${tileWidth}x${tileHeight}`);
    offsets = nums(ifd, Tag.TileOffsets) ?? fail('a tiled page without TileOffsets');
    byteCounts = nums(ifd, Tag.TileByteCounts) ?? fail('a tiled page without TileByteCounts');
  } else {
    tileWidth = width;
    tileHeight = Math.min(num(ifd, Tag.RowsPerStrip, height), height);
    if (!(tileHeight > 0)) fail(`RowsPerStrip ${tileHeight}`);
    offsets = nums(ifd, Tag.StripOffsets) ?? fail('neither tiles nor StripOffsets');
    byteCounts = nums(ifd, Tag.StripByteCounts) ?? fail('no StripByteCounts');
  }
  const tilesAcross = Math.ceil(width / tileWidth);
  const tilesDown = Math.ceil(height / tileHeight);
  const expected = tilesAcross * tilesDown;
  if (offsets.length < expected || byteCounts.length < expected) {
    fail(`${expected} ${tiled ? 'tiles' : 'strips'} expected for ${width}x${height} in ${tileWidth}x${tileHeight}, but the offset/byte-count tables hold ${offsets.length}/${byteCounts.length}; the file is damaged.`);
  }
  // Byte ranges past the end are reported per tile at read time, so a damaged tile does not
  // make the whole slide unreadable; here only count them for information.
  void fileSize;
  return {
    ifd,
    path,
    width,
    height,
    tiled,
    tileWidth,
    tileHeight,
    tilesAcross,
    tilesDown,
    offsets,
    byteCounts,
    compression,
    photometric,
    samples,
    predictor,
    jpegTables: bytesOf(ifd, Tag.JPEGTables),
    newSubfileType: num(ifd, Tag.NewSubfileType, 0),
  };
}
