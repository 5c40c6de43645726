/**
 * DICOM variants and bad input, on the small fixtures made by scripts/make-dicom-fixtures.py
 * (pydicom + OpenCV), plus the WebAssembly codecs round-tripped through their real encoders.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeFrame, TRANSFER_SYNTAX } from '../src/adapters/dicom/codecs.js';
import { openFileSource } from '../src/adapters/shared/byte-source.js';
import { indexFrames } from '../src/adapters/dicom/frame-index.js';
import { openDicomSeries } from '../src/adapters/dicom/open-local.js';
import { readPart10Header } from '../src/adapters/dicom/part10.js';
import { isBlurmmError } from '../src/core/errors.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'dicom');
const fx = (name: string): string => join(fixtures, name);
const W = 40;
const H = 20;

/** the pattern every fixture holds: ((5x) % 256, (7y) % 256, (3(x + y)) % 256) */
function pattern(): Uint8Array {
  const out = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      out[i] = (5 * x) % 256;
      out[i + 1] = (7 * y) % 256;
      out[i + 2] = (3 * (x + y)) % 256;
    }
  }
  return out;
}

function maxAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
  return 10 * Math.log10((255 * 255) / (se / a.length));
}

async function readAll(name: string): Promise<Uint8Array> {
  const slide = await openDicomSeries(fx(name), { dicomSiblings: false });
  try {
    expect([slide.width, slide.height]).toEqual([W, H]);
    return (await slide.readRegion({ x: 0, y: 0, width: W, height: H, level: 0 })).data;
  } finally {
    await slide.close();
  }
}

describe('DICOM variants (generated fixtures)', () => {
  it('uncompressed explicit and implicit VR little endian read exactly', async () => {
    expect(maxAbsDiff(await readAll('native-rgb.dcm'), pattern())).toBe(0);
    expect(maxAbsDiff(await readAll('native-rgb-implicit.dcm'), pattern())).toBe(0);
  });

  it('PixelSpacing [row, column] maps to mpp y, x', async () => {
    const slide = await openDicomSeries(fx('native-rgb.dcm'), { dicomSiblings: false });
    expect(slide.mpp).toEqual({ x: 0.25, y: 0.5 });
    await slide.close();
  });

  it('JPEG YBR_FULL_422 frames: empty BOT (fragment scan), EOT and 2 fragments per frame give the same pixels', async () => {
    const scan = await readAll('jpeg-ybr-nobot.dcm');
    expect(psnr(scan, pattern())).toBeGreaterThan(30);
    expect(maxAbsDiff(await readAll('jpeg-ybr-eot.dcm'), scan)).toBe(0);
    expect(maxAbsDiff(await readAll('jpeg-ybr-2frag.dcm'), scan)).toBe(0);
    const kinds = await Promise.all(
      ['jpeg-ybr-nobot.dcm', 'jpeg-ybr-eot.dcm', 'jpeg-ybr-2frag.dcm'].map(async (n) => {
        const s = await openDicomSeries(fx(n), { dicomSiblings: false });
        await s.close();
        return s.properties['dicom.frame-index'];
      }),
    );
    expect(kinds).toEqual(['fragment-scan', 'extended-offset-table', 'basic-offset-table']);
  });

  it('without DimensionOrganizationType, shuffled frames are placed by their per-frame positions', async () => {
    expect(maxAbsDiff(await readAll('positions-no-dimorg.dcm'), pattern())).toBe(0);
  });
});

