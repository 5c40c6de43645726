/**
 * Plain images (PNG, JPEG, single-level TIFF) as one-level slides, decoded by sharp (libvips).
 * This module is light: sharp and the source code load only inside `open`.
 */
import { isUrl } from '../../core/open.js';
import { isTiffHead } from '../tiff/opener.js';
import type { OpenSourceOptions, SlideSource, SourceOpener } from '../../core/types.js';

/** The kind of plain image the first bytes announce, if any. */
export function sniffImage(head: Uint8Array | undefined): 'png' | 'jpeg' | 'tiff' | undefined {
  if (!head || head.length < 4) return undefined;
  const [a, b, c, d] = [head[0], head[1], head[2], head[3]];
  if (a === 0x89 && b === 0x50 && c === 0x4e && d === 0x47) return 'png';
  if (a === 0xff && b === 0xd8 && c === 0xff) return 'jpeg';
  if (isTiffHead(head)) return 'tiff';
  return undefined;
}

/**
 * Opener "image": PNG, JPEG and TIFF files (TIFF as the fallback of the TIFF-family readers,
 * which register at a higher priority). Register with `registerSourceOpener(imageOpener, 0)`.
 */
export const imageOpener: SourceOpener = {
  name: 'image',
  canOpen(target: string, head: Uint8Array | undefined): boolean {
    return !isUrl(target) && sniffImage(head) !== undefined;
  },
  async open(target: string, options: OpenSourceOptions): Promise<SlideSource> {
    const { openImageSource } = await import('./source.js');
    return openImageSource(target, options);
  },
};
