/**
 * A lazy DICOM Part 10 header parser: reads the file meta group and the dataset up to the
 * Pixel Data element, and records where the pixel data starts. Pixel data is never read here.
 */
import { CorruptFileError, FormatError, UnsupportedError } from '../../core/errors.js';
import type { ByteSource } from '../shared/byte-source.js';
import { TAG, type DicomJsonDataset, type DicomJsonElement } from './dataset.js';

export const TS = {
  implicitLE: '1.2.840.10008.1.2',
  explicitLE: '1.2.840.10008.1.2.1',
  deflatedLE: '1.2.840.10008.1.2.1.99',
  explicitBE: '1.2.840.10008.1.2.2',
} as const;

/** Where the pixel data of an instance is. */
export interface PixelDataLocation {
  /** file offset of the first byte after the Pixel Data element header */
  readonly offset: number;
  /** true for encapsulated (compressed) pixel data: items follow, the first is the Basic Offset Table */
  readonly encapsulated: boolean;
  /** value length for native pixel data */
  readonly length: number | undefined;
}

export interface Part10Header {
  readonly transferSyntax: string;
  readonly dataset: DicomJsonDataset;
  readonly pixelData: PixelDataLocation | undefined;
  /** raw Extended Offset Table and its lengths (uint64 LE each), when present */
  readonly extendedOffsetTable: Uint8Array | undefined;
  readonly extendedOffsetTableLengths: Uint8Array | undefined;
}

