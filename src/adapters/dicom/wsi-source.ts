/**
 * The SlideSource over an assembled DICOM-WSI series. Frame bytes come from a
 * {@link FrameProvider} (local files or DICOMweb); decoded tiles go through the shared tile cache
 * and regions are composed with the shared tiled-region reader.
 */
import { NotFoundError, invalidArgument, throwIfAborted } from '../../core/errors.js';
import type { LevelInfo, Mpp, RegionRequest, RgbImage, SlideSource } from '../../core/types.js';
import { TileCache } from '../shared/tile-cache.js';
import { toLevelRegion } from '../shared/region-request.js';
import { readTiledRegion } from '../shared/tiled-region.js';
import { TAG, str, strs, values, type DicomJsonDataset } from './dataset.js';
import type { TileRef, WsiInstance, WsiSeries } from './series.js';

/** Decodes the frames of a series, wherever they are stored. */
export interface FrameProvider {
  /** frame `ref.frame` of `ref.instance` decoded to RGB (full stored tile size) */
  readFrame(ref: TileRef, where: string, signal?: AbortSignal): Promise<RgbImage>;
  close(): Promise<void>;
}

export interface DicomWsiSourceInit {
  readonly format: string;
  readonly path: string;
  readonly series: WsiSeries;
  readonly provider: FrameProvider;
  /** decoded tile cache in bytes (default 64 MiB; 0 disables) */
  readonly tileCacheBytes?: number | undefined;
  /** frames fetched at once per region (default 8) */
  readonly maxInFlight?: number | undefined;
  /** extra `dicom.*` properties from the reader (e.g. how frames were indexed) */
  readonly properties?: Readonly<Record<string, string>>;
}

const PROPERTY_TAGS: readonly (keyof typeof TAG)[] = [
  'SOPClassUID', 'StudyInstanceUID', 'SeriesInstanceUID', 'Modality', 'Manufacturer', 'ManufacturerModelName', 'DeviceSerialNumber',
  'SoftwareVersions', 'StudyDate', 'AccessionNumber', 'SeriesDescription', 'PatientID', 'ContainerIdentifier', 'ImageType',
  'DimensionOrganizationType', 'PhotometricInterpretation', 'TransferSyntaxUID', 'LossyImageCompression',
  'TotalPixelMatrixFocalPlanes', 'NumberOfOpticalPaths', 'ImagedVolumeWidth', 'ImagedVolumeHeight',
];

function valueText(ds: DicomJsonDataset, tag: string): string | undefined {
  const v = values(ds, tag);
  if (v.length === 0) return undefined;
  return v.length === 1 ? str(ds, tag) : strs(ds, tag).join('\\');
}

/** A lazily read DICOM-WSI pyramid (see {@link SlideSource}). */
export class DicomWsiSource implements SlideSource {
  readonly format: string;
  readonly path: string;
  readonly width: number;
  readonly height: number;
  readonly levels: readonly LevelInfo[];
  readonly mpp: Mpp | undefined;
  readonly mppSource: string;
  readonly properties: Readonly<Record<string, string>>;
  readonly associatedImages: readonly string[];
  readonly series: WsiSeries;
  readonly #provider: FrameProvider;
  readonly #cache: TileCache;
  readonly #maxInFlight: number;
  #closed = false;

  constructor(init: DicomWsiSourceInit) {
    const { series } = init;
    this.format = init.format;
    this.path = init.path;
    this.series = series;
    this.#provider = init.provider;
    this.#cache = new TileCache(init.tileCacheBytes ?? 64 * 1024 * 1024);
    this.#maxInFlight = init.maxInFlight ?? 8;
    const l0 = series.levels[0]!;
    this.width = l0.width;
    this.height = l0.height;
    this.levels = series.levels.map((l, index) => ({
      index,
      width: l.width,
      height: l.height,
      downsample: (l0.width / l.width + l0.height / l.height) / 2,
      mpp: l.mpp,
      tileWidth: l.tileWidth,
      tileHeight: l.tileHeight,
    }));
    this.mpp = l0.mpp;
    this.mppSource = l0.mpp ? 'dicom PixelSpacing (mm)' : 'unknown';
    const props: Record<string, string> = {};
    for (const key of PROPERTY_TAGS) {
      const v = valueText(series.base, TAG[key]);
      if (v !== undefined) props[`dicom.${key}`] = v;
    }
    props['dicom.TransferSyntaxUID'] ??= l0.instances[0]!.format.transferSyntax;
    series.levels.forEach((l, i) => {
      props[`dicom.level[${i}].SOPInstanceUIDs`] = l.instances.map((x) => x.sopInstanceUid).join('\\');
      props[`dicom.level[${i}].organization`] = l.organization;
      props[`dicom.level[${i}].tiles-present`] = `${l.tiles.size} of ${l.tilesAcross * l.tilesDown}`;
    });
    if (l0.mpp) {
      props['openslide.mpp-x'] = String(l0.mpp.x);
      props['openslide.mpp-y'] = String(l0.mpp.y);
    }
    Object.assign(props, init.properties ?? {});
    this.properties = props;
    this.associatedImages = [...series.associated.keys()];
  }

  #where(ref: TileRef, level: number, col: number, row: number): string {
    return `DICOM series ${this.series.seriesInstanceUid} (${this.path}), ${ref.instance.label}, frame ${ref.frame} (level ${level}, tile (${col}, ${row}))`;
  }

  async readRegion(request: RegionRequest): Promise<RgbImage> {
    if (this.#closed) throw invalidArgument('source', 'an open slide (close() was called)', 'closed');
    const r = toLevelRegion(request, this.levels);
    const index = r.level;
    const level = this.series.levels[index]!;
    const signal = request.signal;
    throwIfAborted(signal, 'region read');
    return readTiledRegion({
      level,
      x: r.x,
      y: r.y,
      width: r.width,
      height: r.height,
      channels: r.channels,
      signal,
      maxInFlight: this.#maxInFlight,
      getTile: (col, row) => {
        const ref = level.tiles.get(row * level.tilesAcross + col);
        if (!ref) return Promise.resolve(null);
        return this.#cache.getOrLoad(`${index}/${col}/${row}`, () => this.#provider.readFrame(ref, this.#where(ref, index, col, row), signal));
      },
    });
  }

  async readAssociatedImage(name: string, options: { signal?: AbortSignal } = {}): Promise<RgbImage> {
    const inst: WsiInstance | undefined = this.series.associated.get(name);
    if (!inst) {
      throw new NotFoundError(`DICOM series ${this.series.seriesInstanceUid} has no associated image "${name}"; it has: ${this.associatedImages.join(', ') || 'none'}.`, { path: this.path });
    }
    const tw = inst.format.columns;
    const th = inst.format.rows;
    const nx = Math.ceil(inst.totalColumns / tw);
    return readTiledRegion({
      level: { width: inst.totalColumns, height: inst.totalRows, tileWidth: tw, tileHeight: th },
      x: 0,
      y: 0,
      width: inst.totalColumns,
      height: inst.totalRows,
      channels: 3,
      signal: options.signal,
      getTile: (col, row) => {
        const frame = 1 + col + nx * row;
        if (frame > inst.numberOfFrames) return Promise.resolve(null);
        return this.#provider.readFrame({ instance: inst, frame }, `DICOM series ${this.series.seriesInstanceUid}, ${name} image ${inst.label}, frame ${frame}`, options.signal);
      },
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#cache.clear();
    await this.#provider.close();
  }
}
