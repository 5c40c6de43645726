/**
 * Pixel size of plain images from their own headers (PNG pHYs, JPEG JFIF/EXIF, TIFF
 * XResolution/ResolutionUnit), so that "no resolution recorded" can be told from a 72 dpi default.
 */

/** Random access to a file's bytes. */
export type ByteReader = (offset: number, length: number) => Promise<Uint8Array>;

/** What a header says about resolution. */
export interface ResolutionInfo {
  /** microns per pixel, when the header records a physical unit */
  readonly mpp?: { readonly x: number; readonly y: number };
  /** e.g. "png pHYs (px/m)", "jpeg JFIF density (dpi)", "tiff XResolution (cm)" */
  readonly source: string;
  /** raw header values in OpenSlide style ("png.pHYs.x", "tiff.XResolution", ...) */
  readonly properties: Record<string, string>;
}

const NONE: ResolutionInfo = { source: 'unknown (no resolution in the file)', properties: {} };

/** 72 dpi (2835 px/m) is what software writes when it knows nothing (libvips writes 1 px/mm): not a pixel size. */
function isDefault72(mppX: number, mppY: number): boolean {
  const m72 = 25400 / 72;
  return Math.abs(mppX / m72 - 1) < 0.005 && Math.abs(mppY / m72 - 1) < 0.005;
}

function finish(mppX: number, mppY: number, source: string, properties: Record<string, string>): ResolutionInfo {
  if (!(mppX > 0 && mppY > 0 && Number.isFinite(mppX) && Number.isFinite(mppY))) return { source: `unknown (${source} is zero or invalid)`, properties };
  if (isDefault72(mppX, mppY)) return { source: `unknown (${source} is the 72 dpi software default)`, properties };
  if (Math.abs(mppX / 1000 - 1) < 0.005 && Math.abs(mppY / 1000 - 1) < 0.005) return { source: `unknown (${source} is libvips' 1 px/mm default)`, properties };
  return { mpp: { x: mppX, y: mppY }, source, properties };
}

const u32be = (b: Uint8Array, o: number): number => ((b[o]! << 24) >>> 0) + (b[o + 1]! << 16) + (b[o + 2]! << 8) + b[o + 3]!;
const u16be = (b: Uint8Array, o: number): number => (b[o]! << 8) + b[o + 1]!;

/**
 * PNG: walks the chunks up to the first IDAT for pHYs (which must precede IDAT), then checks that
 * the file ends with an IEND chunk (a truncated file does not). Reports whether the file looks intact.
 */
export async function pngResolution(read: ByteReader, size: number): Promise<ResolutionInfo & { readonly intact: boolean; readonly problem?: string }> {
  let pos = 8;
  let info: ResolutionInfo = NONE;
  while (pos + 8 <= size) {
    const head = await read(pos, 8);
    const len = u32be(head, 0);
    const type = String.fromCharCode(head[4]!, head[5]!, head[6]!, head[7]!);
    if (pos + 12 + len > size) return { ...info, intact: false, problem: `chunk ${type} at byte ${pos} runs past the end of the file (${size} bytes): the file is truncated` };
    if (type === 'IDAT' || type === 'IEND') break;
    if (type === 'pHYs' && len >= 9) {
      const d = await read(pos + 8, 9);
      const px = u32be(d, 0);
      const py = u32be(d, 4);
      const unit = d[8]!;
      const props = { 'png.pHYs.x': String(px), 'png.pHYs.y': String(py), 'png.pHYs.unit': unit === 1 ? 'meter' : 'unknown' };
      info = unit === 1 ? finish(1e6 / px, 1e6 / py, 'png pHYs (px/m)', props) : { source: 'unknown (png pHYs without a unit: aspect ratio only)', properties: props };
    }
    pos += 12 + len;
  }
  const tail = size >= 20 ? await read(size - 12, 12) : new Uint8Array(0);
  const iend = tail.length === 12 && u32be(tail, 0) === 0 && String.fromCharCode(tail[4]!, tail[5]!, tail[6]!, tail[7]!) === 'IEND';
  if (!iend) return { ...info, intact: false, problem: `it does not end with an IEND chunk (${size} bytes): the file is truncated` };
  return { ...info, intact: true };
}