/** True when `head` has the DICM magic at byte 128. */
export function hasDicmMagic(head: Uint8Array | undefined): boolean {
  return !!head && head.length >= 132 && head[128] === 0x44 && head[129] === 0x49 && head[130] === 0x43 && head[131] === 0x4d;
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const STRING_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT']);
const UNSPLIT_VRS = new Set(['LT', 'ST', 'UT', 'UR']);
const UNDEFINED = 0xffffffff;

/** VRs for implicit-VR files: the tags the WSI reader looks at. Others are kept as UN. */
const IMPLICIT_VR: Record<string, string> = {
  [TAG.ImageType]: 'CS', [TAG.SOPClassUID]: 'UI', [TAG.SOPInstanceUID]: 'UI', [TAG.Modality]: 'CS', [TAG.Manufacturer]: 'LO',
  [TAG.StudyDate]: 'DA', [TAG.AccessionNumber]: 'SH', [TAG.SeriesDescription]: 'LO', [TAG.ManufacturerModelName]: 'LO',
  [TAG.PatientID]: 'LO', [TAG.DeviceSerialNumber]: 'LO', [TAG.SoftwareVersions]: 'LO', [TAG.StudyInstanceUID]: 'UI',
  [TAG.SeriesInstanceUID]: 'UI', [TAG.InstanceNumber]: 'IS', [TAG.ConcatenationFrameOffsetNumber]: 'UL', [TAG.ConcatenationUID]: 'UI',
  [TAG.InConcatenationNumber]: 'US', [TAG.DimensionOrganizationType]: 'CS', [TAG.SamplesPerPixel]: 'US',
  [TAG.PhotometricInterpretation]: 'CS', [TAG.PlanarConfiguration]: 'US', [TAG.NumberOfFrames]: 'IS', [TAG.Rows]: 'US',
  [TAG.Columns]: 'US', [TAG.PixelSpacing]: 'DS', [TAG.BitsAllocated]: 'US', [TAG.BitsStored]: 'US', [TAG.PixelRepresentation]: 'US',
  [TAG.LossyImageCompression]: 'CS', [TAG.PixelMeasuresSequence]: 'SQ', [TAG.ZOffsetInSlideCoordinateSystem]: 'DS',
  [TAG.ContainerIdentifier]: 'LO', [TAG.ImagedVolumeWidth]: 'FL', [TAG.ImagedVolumeHeight]: 'FL', [TAG.TotalPixelMatrixColumns]: 'UL',
  [TAG.TotalPixelMatrixRows]: 'UL', [TAG.OpticalPathIdentifier]: 'SH', [TAG.OpticalPathIdentificationSequence]: 'SQ',
  [TAG.PlanePositionSlideSequence]: 'SQ', [TAG.ColumnPositionInTotalImagePixelMatrix]: 'SL', [TAG.RowPositionInTotalImagePixelMatrix]: 'SL',
  [TAG.NumberOfOpticalPaths]: 'UL', [TAG.TotalPixelMatrixFocalPlanes]: 'UL', [TAG.SharedFunctionalGroupsSequence]: 'SQ',
  [TAG.PerFrameFunctionalGroupsSequence]: 'SQ', '00209111': 'SQ', '00209157': 'UL', '00089206': 'CS',
  '00400560': 'SQ', '00480105': 'SQ', '00209071': 'SQ',
  [TAG.ExtendedOffsetTable]: 'OV', [TAG.ExtendedOffsetTableLengths]: 'OV', [TAG.PixelData]: 'OB',
};

/** thrown inside the synchronous parser when the buffer is too short; the caller reads more */
class NeedMore {
  constructor(readonly upTo: number) {}
}

const latin1 = new TextDecoder('latin1');

interface ParseState {
  readonly buf: Uint8Array;
  readonly view: DataView;
  /** total file size: reading past it is truncation, past buf only means "read more" */
  readonly fileSize: number;
  readonly path: string;
  explicit: boolean;
  pixelData: PixelDataLocation | undefined;
  eot: Uint8Array | undefined;
  eotLengths: Uint8Array | undefined;
}

function need(s: ParseState, pos: number, n: number): void {
  if (pos + n <= s.buf.length) return;
  if (pos + n > s.fileSize) {
    throw new CorruptFileError(
      `DICOM file ${s.path} is truncated: its header needs ${pos + n} bytes but the file has ${s.fileSize}. Re-export or re-download the file.`,
      { path: s.path, data: { needed: pos + n, size: s.fileSize } },
    );
  }
  throw new NeedMore(pos + n);
}

function tagAt(s: ParseState, pos: number): string {
  const g = s.view.getUint16(pos, true);
  const e = s.view.getUint16(pos + 2, true);
  return (g.toString(16).padStart(4, '0') + e.toString(16).padStart(4, '0')).toUpperCase();
}

function decodeValue(s: ParseState, vr: string, pos: number, len: number): unknown[] | undefined {
  const { view } = s;
  if (STRING_VRS.has(vr)) {
    const text = latin1.decode(s.buf.subarray(pos, pos + len)).replace(/[\0 ]+$/, '');
    if (text === '') return undefined;
    const parts = UNSPLIT_VRS.has(vr) ? [text] : text.split('\\').map((p) => p.trim());
    if (vr === 'DS' || vr === 'IS') return parts.map((p) => (p === '' ? null : Number(p)));
    if (vr === 'PN') return parts.map((p) => ({ Alphabetic: p }));
    return parts;
  }
  const out: unknown[] = [];
  switch (vr) {
    case 'US': for (let i = 0; i + 2 <= len; i += 2) out.push(view.getUint16(pos + i, true)); break;
    case 'SS': for (let i = 0; i + 2 <= len; i += 2) out.push(view.getInt16(pos + i, true)); break;
    case 'UL': for (let i = 0; i + 4 <= len; i += 4) out.push(view.getUint32(pos + i, true)); break;
    case 'SL': for (let i = 0; i + 4 <= len; i += 4) out.push(view.getInt32(pos + i, true)); break;
    case 'FL': for (let i = 0; i + 4 <= len; i += 4) out.push(view.getFloat32(pos + i, true)); break;
    case 'FD': for (let i = 0; i + 8 <= len; i += 8) out.push(view.getFloat64(pos + i, true)); break;
    case 'SV': for (let i = 0; i + 8 <= len; i += 8) out.push(Number(view.getBigInt64(pos + i, true))); break;
    case 'UV': for (let i = 0; i + 8 <= len; i += 8) out.push(Number(view.getBigUint64(pos + i, true))); break;
    case 'AT': for (let i = 0; i + 4 <= len; i += 4) out.push(tagAt(s, pos + i)); break;
    default: return undefined; // binary (OB, OW, UN, ...): not needed by the reader
  }
  return out.length ? out : undefined;
}

/**
 * Parses elements from `pos` until `end` (exclusive; undefined = until an item delimiter or, at the
 * top level, the Pixel Data element). Returns the dataset and the position after it.
 */
function parseDataset(s: ParseState, pos: number, end: number | undefined, topLevel: boolean): [Record<string, DicomJsonElement>, number] {
  const ds: Record<string, DicomJsonElement> = {};
  while (end === undefined || pos < end) {
    if (topLevel && pos >= s.fileSize) break;
    need(s, pos, 8);
    const tag = tagAt(s, pos);
    if (tag === 'FFFEE00D') return [ds, pos + 8]; // item delimiter
    if (tag === 'FFFEE0DD') return [ds, pos + 8]; // stray sequence delimiter: be lenient
    let vr: string;
    let len: number;
    let p: number;
    if (s.explicit) {
      vr = String.fromCharCode(s.buf[pos + 4]!, s.buf[pos + 5]!);
      if (LONG_VRS.has(vr)) {
        need(s, pos, 12);
        len = s.view.getUint32(pos + 8, true);
        p = pos + 12;
      } else if (/^[A-Z]{2}$/.test(vr)) {
        len = s.view.getUint16(pos + 6, true);
        p = pos + 8;
      } else {
        throw new CorruptFileError(`DICOM file ${s.path} has an invalid VR at byte ${pos} (tag ${tag}); the file is damaged.`, { path: s.path, location: `byte ${pos}` });
      }
    } else {
      vr = IMPLICIT_VR[tag] ?? 'UN';
      len = s.view.getUint32(pos + 4, true);
      p = pos + 8;
    }
    if (topLevel && tag === TAG.PixelData) {
      s.pixelData = { offset: p, encapsulated: len === UNDEFINED, length: len === UNDEFINED ? undefined : len };
      return [ds, p];
    }
    if (vr === 'SQ' || (len === UNDEFINED && vr === 'UN')) {
      const wasExplicit = s.explicit;
      if (vr === 'UN') s.explicit = false; // UN of undefined length is implicit VR LE (PS3.5 6.2.2)
      const [items, after] = parseSequence(s, p, len === UNDEFINED ? undefined : p + len);
      s.explicit = wasExplicit;
      ds[tag] = { vr: 'SQ', Value: items };
      pos = after;
      continue;
    }
    if (len === UNDEFINED) {
      throw new CorruptFileError(`DICOM file ${s.path} has an element ${tag} of undefined length outside Pixel Data at byte ${pos}; the file is damaged.`, { path: s.path });
    }
    need(s, p, len);
    if (tag === TAG.ExtendedOffsetTable) s.eot = s.buf.slice(p, p + len);
    else if (tag === TAG.ExtendedOffsetTableLengths) s.eotLengths = s.buf.slice(p, p + len);
    else {
      const value = decodeValue(s, vr, p, len);
      ds[tag] = value === undefined ? { vr } : { vr, Value: value };
    }
    pos = p + len;
  }
  return [ds, pos];
}

function parseSequence(s: ParseState, pos: number, end: number | undefined): [DicomJsonDataset[], number] {
  const items: DicomJsonDataset[] = [];
  while (end === undefined || pos < end) {
    need(s, pos, 8);
    const tag = tagAt(s, pos);
    const len = s.view.getUint32(pos + 4, true);
    if (tag === 'FFFEE0DD') return [items, pos + 8];
    if (tag !== 'FFFEE000') {
      throw new CorruptFileError(`DICOM file ${s.path} has a sequence item with tag ${tag} at byte ${pos} (expected FFFEE000); the file is damaged.`, { path: s.path });
    }
    const [ds, after] = parseDataset(s, pos + 8, len === UNDEFINED ? undefined : pos + 8 + len, false);
    items.push(ds);
    pos = after;
  }
  return [items, pos];
}

function parseAll(buf: Uint8Array, fileSize: number, path: string): Part10Header {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const s: ParseState = { buf, view, fileSize, path, explicit: true, pixelData: undefined, eot: undefined, eotLengths: undefined };
  need(s, 0, 132);
  if (!hasDicmMagic(buf)) throw new FormatError(`${path} is not a DICOM Part 10 file (no "DICM" at byte 128).`, { path });
  // file meta: explicit VR LE, group 0002
  let pos = 132;
  const meta: Record<string, DicomJsonElement> = {};
  for (;;) {
    need(s, pos, 8);
    if (view.getUint16(pos, true) !== 0x0002) break;
    // one element at a time, so the loop stops at the first non-0002 group
    const vr = String.fromCharCode(buf[pos + 4]!, buf[pos + 5]!);
    const headerLen = LONG_VRS.has(vr) ? 12 : 8;
    need(s, pos, headerLen);
    const len = headerLen === 12 ? view.getUint32(pos + 8, true) : view.getUint16(pos + 6, true);
    const [el] = parseDataset(s, pos, pos + headerLen + len, false);
    Object.assign(meta, el);
    pos += headerLen + len;
  }
  const tsValue = meta[TAG.TransferSyntaxUID]?.Value?.[0];
  const transferSyntax = typeof tsValue === 'string' ? tsValue : TS.implicitLE;
  if (transferSyntax === TS.explicitBE) {
    throw new UnsupportedError(`DICOM file ${path} uses the retired transfer syntax Explicit VR Big Endian (${TS.explicitBE}); convert it to little endian (e.g. dcmconv +te).`, { path });
  }
  if (transferSyntax === TS.deflatedLE) {
    throw new UnsupportedError(`DICOM file ${path} uses Deflated Explicit VR Little Endian (${TS.deflatedLE}), which blurmm does not read; convert it (e.g. dcmconv +te).`, { path });
  }
  s.explicit = transferSyntax !== TS.implicitLE;
  const [ds] = parseDataset(s, pos, undefined, true);
  Object.assign(ds, meta);
  return { transferSyntax, dataset: ds, pixelData: s.pixelData, extendedOffsetTable: s.eot, extendedOffsetTableLengths: s.eotLengths };
}

/**
 * Reads and parses the header of a Part 10 file. Reads 256 KiB first and more only when the
 * header is longer (large per-frame functional groups), never the pixel data.
 */
export async function readPart10Header(source: ByteSource): Promise<Part10Header> {
  let want = Math.min(source.size, 256 * 1024);
  for (;;) {
    const buf = await source.read(0, want);
    try {
      return parseAll(buf, source.size, source.path);
    } catch (err) {
      if (!(err instanceof NeedMore)) throw err;
      want = Math.min(source.size, Math.max(want * 2, err.upTo + 64 * 1024));
    }
  }
}
