/**
 * A plain image (PNG, JPEG, single-level TIFF) seen as a one-level slide.
 *
 * Opening reads the header only (sharp metadata, resolution chunks, PNG chunk chain). The pixels
 * are decoded once, on the first read, and kept as raw RGB (3 bytes per pixel): plain images are
 * small next to whole slides (sharp's default limit is 268 Mpx, about 805 MB of RGB), and a
 * slide-sized image belongs in a pyramidal TIFF. Concurrent first reads share one decode.
 * Alpha is composited on white; EXIF orientation is not applied (pixels as stored).
 */
import { open as openFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  ArgumentError,
  CorruptFileError,
  FormatError,
  NotFoundError,
  UnsupportedError,
  invalidArgument,
  isBlurmmError,
  throwIfAborted,
} from '../../core/errors.js';
import type { LevelInfo, OpenSourceOptions, RegionRequest, RgbImage, SlideSource } from '../../core/types.js';
import { loadSharp } from '../codecs/sharp.js';
import { sniffImage } from './index.js';
import { type ByteReader, type ResolutionInfo, jpegResolution, pngResolution, tiffResolution } from './resolution.js';

type Kind = 'png' | 'jpeg' | 'tiff';

function message(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * Opens `path` as a one-level slide. A damaged file is a CorruptFileError naming it; a file
 * that is not PNG/JPEG/TIFF a FormatError.
 */
export async function openImageSource(path: string, options: OpenSourceOptions = {}): Promise<SlideSource> {
  throwIfAborted(options.signal, `opening of ${path}`);
  const info = await stat(path).catch((cause: unknown) => {
    throw new NotFoundError(`Cannot open ${path}: no such file. Check the path (relative paths resolve from ${process.cwd()}).`, { path, cause });
  });
  const fh = await openFile(path, 'r');
  let kind: Kind | undefined;
  let res: ResolutionInfo;
  try {
    const read: ByteReader = async (offset, length) => {
      const buf = new Uint8Array(Math.max(0, Math.min(length, info.size - offset)));
      if (buf.length) await fh.read(buf, 0, buf.length, offset);
      return buf;
    };
    kind = sniffImage(await read(0, 16));
    if (!kind) throw new FormatError(`Cannot open ${path} as a plain image: it is not PNG, JPEG or TIFF (the first bytes do not match).`, { path, plugin: 'image' });
    if (kind === 'png') {
      const png = await pngResolution(read, info.size);
      if (!png.intact) throw new CorruptFileError(`The PNG file ${path} is damaged: ${png.problem ?? 'bad chunk chain'}. Re-export or re-copy it.`, { path, plugin: 'image' });
      res = png;
    } else if (kind === 'jpeg') {
      res = await jpegResolution(read, info.size);
    } else {
      res = await tiffResolution(read, info.size);
    }
  } catch (cause) {
    if (isBlurmmError(cause)) throw cause;
    throw new CorruptFileError(`The ${kind ?? 'image'} file ${path} is damaged: its header could not be read (${message(cause)}).`, { path, plugin: 'image', cause });
  } finally {
    await fh.close();
  }

  const sharp = await loadSharp();
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    meta = await sharp(path).metadata();
  } catch (cause) {
    throw new CorruptFileError(`The ${kind} file ${path} is damaged or unreadable: ${message(cause)}. Re-export or re-copy it.`, { path, plugin: 'image', cause });
  }
  const width = meta.width;
  const height = meta.height;
  if (!width || !height) throw new CorruptFileError(`The ${kind} file ${path} has no image size in its header.`, { path, plugin: 'image' });
  const pages = meta.pages ?? 1;
  // headers blurmm does not parse (e.g. resolution only in XMP): take libvips' density unless it is a default
  if (!res.mpp && meta.density !== undefined && meta.density > 0 && Math.abs(meta.density - 72) > 0.5 && Math.abs(meta.density - 25.4) > 0.1) {
    const um = 25400 / meta.density;
    res = { mpp: { x: um, y: um }, source: 'sharp density (dpi)', properties: res.properties };
  }

  const level: LevelInfo = { index: 0, width, height, downsample: 1, mpp: res.mpp };
  const properties: Record<string, string> = {
    'image.format': kind,
    'image.width': String(width),
    'image.height': String(height),
    'image.channels': String(meta.channels ?? 3),
    'image.depth': String(meta.depth ?? 'uchar'),
    'image.pages': String(pages),
    ...res.properties,
  };
  if (meta.density !== undefined) properties['sharp.density'] = String(meta.density);
  if (res.mpp) {
    properties['openslide.mpp-x'] = String(res.mpp.x);
    properties['openslide.mpp-y'] = String(res.mpp.y);
  }

  let pixels: Promise<Uint8Array> | undefined;
  let closed = false;
  const decode = async (): Promise<Uint8Array> => {
    try {
      let img = sharp(path, { failOn: 'truncated', limitInputPixels: 0x3fff * 0x3fff, page: 0 }).toColourspace('srgb');
      if (meta.hasAlpha) img = img.flatten({ background: { r: 255, g: 255, b: 255 } });
      const { data, info: out } = await img.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
      if (out.width !== width || out.height !== height || out.channels !== 3) {
        throw new CorruptFileError(
          `The ${kind} file ${path} decoded to ${out.width} x ${out.height} x ${out.channels}, not the ${width} x ${height} RGB its header announces.`,
          { path, plugin: 'image' },
        );
      }
      return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    } catch (cause) {
      if (isBlurmmError(cause)) throw cause;
      const m = message(cause);
      if (/pixel limit/i.test(m)) {
        throw new UnsupportedError(
          `${path} (${width} x ${height}) is too large to decode as a plain image (limit 268 Mpx). Convert it to a tiled pyramidal TIFF, e.g. \`vips tiffsave ${basename(path)} out.tif --tile --pyramid --compression jpeg\`.`,
          { path, plugin: 'image', cause },
        );
      }
      throw new CorruptFileError(`The ${kind} file ${path} could not be decoded (${m}): it is truncated or damaged. Re-export or re-copy it.`, {
        path,
        plugin: 'image',
        cause,
      });
    }
  };
  const getPixels = (): Promise<Uint8Array> => {
    if (!pixels) {
      pixels = decode();
      // a failed decode is retried on the next read rather than cached
      pixels.catch(() => {
        pixels = undefined;
      });
    }
    return pixels;
  };

  return {
    format: kind,
    path,
    width,
    height,
    levels: [level],
    mpp: res.mpp,
    mppSource: res.source,
    properties,
    associatedImages: [],
    async readRegion(req: RegionRequest): Promise<RgbImage> {
      if (closed) throw new ArgumentError(`Cannot read ${path}: the source was closed; open it again with openSlide().`, { path, plugin: 'image' });
      const { x, y, width: w, height: h } = req;
      const cn = req.channels ?? 3;
      if (req.level !== 0) throw invalidArgument('level', `0 (${path} is a plain image with one level)`, req.level);
      if (!Number.isInteger(x) || !Number.isInteger(y)) throw invalidArgument('x, y', 'integer level-0 coordinates', Number.isInteger(x) ? y : x);
      if (!Number.isInteger(w) || w < 1 || !Number.isInteger(h) || h < 1) throw invalidArgument('width, height', 'positive integers', Number.isInteger(w) && w >= 1 ? h : w);
      if (cn !== 3 && cn !== 4) throw invalidArgument('channels', '3 or 4', cn);
      throwIfAborted(req.signal, `read of ${path}`);
      const src = await getPixels();
      throwIfAborted(req.signal, `read of ${path}`);
      const out = new Uint8Array(w * h * cn);
      if (cn === 3) out.fill(255);
      const x0 = Math.max(0, x);
      const x1 = Math.min(width, x + w);
      const y0 = Math.max(0, y);
      const y1 = Math.min(height, y + h);
      if (x1 > x0 && y1 > y0) {
        const n = x1 - x0;
        for (let sy = y0; sy < y1; sy++) {
          const s = (sy * width + x0) * 3;
          const d = ((sy - y) * w + (x0 - x)) * cn;
          if (cn === 3) {
            out.set(src.subarray(s, s + n * 3), d);
          } else {
            for (let i = 0, si = s, di = d; i < n; i++, si += 3, di += 4) {
              out[di] = src[si]!;
              out[di + 1] = src[si + 1]!;
              out[di + 2] = src[si + 2]!;
              out[di + 3] = 255;
            }
          }
        }
      }
      return { data: out, width: w, height: h, channels: cn };
    },
    async close(): Promise<void> {
      closed = true;
      pixels = undefined;
    },
  };
}