describe('DICOM bad input (generated fixtures)', () => {
  it('frames listed in NumberOfFrames but absent from the pixel data fail their tiles only, naming series, file and frame', async () => {
    const slide = await openDicomSeries(fx('frames-past-end.dcm'), { dicomSiblings: false });
    try {
      // frames 1-4 = tiles (0..2, 0) and (0, 1) are there
      const ok = await slide.readRegion({ x: 0, y: 0, width: 16, height: 20, level: 0 });
      expect(ok.width).toBe(16);
      const err = await slide.readRegion({ x: 16, y: 16, width: 4, height: 4, level: 0 }).catch((e: unknown) => e);
      expect(isBlurmmError(err, 'E_CORRUPT')).toBe(true);
      expect((err as Error).message).toMatch(/series 2\.25\.20007.*frames-past-end\.dcm.*frame 5.*holds only 4 frames/);
    } finally {
      await slide.close();
    }
  });

  it('a frame number past NumberOfFrames is E_CORRUPT naming the frame and the count', async () => {
    const source = await openFileSource(fx('native-rgb.dcm'));
    try {
      const frames = await indexFrames(source, await readPart10Header(source), 'DICOM file native-rgb.dcm');
      expect(frames.kind).toBe('native');
      await expect(frames.readFrame(7)).rejects.toThrow(/frame 7 requested but NumberOfFrames is 6/);
      expect((await frames.readFrame(6)).length).toBe(16 * 16 * 3);
    } finally {
      await source.close();
    }
  });

  it('a truncated file fails only the tile whose frame is cut, with E_CORRUPT naming the file and frame', async () => {
    const slide = await openDicomSeries(fx('truncated-pixels.dcm'), { dicomSiblings: false });
    try {
      // tiles (0..2, 0) are whole
      const top = await slide.readRegion({ x: 0, y: 0, width: W, height: 16, level: 0 });
      expect(maxAbsDiff(top.data, (await readAll('jpeg-ybr-nobot.dcm')).subarray(0, W * 16 * 3))).toBe(0);
      // the last frame (tile (2, 1)) is cut
      const err = await slide.readRegion({ x: 32, y: 16, width: 8, height: 4, level: 0 }).catch((e: unknown) => e);
      expect(isBlurmmError(err, 'E_CORRUPT')).toBe(true);
      expect((err as Error).message).toMatch(/truncated-pixels\.dcm/);
      expect((err as Error).message).toMatch(/frame 6/);
      expect((err as Error).message).toMatch(/series 2\.25\.2000/);
    } finally {
      await slide.close();
    }
  });

  it('a file truncated inside its header is E_CORRUPT naming the file', async () => {
    const err = await openDicomSeries(fx('truncated-header.dcm'), { dicomSiblings: false }).catch((e: unknown) => e);
    expect(isBlurmmError(err, 'E_CORRUPT')).toBe(true);
    expect((err as Error).message).toMatch(/truncated-header\.dcm is truncated/);
  });

  it('a non-WSI DICOM is E_FORMAT naming the SOP class', async () => {
    const err = await openDicomSeries(fx('not-wsi.dcm'), { dicomSiblings: false }).catch((e: unknown) => e);
    expect(isBlurmmError(err, 'E_FORMAT')).toBe(true);
    expect((err as Error).message).toMatch(/not-wsi\.dcm.*not a DICOM whole-slide image \(SOP class 1\.2\.840\.10008\.5\.1\.4\.1\.1\.7/);
  });

  it('an unsupported transfer syntax is E_UNSUPPORTED naming the UID, per tile', async () => {
    const slide = await openDicomSeries(fx('unsupported-rle.dcm'), { dicomSiblings: false });
    try {
      const err = await slide.readRegion({ x: 0, y: 0, width: 4, height: 4, level: 0 }).catch((e: unknown) => e);
      expect(isBlurmmError(err, 'E_UNSUPPORTED')).toBe(true);
      expect((err as Error).message).toMatch(/1\.2\.840\.10008\.1\.2\.5/);
    } finally {
      await slide.close();
    }
  });

  it('one file of a folder is opened with its series only; the damaged siblings are skipped', async () => {
    const slide = await openDicomSeries(fx('native-rgb.dcm'));
    expect(slide.properties['dicom.files']).toBe('1');
    await slide.close();
  });

  it('a folder with several series asks for one', async () => {
    const err = await openDicomSeries(fixtures).catch((e: unknown) => e);
    expect(isBlurmmError(err)).toBe(true);
  });
});

describe('WebAssembly codecs round-trip through their own encoders', () => {
  const w = 96;
  const h = 64;
  const px = new Uint8Array(w * h * 3);
  for (let i = 0; i < px.length; i++) px[i] = (i * 7 + (i >> 5)) % 251;
  const base = { rows: h, columns: w, samplesPerPixel: 3, bitsAllocated: 8, photometric: 'RGB', planarConfiguration: 0 };

  interface Enc {
    getDecodedBuffer(info: Record<string, unknown>): Uint8Array;
    encode(): void;
    getEncodedBuffer(): Uint8Array;
    setInterleaveMode?(m: number): void;
  }
  async function encode(pkg: string, cls: string, interleave?: number): Promise<Uint8Array> {
    const m = (await import(pkg)) as { default: (o: Record<string, unknown>) => Promise<Record<string, new () => Enc>> };
    const mod = await m.default({ print: () => undefined, printErr: () => undefined });
    const enc = new mod[cls]!();
    if (interleave !== undefined) enc.setInterleaveMode?.(interleave);
    enc.getDecodedBuffer({ width: w, height: h, bitsPerSample: 8, componentCount: 3, isSigned: false, isUsingColorTransform: false }).set(px);
    enc.encode();
    return enc.getEncodedBuffer().slice();
  }

  it('JPEG 2000 lossless (OpenJPEG) decodes exactly', async () => {
    const bytes = await encode('@cornerstonejs/codec-openjpeg', 'J2KEncoder');
    const img = await decodeFrame(bytes, { ...base, transferSyntax: TRANSFER_SYNTAX.j2kLossless }, 'test frame');
    expect([img.width, img.height, img.channels]).toEqual([w, h, 3]);
    expect(maxAbsDiff(img.data, px)).toBe(0);
  });

  it('HTJ2K lossless (OpenJPH) decodes exactly', async () => {
    const bytes = await encode('@cornerstonejs/codec-openjph', 'HTJ2KEncoder');
    const img = await decodeFrame(bytes, { ...base, transferSyntax: TRANSFER_SYNTAX.htj2kLossless }, 'test frame');
    expect(maxAbsDiff(img.data, px)).toBe(0);
  });

  it('JPEG-LS lossless (CharLS), sample-interleaved, decodes exactly', async () => {
    const bytes = await encode('@cornerstonejs/codec-charls', 'JpegLSEncoder', 2);
    const img = await decodeFrame(bytes, { ...base, transferSyntax: TRANSFER_SYNTAX.jpegLsLossless }, 'test frame');
    expect(maxAbsDiff(img.data, px)).toBe(0);
  });

  it('a damaged JPEG 2000 stream is E_DECODE naming the frame', async () => {
    const bytes = (await encode('@cornerstonejs/codec-openjpeg', 'J2KEncoder')).slice(0, 40);
    const err = await decodeFrame(bytes, { ...base, transferSyntax: TRANSFER_SYNTAX.j2k }, 'series S, instance I, frame 9').catch((e: unknown) => e);
    expect(isBlurmmError(err, 'E_DECODE')).toBe(true);
    expect((err as Error).message).toMatch(/frame 9/);
  });
});
