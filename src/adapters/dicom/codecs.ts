/**
 * Frame decoders by transfer syntax: JPEG baseline/extended through sharp (libjpeg-turbo),
 * JPEG 2000 (OpenJPEG), HTJ2K (OpenJPH) and JPEG-LS (CharLS) as WebAssembly modules loaded on
 * first use, and native (uncompressed) 8-bit frames.
 */
import { DecodeError, DependencyError, UnsupportedError } from '../../core/errors.js';
import type { RgbImage } from '../../core/types.js';
import { decodeJpeg } from '../codecs/jpeg.js';

export const TRANSFER_SYNTAX = {
  implicitLE: '1.2.840.10008.1.2',
  explicitLE: '1.2.840.10008.1.2.1',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  jpegExtended: '1.2.840.10008.1.2.4.51',
  jpegLossless: '1.2.840.10008.1.2.4.57',
  jpegLosslessSV1: '1.2.840.10008.1.2.4.70',
  jpegLsLossless: '1.2.840.10008.1.2.4.80',
  jpegLsNearLossless: '1.2.840.10008.1.2.4.81',
  j2kLossless: '1.2.840.10008.1.2.4.90',
  j2k: '1.2.840.10008.1.2.4.91',
  htj2kLossless: '1.2.840.10008.1.2.4.201',
  htj2kLosslessRpcl: '1.2.840.10008.1.2.4.202',
  htj2k: '1.2.840.10008.1.2.4.203',
  rle: '1.2.840.10008.1.2.5',
} as const;

type Codec = 'jpeg' | 'j2k' | 'htj2k' | 'jpegls' | 'native';

const BY_SYNTAX: Readonly<Record<string, Codec>> = {
  [TRANSFER_SYNTAX.implicitLE]: 'native',
  [TRANSFER_SYNTAX.explicitLE]: 'native',
  [TRANSFER_SYNTAX.jpegBaseline]: 'jpeg',
  [TRANSFER_SYNTAX.jpegExtended]: 'jpeg',
  [TRANSFER_SYNTAX.jpegLsLossless]: 'jpegls',
  [TRANSFER_SYNTAX.jpegLsNearLossless]: 'jpegls',
  [TRANSFER_SYNTAX.j2kLossless]: 'j2k',
  [TRANSFER_SYNTAX.j2k]: 'j2k',
  [TRANSFER_SYNTAX.htj2kLossless]: 'htj2k',
  [TRANSFER_SYNTAX.htj2kLosslessRpcl]: 'htj2k',
  [TRANSFER_SYNTAX.htj2k]: 'htj2k',
};

/** The transfer syntaxes {@link decodeFrame} reads. */
export const SUPPORTED_TRANSFER_SYNTAXES: readonly string[] = Object.keys(BY_SYNTAX);

/** What a frame decoder needs to know about the image (from the instance's header). */
export interface FrameFormat {
  readonly transferSyntax: string;
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: number;
  readonly bitsAllocated: number;
  readonly photometric: string;
  readonly planarConfiguration: number;
}

/** Is the transfer syntax one blurmm decodes? */
export function isSupportedTransferSyntax(uid: string): boolean {
  return uid in BY_SYNTAX;
}

/** An UnsupportedError naming the transfer syntax UID and what to do. */
export function unsupportedSyntax(uid: string, where: string): UnsupportedError {
  return new UnsupportedError(
    `${where} uses transfer syntax ${uid}, which blurmm cannot decode. Supported: JPEG baseline/extended (.4.50, .4.51), JPEG 2000 (.4.90, .4.91), HTJ2K (.4.201-.4.203), JPEG-LS (.4.80, .4.81) and uncompressed little endian (1.2.840.10008.1.2, .1.2.1). Transcode the series (e.g. with dcmcjpeg or Orthanc) or read it through DICOMweb, which can render frames.`,
    { location: where, data: { transferSyntax: uid } },
  );
}

/** Guesses the codec from the first bytes of an encoded frame (used when a server does not say). */
export function sniffCodec(bytes: Uint8Array): 'jpeg' | 'j2k' | undefined {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'jpeg';
  if (bytes[0] === 0xff && bytes[1] === 0x4f && bytes[2] === 0xff && bytes[3] === 0x51) return 'j2k';
  return undefined;
}

// ---------------------------------------------------------------- WebAssembly codecs (lazy)

interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
}
interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): FrameInfo;
  getInterleaveMode?(): number;
  delete?(): void;
}
interface WasmModule {
  J2KDecoder?: new () => WasmDecoder;
  HTJ2KDecoder?: new () => WasmDecoder;
  JpegLSDecoder?: new () => WasmDecoder;
}
type WasmFactory = (options?: Record<string, unknown>) => Promise<WasmModule>;

const modules = new Map<string, Promise<WasmModule>>();

function loadWasm(pkg: string): Promise<WasmModule> {
  let pending = modules.get(pkg);
  if (!pending) {
    pending = import(pkg).then(
      (m: { default?: WasmFactory }) => {
        const factory = (m.default ?? m) as WasmFactory;
        // route the codec's own logging away from the console (the library never prints)
        const quiet = (): void => {};
        return factory({ print: quiet, printErr: quiet });
      },
      (cause: unknown) => {
        modules.delete(pkg);
        throw new DependencyError(`Could not load ${pkg}, which blurmm uses to decode DICOM frames. Possible solutions: run \`npm install ${pkg}\`.`, { cause, plugin: pkg });
      },
    );
    modules.set(pkg, pending);
  }
  return pending;
}

