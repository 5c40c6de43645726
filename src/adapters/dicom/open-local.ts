/**
 * Opens a DICOM-WSI series from local Part 10 files: one file (its series' sibling files in the
 * same folder are found too), a folder, or an explicit list of files.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ArgumentError, CorruptFileError, FormatError, NotFoundError, isBlurmmError } from '../../core/errors.js';
import type { OpenSourceOptions, RgbImage } from '../../core/types.js';
import { openFileSource, type ByteSource } from '../shared/byte-source.js';
import { decodeFrame } from './codecs.js';
import { TAG, str } from './dataset.js';
import { indexFrames, type FrameReader } from './frame-index.js';
import { hasDicmMagic, readPart10Header } from './part10.js';
import { assembleSeries, describeInstance, type TileRef, type WsiInstance } from './series.js';
import { DicomWsiSource, type FrameProvider } from './wsi-source.js';

/** Options of {@link openDicomSeries} beyond the common ones. */
export interface DicomOpenOptions extends OpenSourceOptions {
  /** SeriesInstanceUID to read when the files hold several series */
  readonly series?: string;
  /** given one file, also read the other files of its series in the same folder (default true) */
  readonly dicomSiblings?: boolean;
}

async function isDicomFile(path: string): Promise<boolean> {
  try {
    const fh = await open(path, 'r');
    try {
      const head = new Uint8Array(132);
      const { bytesRead } = await fh.read(head, 0, 132, 0);
      return bytesRead === 132 && hasDicmMagic(head);
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}

async function dicomFilesIn(folder: string): Promise<string[]> {
  const names = (await readdir(folder, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => join(folder, d.name)).sort();
  const checks = await Promise.all(names.map(async (p) => ((await isDicomFile(p)) ? p : undefined)));
  return checks.filter((p): p is string => p !== undefined);
}

interface OpenedFile {
  readonly source: ByteSource;
  readonly instance: WsiInstance;
  readonly frames: FrameReader;
}

async function openFile(path: string): Promise<OpenedFile> {
  const source = await openFileSource(path, 'DICOM file');
  try {
    const header = await readPart10Header(source);
    const sop = str(header.dataset, TAG.SOPInstanceUID) ?? '?';
    const instance = describeInstance(header.dataset, `file ${path} (instance ${sop})`, header.transferSyntax);
    const frames = await indexFrames(source, header, `DICOM file ${path} (instance ${sop})`);
    return { source, instance, frames };
  } catch (err) {
    await source.close();
    throw err;
  }
}

class LocalFrameProvider implements FrameProvider {
  readonly #files: ReadonlyMap<string, OpenedFile>;
  constructor(files: ReadonlyMap<string, OpenedFile>) {
    this.#files = files;
  }

  async readFrame(ref: TileRef, where: string): Promise<RgbImage> {
    const file = this.#files.get(ref.instance.sopInstanceUid)!;
    let bytes: Uint8Array;
    try {
      bytes = await file.frames.readFrame(ref.frame);
    } catch (err) {
      if (isBlurmmError(err, 'E_CORRUPT')) {
        throw new CorruptFileError(`${where}: ${err.message}`, { cause: err, path: file.source.path, location: where });
      }
      throw err;
    }
    return decodeFrame(bytes, ref.instance.format, where);
  }

  async close(): Promise<void> {
    await Promise.all([...this.#files.values()].map((f) => f.source.close()));
  }
}

/**
 * Opens a DICOM-WSI series from a file, a folder, or a list of files. Reads headers and offset
 * tables only; frames are read when a region needs them.
 *
 * @example
 * const slide = await openDicomSeries('/data/slide-folder');
 * const rgb = await slide.readRegion({ x: 0, y: 0, width: 512, height: 512, level: 0 });
 */
export async function openDicomSeries(target: string | readonly string[], options: DicomOpenOptions = {}): Promise<DicomWsiSource> {
  let paths: string[];
  let label: string;
  let wantSeries = options.series;
  let fromFile: string | undefined;
  if (typeof target === 'string') {
    label = target;
    const info = await stat(target).catch((cause: unknown) => {
      throw new NotFoundError(`Cannot open ${target}: no such DICOM file or folder.`, { path: target, cause });
    });
    if (info.isDirectory()) {
      paths = await dicomFilesIn(target);
      if (paths.length === 0) throw new FormatError(`Folder ${target} holds no DICOM Part 10 file (none has "DICM" at byte 128).`, { path: target });
    } else if (options.dicomSiblings === false) {
      paths = [target];
    } else {
      fromFile = target;
      paths = [target, ...(await dicomFilesIn(dirname(target))).filter((p) => basename(p) !== basename(target))];
    }
  } else {
    if (target.length === 0) throw new ArgumentError('Expected at least one DICOM file path for target but received an empty list', { pointer: 'target' });
    paths = [...target];
    label = target[0]!;
  }

  const opened: OpenedFile[] = [];
  try {
    for (const p of paths) {
      try {
        opened.push(await openFile(p));
      } catch (err) {
        // siblings that are not WSI (or unreadable) are skipped; the files asked for are not
        if (fromFile !== undefined && p !== fromFile) continue;
        throw err;
      }
    }
    if (fromFile !== undefined) wantSeries ??= opened[0]?.instance.seriesInstanceUid;
    const seriesUids = [...new Set(opened.map((f) => f.instance.seriesInstanceUid))];
    if (wantSeries === undefined && seriesUids.length > 1) {
      throw new FormatError(
        `${label} holds ${seriesUids.length} DICOM series (${seriesUids.join(', ')}); open one file of the series you want, or pass the option series: "<SeriesInstanceUID>".`,
        { path: label, data: { series: seriesUids } },
      );
    }
    const chosen = wantSeries === undefined ? opened : opened.filter((f) => f.instance.seriesInstanceUid === wantSeries);
    if (chosen.length === 0) throw new NotFoundError(`${label} holds no instance of DICOM series ${wantSeries ?? '?'}; it has ${seriesUids.join(', ')}.`, { path: label });
    for (const f of opened) if (!chosen.includes(f)) await f.source.close();
    const series = assembleSeries(chosen.map((f) => f.instance), label);
    const files = new Map(chosen.map((f) => [f.instance.sopInstanceUid, f] as const));
    const kinds = [...new Set(chosen.map((f) => f.frames.kind))].join(',');
    return new DicomWsiSource({
      format: 'dicom',
      path: label,
      series,
      provider: new LocalFrameProvider(files),
      tileCacheBytes: options.tileCacheBytes,
      maxInFlight: options.http?.maxInFlight,
      properties: { 'dicom.frame-index': kinds, 'dicom.files': String(chosen.length) },
    });
  } catch (err) {
    await Promise.all(opened.map((f) => f.source.close().catch(() => undefined)));
    throw err;
  }
}
