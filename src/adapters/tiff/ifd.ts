/**
 * A small TIFF / BigTIFF structure parser: header, IFD chain and SubIFDs, tag values.
 * Reads only structure (a few KiB per page), never pixels. Every error names the file and page.
 */
import { CorruptFileError, FormatError } from '../../core/errors.js';
import type { ByteSource } from '../shared/byte-source.js';
import { isTiffHead } from './opener.js';

/** TIFF tag numbers used by the reader. */
export const Tag = {
  NewSubfileType: 254,
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  Photometric: 262,
  DocumentName: 269,
  ImageDescription: 270,
  Make: 271,
  Model: 272,
  StripOffsets: 273,
  SamplesPerPixel: 277,
  RowsPerStrip: 278,
  StripByteCounts: 279,
  XResolution: 282,
  YResolution: 283,
  PlanarConfiguration: 284,
  ResolutionUnit: 296,
  Software: 305,
  DateTime: 306,
  Artist: 315,
  HostComputer: 316,
  Predictor: 317,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  SubIFDs: 330,
  ExtraSamples: 338,
  SampleFormat: 339,
  JPEGTables: 347,
  YCbCrSubSampling: 530,
  Copyright: 33432,
} as const;

/** One tag's decoded value: numbers (rationals as their quotient), a string, or raw bytes. */
export type TagValue = readonly number[] | string | Uint8Array;

/** One image file directory. */
export interface Ifd {
  /** file offset of the IFD */
  readonly offset: number;
  /** human-readable locator used in errors, e.g. "page 2" or "page 0 SubIFD 1" */
  readonly name: string;
  /** index in the main chain */
  readonly page: number;
  /** index among the parent's SubIFDs, undefined for main-chain pages */
  readonly subIfd: number | undefined;
  readonly tags: ReadonlyMap<number, TagValue>;
  /** SubIFDs of this page, in order */
  readonly children: readonly Ifd[];
}

export interface TiffStructure {
  readonly littleEndian: boolean;
  readonly bigTiff: boolean;
  readonly pages: readonly Ifd[];
}

const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8 };
const MAX_PAGES = 4096;
const MAX_VALUE_BYTES = 256 * 1024 * 1024;

class Reader {
  constructor(
    readonly src: ByteSource,
    readonly le: boolean,
    readonly big: boolean,
  ) {}

  get path(): string {
    return this.src.path;
  }

  async bytes(offset: number, length: number, where: string): Promise<DataView> {
    if (offset < 0 || offset + length > this.src.size) {
      throw new CorruptFileError(
        `${this.path} is truncated or damaged: ${where} needs bytes ${offset}..${offset + length} but the file has ${this.src.size} bytes. Re-copy or re-export the file.`,
        { path: this.path, location: where },
      );
    }
    const b = await this.src.read(offset, length);
    return new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  u64(v: DataView, at: number, where: string): number {
    const n = v.getBigUint64(at, this.le);
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new CorruptFileError(`${this.path}: ${where} holds the 64-bit offset/count ${n}, over 2^53, which no real file reaches; the file is damaged.`, {
        path: this.path,
        location: where,
      });
    }
    return Number(n);
  }
}

/** Parses the header and every IFD (main chain and SubIFDs, one level deep and recursively). */
export async function parseTiff(src: ByteSource): Promise<TiffStructure> {
  const path = src.path;
  if (src.size < 8) throw new CorruptFileError(`${path} is truncated: ${src.size} bytes, too short for a TIFF header. Re-copy the file.`, { path, location: 'header' });
  const head = await src.read(0, Math.min(16, src.size));
  if (!isTiffHead(head)) throw new FormatError(`${path} is not a TIFF file (no II*/MM* header).`, { path, location: 'header' });
  const le = head[0] === 0x49;
  const hv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const version = hv.getUint16(2, le);
  const big = version === 43;
  const r = new Reader(src, le, big);
  let first: number;
  if (big) {
    if (head.length < 16) throw new CorruptFileError(`${path} is truncated: too short for a BigTIFF header. Re-copy the file.`, { path, location: 'header' });
    if (hv.getUint16(4, le) !== 8) throw new CorruptFileError(`${path}: BigTIFF header declares offset size ${hv.getUint16(4, le)}, not 8; the file is damaged.`, { path, location: 'header' });
    first = r.u64(hv, 8, 'the header');
  } else {
    first = hv.getUint32(4, le);
  }
  const visited = new Set<number>();
  const pages: Ifd[] = [];
  let offset = first;
  while (offset !== 0) {
    if (pages.length >= MAX_PAGES) throw new CorruptFileError(`${path}: more than ${MAX_PAGES} pages in the IFD chain; the file is damaged.`, { path });
    const page = pages.length;
    const ifd = await readIfd(r, offset, `page ${page}`, page, undefined, visited, 0);
    pages.push(ifd.ifd);
    offset = ifd.next;
  }
  if (pages.length === 0) throw new CorruptFileError(`${path}: the TIFF has no image directory (first IFD offset 0).`, { path, location: 'header' });
  return { littleEndian: le, bigTiff: big, pages };
}