async function decodeWasm(codec: 'j2k' | 'htj2k' | 'jpegls', bytes: Uint8Array, where: string): Promise<{ data: Uint8Array; info: FrameInfo; planar: boolean }> {
  const pkg = codec === 'j2k' ? '@cornerstonejs/codec-openjpeg' : codec === 'htj2k' ? '@cornerstonejs/codec-openjph' : '@cornerstonejs/codec-charls';
  const m = await loadWasm(pkg);
  const Ctor = codec === 'j2k' ? m.J2KDecoder : codec === 'htj2k' ? m.HTJ2KDecoder : m.JpegLSDecoder;
  if (!Ctor) throw new DependencyError(`${pkg} loaded but has no decoder class; reinstall it.`, { plugin: pkg });
  const decoder = new Ctor();
  try {
    decoder.getEncodedBuffer(bytes.length).set(bytes);
    decoder.decode();
    const info = decoder.getFrameInfo();
    if (!(info.width > 0 && info.height > 0 && info.componentCount > 0)) throw new Error(`the stream gave no image (${info.width}x${info.height}, ${info.componentCount} components); it is damaged or truncated`);
    // copy out of the WebAssembly heap before the decoder is freed
    const data = decoder.getDecodedBuffer().slice();
    const planar = codec === 'jpegls' && info.componentCount > 1 && decoder.getInterleaveMode?.() === 0;
    return { data, info: { width: info.width, height: info.height, bitsPerSample: info.bitsPerSample, componentCount: info.componentCount }, planar };
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : typeof cause === 'number' ? `error code ${cause}` : String(cause);
    throw new DecodeError(`Could not decode the ${codec.toUpperCase()} data of ${where}: ${message}`, { cause, location: where });
  } finally {
    decoder.delete?.();
  }
}

// ---------------------------------------------------------------- pixel conversion

function planarToInterleaved(src: Uint8Array, n: number, c: number): Uint8Array {
  const out = new Uint8Array(n * c);
  for (let k = 0; k < c; k++) for (let i = 0; i < n; i++) out[i * c + k] = src[k * n + i]!;
  return out;
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/** YBR_FULL (uncompressed) to RGB, as PS3.3 C.7.6.3.1.2. */
function ybrFullToRgb(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += 3) {
    const y = src[i]!;
    const cb = src[i + 1]! - 128;
    const cr = src[i + 2]! - 128;
    out[i] = clamp(y + 1.402 * cr);
    out[i + 1] = clamp(y - 0.344136 * cb - 0.714136 * cr);
    out[i + 2] = clamp(y + 1.772 * cb);
  }
  return out;
}

function toRgb(data: Uint8Array, width: number, height: number, components: number, planar: boolean, where: string): RgbImage {
  const n = width * height;
  if (data.length < n * components) throw new DecodeError(`${where} decoded to ${data.length} bytes, fewer than ${width}x${height}x${components}`, { location: where });
  if (components === 3) return { data: planar ? planarToInterleaved(data, n, 3) : data.subarray(0, n * 3), width, height, channels: 3 };
  if (components === 1) {
    const out = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = data[i]!;
    return { data: out, width, height, channels: 3 };
  }
  throw new UnsupportedError(`${where} has ${components} samples per pixel; blurmm reads 1 (grey) or 3 (colour).`, { location: where });
}

/**
 * Decodes one encoded frame to 8-bit RGB. `where` names series, instance and frame in errors.
 * The codec comes from the transfer syntax; for JPEG-family syntaxes the bytes are checked too.
 */
export async function decodeFrame(bytes: Uint8Array, format: FrameFormat, where: string): Promise<RgbImage> {
  const codec = BY_SYNTAX[format.transferSyntax];
  if (codec === undefined) {
    // lossless JPEG (.57/.70): libjpeg-turbo in sharp may or may not read it
    if (format.transferSyntax === TRANSFER_SYNTAX.jpegLossless || format.transferSyntax === TRANSFER_SYNTAX.jpegLosslessSV1) {
      try {
        return await decodeJpeg(bytes, where);
      } catch {
        throw unsupportedSyntax(format.transferSyntax, where);
      }
    }
    throw unsupportedSyntax(format.transferSyntax, where);
  }
  if (format.bitsAllocated !== 8 && codec === 'native') {
    throw new UnsupportedError(`${where} has ${format.bitsAllocated}-bit samples; blurmm reads 8-bit slides only.`, { location: where });
  }
  switch (codec) {
    case 'jpeg':
      return decodeJpeg(bytes, where);
    case 'j2k':
    case 'htj2k':
    case 'jpegls': {
      const { data, info, planar } = await decodeWasm(codec, bytes, where);
      if (info.bitsPerSample > 8) throw new UnsupportedError(`${where} decoded to ${info.bitsPerSample}-bit samples; blurmm reads 8-bit slides only.`, { location: where });
      return toRgb(data, info.width, info.height, info.componentCount, planar, where);
    }
    case 'native': {
      const c = format.samplesPerPixel;
      const n = format.rows * format.columns;
      if (bytes.length < n * c) throw new DecodeError(`${where} holds ${bytes.length} bytes, fewer than ${format.columns}x${format.rows}x${c} native samples`, { location: where });
      const img = toRgb(bytes, format.columns, format.rows, c, format.planarConfiguration === 1, where);
      if (c === 3 && format.photometric === 'YBR_FULL') return { ...img, data: ybrFullToRgb(img.data) };
      if (c === 3 && format.photometric !== 'RGB') {
        throw new UnsupportedError(`${where} is uncompressed ${format.photometric}; blurmm reads uncompressed RGB, YBR_FULL and MONOCHROME2.`, { location: where });
      }
      return img;
    }
  }
}
