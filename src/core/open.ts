import { open as openFile, stat } from 'node:fs/promises';
import { FormatError, NotFoundError, invalidArgument } from './errors.js';
import { sourceRegistry } from './registries.js';
import type { OpenSourceOptions, SlideSource } from './types.js';

export function isUrl(target: string): boolean {
  return /^https?:\/\//i.test(target);
}

async function readHead(path: string): Promise<Uint8Array | undefined> {
  const info = await stat(path).catch((cause: unknown) => {
    throw new NotFoundError(`Cannot open ${path}: no such file or folder. Check the path (relative paths resolve from ${process.cwd()}).`, { path, cause });
  });
  if (info.isDirectory()) return undefined;
  const fh = await openFile(path, 'r');
  try {
    const buf = new Uint8Array(Math.min(512, info.size));
    await fh.read(buf, 0, buf.length, 0);
    return buf;
  } finally {
    await fh.close();
  }
}

/**
 * Opens a slide (file, folder or URL) with the first registered opener that recognises it.
 * A recognised but damaged file raises that opener's error; an unrecognised one a FormatError.
 */
export async function openSlide(target: string, options: OpenSourceOptions = {}): Promise<SlideSource> {
  if (typeof target !== 'string' || target.length === 0) throw invalidArgument('target', 'a file path, folder or http(s) URL', target);
  const head = isUrl(target) ? undefined : await readHead(target);
  for (const { value: opener } of sourceRegistry.ordered()) {
    if (opener.canOpen(target, head)) return opener.open(target, options);
  }
  throw new FormatError(
    `Cannot open ${target}: not a format blurmm reads (registered readers: ${sourceRegistry.names().join(', ') || 'none'}). Supported: PNG, JPEG, TIFF/BigTIFF/SVS/OME-TIFF, DICOM-WSI files and DICOMweb series URLs.`,
    { path: target },
  );
}