/** TIFF (classic or BigTIFF) IFD0 resolution tags; works on files and on EXIF blocks. */
export async function tiffResolution(read: ByteReader, size: number, prefix = 'tiff'): Promise<ResolutionInfo> {
  if (size < 16) return NONE;
  const h = await read(0, 16);
  const le = h[0] === 0x49;
  const dv = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const magic = dv.getUint16(2, le);
  const big = magic === 43;
  const ifd = big ? Number(dv.getBigUint64(8, le)) : dv.getUint32(4, le);
  if (ifd <= 0 || ifd + (big ? 8 : 2) > size) return NONE;
  const cntBytes = await read(ifd, big ? 8 : 2);
  const cdv = new DataView(cntBytes.buffer, cntBytes.byteOffset, cntBytes.byteLength);
  const count = Math.min(big ? Number(cdv.getBigUint64(0, le)) : cdv.getUint16(0, le), 4096);
  const entry = big ? 20 : 12;
  const base = ifd + (big ? 8 : 2);
  if (base + count * entry > size) return NONE;
  const e = await read(base, count * entry);
  const edv = new DataView(e.buffer, e.byteOffset, e.byteLength);
  let xr: number | undefined;
  let yr: number | undefined;
  let unit = 2; // TIFF default: inch
  const rational = async (i: number): Promise<number | undefined> => {
    const type = edv.getUint16(i + 2, le);
    if (type !== 5) return undefined;
    const off = big ? Number(edv.getBigUint64(i + 12, le)) : edv.getUint32(i + 8, le);
    if (big) {
      // an 8-byte RATIONAL fits in the BigTIFF entry itself
      const num = edv.getUint32(i + 12, le);
      const den = edv.getUint32(i + 16, le);
      return den ? num / den : undefined;
    }
    if (off + 8 > size) return undefined;
    const r = await read(off, 8);
    const rdv = new DataView(r.buffer, r.byteOffset, r.byteLength);
    const den = rdv.getUint32(4, le);
    return den ? rdv.getUint32(0, le) / den : undefined;
  };
  for (let k = 0; k < count; k++) {
    const i = k * entry;
    const tag = edv.getUint16(i, le);
    if (tag === 282) xr = await rational(i);
    else if (tag === 283) yr = await rational(i);
    else if (tag === 296) unit = edv.getUint16(i + (big ? 12 : 8), le);
  }
  if (xr === undefined) return NONE;
  yr ??= xr;
  const unitName = unit === 3 ? 'cm' : unit === 2 ? 'inch' : 'none';
  const props = { [`${prefix}.XResolution`]: String(xr), [`${prefix}.YResolution`]: String(yr), [`${prefix}.ResolutionUnit`]: unitName === 'cm' ? 'centimeter' : unitName };
  if (unitName === 'none') return { source: `unknown (${prefix} ResolutionUnit none)`, properties: props };
  const um = unitName === 'cm' ? 1e4 : 25400;
  return finish(um / xr, um / yr, `${prefix} XResolution (${unitName})`, props);
}

/** JPEG: JFIF APP0 density (dpi or dots/cm), else EXIF IFD0 resolution. Stops at SOS. */
export async function jpegResolution(read: ByteReader, size: number): Promise<ResolutionInfo> {
  let pos = 2;
  let jfif: ResolutionInfo | undefined;
  let exif: ResolutionInfo | undefined;
  while (pos + 4 <= size) {
    const m = await read(pos, 4);
    if (m[0] !== 0xff) break;
    const marker = m[1]!;
    if (marker === 0xff) {
      pos++;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) break;
    const len = u16be(m, 2);
    if (marker === 0xe0 && len >= 16) {
      const d = await read(pos + 4, 12);
      if (String.fromCharCode(...d.subarray(0, 5)) === 'JFIF\0') {
        const units = d[7]!;
        const xd = u16be(d, 8);
        const yd = u16be(d, 10);
        const props = { 'jfif.units': String(units), 'jfif.Xdensity': String(xd), 'jfif.Ydensity': String(yd) };
        if (units === 1) jfif = finish(25400 / xd, 25400 / yd, 'jpeg JFIF density (dpi)', props);
        else if (units === 2) jfif = finish(1e4 / xd, 1e4 / yd, 'jpeg JFIF density (dots/cm)', props);
        else jfif = { source: 'unknown (jpeg JFIF aspect ratio only)', properties: props };
      }
    } else if (marker === 0xe1 && len > 8 && !exif) {
      const d = await read(pos + 4, Math.min(len - 2, size - pos - 4));
      if (String.fromCharCode(...d.subarray(0, 6)) === 'Exif\0\0') {
        const t = d.subarray(6);
        exif = await tiffResolution(async (o, l) => t.subarray(o, o + l), t.length, 'exif');
      }
    }
    pos += 2 + len;
  }
  if (jfif?.mpp) return { ...jfif, properties: { ...exif?.properties, ...jfif.properties } };
  if (exif?.mpp) return { ...exif, properties: { ...jfif?.properties, ...exif.properties } };
  return jfif ?? exif ?? NONE;
}
