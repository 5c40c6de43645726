/**
 * The TIFF-family source opener. Light: it sniffs the header here and loads the reader (and,
 * through it, sharp) only inside `open`.
 */
import type { OpenSourceOptions, SlideSource, SourceOpener } from '../../core/types.js';

/** True when `head` starts with a TIFF (II*\0 / MM\0*) or BigTIFF (+) header. */
export function isTiffHead(head: Uint8Array | undefined): boolean {
  if (!head || head.length < 4) return false;
  const ii = head[0] === 0x49 && head[1] === 0x49 && (head[2] === 42 || head[2] === 43) && head[3] === 0;
  const mm = head[0] === 0x4d && head[1] === 0x4d && head[2] === 0 && (head[3] === 42 || head[3] === 43);
  return ii || mm;
}

/** Opens TIFF, BigTIFF, SVS and OME-TIFF files (register with priority 10). */
export const tiffOpener: SourceOpener = {
  name: 'tiff',
  canOpen(target: string, head: Uint8Array | undefined): boolean {
    return isTiffHead(head);
  },
  async open(target: string, options: OpenSourceOptions): Promise<SlideSource> {
    const { openTiffSlide } = await import('./tiff-source.js');
    return openTiffSlide(target, options);
  },
};
