/**
 * The DICOM-WSI file opener: light to import; the reader loads inside `open`.
 */
import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isUrl } from '../../core/open.js';
import type { OpenSourceOptions, SlideSource, SourceOpener } from '../../core/types.js';
import { hasDicmMagic } from './part10.js';

/** A folder with a DICOM Part 10 file among its first 32 regular files (sorted by name). */
function isDicomFolder(target: string): boolean {
  try {
    if (!statSync(target).isDirectory()) return false;
    const files = readdirSync(target, { withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name).sort().slice(0, 32);
    const head = new Uint8Array(132);
    for (const name of files) {
      const fd = openSync(join(target, name), 'r');
      try {
        if (readSync(fd, head, 0, 132, 0) === 132 && hasDicmMagic(head)) return true;
      } finally {
        closeSync(fd);
      }
    }
    return false;
  } catch {
    return false;
  }
}

/**
 * Claims a Part 10 file (DICM magic at byte 128; any extension) or a folder holding one.
 */
export const dicomOpener: SourceOpener = {
  name: 'dicom',
  canOpen(target: string, head: Uint8Array | undefined): boolean {
    if (isUrl(target)) return false;
    if (head) return hasDicmMagic(head);
    return isDicomFolder(target);
  },
  async open(target: string, options: OpenSourceOptions): Promise<SlideSource> {
    const { openDicomSeries } = await import('./open-local.js');
    return openDicomSeries(target, options);
  },
};
