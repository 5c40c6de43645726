/**
 * Locates the frames of one instance's pixel data without reading the pixels: from the
 * Extended Offset Table, the Basic Offset Table, or a scan of the fragment item headers.
 * Native (uncompressed) frames are at fixed strides.
 */
import { CorruptFileError } from '../../core/errors.js';
import type { ByteSource } from '../shared/byte-source.js';
import type { Part10Header } from './part10.js';

const ITEM = 0xe000fffe; // (FFFE,E000) read as one uint32 LE
const SEQ_DELIM = 0xe0ddfffe; // (FFFE,E0DD)

/** How the frame offsets were found (for `dicom.*` properties and tests). */
export type FrameIndexKind = 'extended-offset-table' | 'basic-offset-table' | 'fragment-scan' | 'native';

/** Reads frame bytes of one instance on demand. Frame numbers are 1-based as in DICOM. */
export interface FrameReader {
  readonly kind: FrameIndexKind;
  readonly numberOfFrames: number;
  /** the encoded (or native) bytes of frame `frame` (1-based) */
  readFrame(frame: number): Promise<Uint8Array>;
}

/** Where one frame's fragments start and end (end exclusive; undefined = until the delimiter). */
interface FrameSpan {
  readonly start: number;
  readonly end: number | undefined;
  /** with no end: the frame is exactly one fragment (Extended Offset Table) */
  readonly single?: boolean;
  /** expected fragment length (EOT lengths), so one read usually suffices */
  readonly hint?: number;
}

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function u64(b: Uint8Array, at: number): number {
  return u32(b, at) + u32(b, at + 4) * 0x100000000;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

interface IndexContext {
  readonly source: ByteSource;
  readonly numberOfFrames: number;
  /** "file X, instance Y" for messages */
  readonly where: string;
}

function corrupt(ctx: IndexContext, what: string, frame?: number): CorruptFileError {
  return new CorruptFileError(`${ctx.where}${frame === undefined ? '' : `, frame ${frame}`}: ${what}`, {
    path: ctx.source.path,
    ...(frame === undefined ? {} : { location: `frame ${frame}` }),
  });
}

/** Reads the fragments from `span.start` up to `span.end` (or the sequence delimiter) and joins them. */
async function readSpan(ctx: IndexContext, span: FrameSpan, frame: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  if (span.end !== undefined) {
    const buf = await ctx.source.read(span.start, span.end - span.start);
    let p = 0;
    while (p + 8 <= buf.length) {
      const tag = u32(buf, p);
      const len = u32(buf, p + 4);
      if (tag === SEQ_DELIM) break;
      if (tag !== ITEM || p + 8 + len > buf.length) throw corrupt(ctx, `bad fragment item at byte ${span.start + p}; the pixel data is damaged or the offset table is wrong`, frame);
      parts.push(buf.subarray(p + 8, p + 8 + len));
      p += 8 + len;
    }
  } else if (span.single && span.hint !== undefined) {
    // one fragment; its item length may exceed the EOT length by a padding byte
    const buf = await ctx.source.read(span.start, Math.min(8 + span.hint + 1, ctx.source.size - span.start));
    const len = u32(buf, 4);
    if (u32(buf, 0) !== ITEM) throw corrupt(ctx, `bad fragment item at byte ${span.start}; the Extended Offset Table is wrong or the pixel data damaged`, frame);
    parts.push(len <= buf.length - 8 ? buf.subarray(8, 8 + len) : await ctx.source.read(span.start + 8, len));
  } else {
    let p = span.start;
    for (;;) {
      const head = await ctx.source.read(p, 8);
      const tag = u32(head, 0);
      const len = u32(head, 4);
      if (tag === SEQ_DELIM) break;
      if (tag !== ITEM) throw corrupt(ctx, `bad fragment item at byte ${p}; the pixel data is damaged`, frame);
      parts.push(await ctx.source.read(p + 8, len));
      p += 8 + len;
      // without an end this is the last frame (all remaining fragments) or a single-fragment frame
      if (span.single || p >= ctx.source.size) break;
    }
  }
  if (parts.length === 0) throw corrupt(ctx, 'no pixel data fragments for this frame', frame);
  return concat(parts);
}

/** Is this the start of a new encoded image (JPEG SOI, J2K SOC, JP2 signature)? */
function isImageStart(b: Uint8Array): boolean {
  return (b[0] === 0xff && (b[1] === 0xd8 || b[1] === 0x4f)) || (b[0] === 0x00 && b[1] === 0x00 && b[2] === 0x00 && b[3] === 0x0c);
}

/**
 * Builds the {@link FrameReader} for one instance. Reads at most the offset tables (or, without
 * them, the 12-byte head of each fragment), never the frame data.
 */
export async function indexFrames(source: ByteSource, header: Part10Header, where: string): Promise<FrameReader> {
  const pd = header.pixelData;
  const numberOfFrames = Math.max(1, Math.trunc(Number(header.dataset['00280008']?.Value?.[0] ?? 1)) || 1);
  const ctx: IndexContext = { source, numberOfFrames, where };
  if (!pd) throw corrupt(ctx, 'no Pixel Data element (7FE0,0010); the file holds no image or is truncated');

  const checkFrame = (frame: number): void => {
    if (!Number.isInteger(frame) || frame < 1 || frame > numberOfFrames) {
      throw corrupt(ctx, `frame ${frame} requested but NumberOfFrames is ${numberOfFrames}`, frame);
    }
  };

  if (!pd.encapsulated) {
    const length = pd.length ?? 0;
    if (pd.offset + length > source.size) throw corrupt(ctx, `the native pixel data (${length} bytes at ${pd.offset}) runs past the end of the file (${source.size} bytes); it is truncated`);
    const frameBytes = Math.floor(length / numberOfFrames);
    return {
      kind: 'native',
      numberOfFrames,
      readFrame: async (frame) => {
        checkFrame(frame);
        return source.read(pd.offset + (frame - 1) * frameBytes, frameBytes);
      },
    };
  }

  // Basic Offset Table item
  const botHead = await source.read(pd.offset, 8);
  if (u32(botHead, 0) !== ITEM) throw corrupt(ctx, `the encapsulated pixel data does not start with an item at byte ${pd.offset}; the file is damaged`);
  const botLen = u32(botHead, 4);
  const firstFragment = pd.offset + 8 + botLen;
  let spans: FrameSpan[] | undefined;
  let kind: FrameIndexKind;

  const eot = header.extendedOffsetTable;
  const eotLengths = header.extendedOffsetTableLengths;
  if (eot && eot.length >= 8 * numberOfFrames) {
    kind = 'extended-offset-table';
    spans = [];
    for (let i = 0; i < numberOfFrames; i++) {
      const start = firstFragment + u64(eot, 8 * i);
      // with the EOT each frame is one fragment: item header + its length
      const len = eotLengths && eotLengths.length >= 8 * numberOfFrames ? u64(eotLengths, 8 * i) : undefined;
      spans.push(len === undefined ? { start, end: undefined, single: true } : { start, end: undefined, single: true, hint: len });
    }
  } else if (botLen >= 4 * numberOfFrames && botLen > 0) {
    kind = 'basic-offset-table';
    const bot = await source.read(pd.offset + 8, botLen);
    const starts = Array.from({ length: numberOfFrames }, (_, i) => firstFragment + u32(bot, 4 * i));
    spans = starts.map((start, i) => ({ start, end: starts[i + 1] }));
  } else {
    kind = 'fragment-scan';
    spans = await scanFragments(ctx, firstFragment);
  }
  const table = spans;
  return {
    kind,
    numberOfFrames,
    readFrame: async (frame) => {
      checkFrame(frame);
      const span = table[frame - 1];
      if (!span) throw corrupt(ctx, `frame ${frame} is listed in NumberOfFrames (${numberOfFrames}) but the pixel data holds only ${table.length} frames; the file is truncated or damaged`, frame);
      return readSpan(ctx, span, frame);
    },
  };
}

/** Walks the fragment item headers and groups fragments into frames. */
async function scanFragments(ctx: IndexContext, first: number): Promise<FrameSpan[]> {
  const { source } = ctx;
  const fragments: { start: number; end: number; imageStart: boolean }[] = [];
  let p = first;
  // read ahead in blocks so small fragments cost one read per block, not per item
  let block: Uint8Array = new Uint8Array(0);
  let blockAt = 0;
  const headAt = async (at: number): Promise<Uint8Array> => {
    if (at >= blockAt && at + 12 <= blockAt + block.length) return block.subarray(at - blockAt, at - blockAt + 12);
    const n = Math.min(64 * 1024, source.size - at);
    if (n < 8) return new Uint8Array(0);
    block = await source.read(at, n);
    blockAt = at;
    return block.subarray(0, Math.min(12, n));
  };
  for (;;) {
    const head = await headAt(p);
    if (head.length < 8) break; // the file ends inside the pixel data (truncated): keep what was found
    const tag = u32(head, 0);
    const len = u32(head, 4);
    if (tag === SEQ_DELIM) break;
    if (tag !== ITEM) throw corrupt(ctx, `bad fragment item at byte ${p} while scanning the pixel data; the file is damaged`);
    // a fragment cut by the end of the file is kept: reading its frame reports the truncation
    fragments.push({ start: p, end: p + 8 + len, imageStart: head.length >= 12 && isImageStart(head.subarray(8)) });
    p += 8 + len;
    if (p >= source.size) break; // tolerate a missing delimiter at EOF
  }
  if (fragments.length === ctx.numberOfFrames) return fragments.map((f) => ({ start: f.start, end: f.end }));
  if (ctx.numberOfFrames === 1 && fragments.length > 0) return [{ start: fragments[0]!.start, end: fragments[fragments.length - 1]!.end }];
  // several fragments per frame: a frame starts at each fragment that starts an image
  const spans: FrameSpan[] = [];
  for (const f of fragments) {
    if (f.imageStart || spans.length === 0) spans.push({ start: f.start, end: f.end });
    else spans[spans.length - 1] = { start: spans[spans.length - 1]!.start, end: f.end };
  }
  return spans;
}