async function readIfd(
  r: Reader,
  offset: number,
  name: string,
  page: number,
  subIfd: number | undefined,
  visited: Set<number>,
  depth: number,
): Promise<{ ifd: Ifd; next: number }> {
  const path = r.path;
  if (visited.has(offset)) throw new CorruptFileError(`${path}: ${name} points back to an IFD already read (offset ${offset}), a loop; the file is damaged.`, { path, location: name });
  visited.add(offset);
  const countSize = r.big ? 8 : 2;
  const entrySize = r.big ? 20 : 12;
  const cv = await r.bytes(offset, countSize, `${name} (IFD at offset ${offset})`);
  const count = r.big ? r.u64(cv, 0, name) : cv.getUint16(0, r.le);
  if (count === 0 || count > 10000) throw new CorruptFileError(`${path}: ${name} declares ${count} tags; the file is damaged.`, { path, location: name });
  const block = await r.bytes(offset + countSize, count * entrySize + (r.big ? 8 : 4), `${name} (${count} tags)`);
  const tags = new Map<number, TagValue>();
  for (let i = 0; i < count; i++) {
    const at = i * entrySize;
    const tag = block.getUint16(at, r.le);
    const type = block.getUint16(at + 2, r.le);
    const n = r.big ? r.u64(block, at + 4, `${name} tag ${tag}`) : block.getUint32(at + 4, r.le);
    const size = TYPE_SIZE[type];
    if (size === undefined) continue; // unknown type: skip, as libtiff does
    const total = size * n;
    if (total > MAX_VALUE_BYTES) throw new CorruptFileError(`${path}: ${name} tag ${tag} declares ${n} values (${total} bytes); the file is damaged.`, { path, location: `${name} tag ${tag}` });
    const inline = r.big ? 8 : 4;
    let view: DataView;
    if (total <= inline) {
      view = new DataView(block.buffer, block.byteOffset + at + (r.big ? 12 : 8), inline);
    } else {
      const vo = r.big ? r.u64(block, at + 12, `${name} tag ${tag}`) : block.getUint32(at + 8, r.le);
      view = await r.bytes(vo, total, `${name} tag ${tag} (${n} values)`);
    }
    tags.set(tag, decodeValue(r, view, type, n, `${name} tag ${tag}`));
  }
  const next = r.big ? r.u64(block, count * entrySize, `${name} next-IFD offset`) : block.getUint32(count * entrySize, r.le);
  const children: Ifd[] = [];
  const sub = tags.get(Tag.SubIFDs);
  if (Array.isArray(sub) && depth < 2) {
    for (let k = 0; k < sub.length; k++) {
      const so = sub[k]!;
      const child = await readIfd(r, so, `${name} SubIFD ${k}`, page, k, visited, depth + 1);
      children.push(child.ifd);
    }
  }
  return { ifd: { offset, name, page, subIfd, tags, children }, next };
}

function decodeValue(r: Reader, v: DataView, type: number, n: number, where: string): TagValue {
  const le = r.le;
  switch (type) {
    case 2: {
      let end = n;
      while (end > 0 && v.getUint8(end - 1) === 0) end--;
      return new TextDecoder('latin1').decode(new Uint8Array(v.buffer, v.byteOffset, end));
    }
    case 7:
      return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + n));
    default: {
      const out = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        switch (type) {
          case 1: out[i] = v.getUint8(i); break;
          case 6: out[i] = v.getInt8(i); break;
          case 3: out[i] = v.getUint16(i * 2, le); break;
          case 8: out[i] = v.getInt16(i * 2, le); break;
          case 4: case 13: out[i] = v.getUint32(i * 4, le); break;
          case 9: out[i] = v.getInt32(i * 4, le); break;
          case 5: out[i] = v.getUint32(i * 8, le) / v.getUint32(i * 8 + 4, le); break;
          case 10: out[i] = v.getInt32(i * 8, le) / v.getInt32(i * 8 + 4, le); break;
          case 11: out[i] = v.getFloat32(i * 4, le); break;
          case 12: out[i] = v.getFloat64(i * 8, le); break;
          case 16: case 18: out[i] = r.u64(v, i * 8, where); break;
          case 17: out[i] = Number(v.getBigInt64(i * 8, le)); break;
        }
      }
      return out;
    }
  }
}

/** First numeric value of a tag, or `fallback`. */
export function num(ifd: Ifd, tag: number, fallback: number): number;
export function num(ifd: Ifd, tag: number): number | undefined;
export function num(ifd: Ifd, tag: number, fallback?: number): number | undefined {
  const v = ifd.tags.get(tag);
  return Array.isArray(v) && v.length > 0 ? (v[0] as number) : fallback;
}

/** All numeric values of a tag, or undefined. */
export function nums(ifd: Ifd, tag: number): readonly number[] | undefined {
  const v = ifd.tags.get(tag);
  return Array.isArray(v) ? v : undefined;
}

/** A string tag, or undefined. */
export function str(ifd: Ifd, tag: number): string | undefined {
  const v = ifd.tags.get(tag);
  return typeof v === 'string' ? v : undefined;
}

/** A byte tag (UNDEFINED or BYTE), or undefined. */
export function bytesOf(ifd: Ifd, tag: number): Uint8Array | undefined {
  const v = ifd.tags.get(tag);
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return Uint8Array.from(v);
  return undefined;
}
