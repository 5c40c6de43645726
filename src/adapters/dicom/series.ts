/**
 * Series assembly for DICOM-WSI, shared by the file reader and the DICOMweb reader: instances
 * (as DICOM JSON datasets) become pyramid levels with a tile -> (instance, frame) map, and
 * LABEL/OVERVIEW/THUMBNAIL instances become associated images.
 */
import { FormatError } from '../../core/errors.js';
import type { Mpp } from '../../core/types.js';
import type { FrameFormat } from './codecs.js';
import { TAG, WSI_SOP_CLASS, item, num, seq, str, strs, type DicomJsonDataset } from './dataset.js';

/** One instance of a WSI series, parsed enough to place its frames. */
export interface WsiInstance {
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly dataset: DicomJsonDataset;
  /** e.g. `file /data/level-0.dcm` or `instance 2.25.123` (for messages) */
  readonly label: string;
  /** image flavour from ImageType[2] (VOLUME, LABEL, OVERVIEW, THUMBNAIL), VOLUME when absent */
  readonly flavor: string;
  readonly totalColumns: number;
  readonly totalRows: number;
  readonly numberOfFrames: number;
  readonly format: FrameFormat;
}

/** Where a tile is stored. */
export interface TileRef {
  readonly instance: WsiInstance;
  /** 1-based frame number within the instance */
  readonly frame: number;
}

export interface WsiLevel {
  readonly width: number;
  readonly height: number;
  readonly tileWidth: number;
  readonly tileHeight: number;
  readonly tilesAcross: number;
  readonly tilesDown: number;
  readonly mpp: Mpp | undefined;
  readonly instances: readonly WsiInstance[];
  /** how frames were located: "TILED_FULL" (implicit order) or "positions" (per-frame PlanePositionSlide) */
  readonly organization: 'TILED_FULL' | 'positions';
  /** key `row * tilesAcross + col`; a missing key is a missing (background) tile */
  readonly tiles: ReadonlyMap<number, TileRef>;
}

export interface WsiSeries {
  readonly studyInstanceUid: string | undefined;
  readonly seriesInstanceUid: string;
  /** finest first */
  readonly levels: readonly WsiLevel[];
  /** name ("label", "macro", "thumbnail") -> instance */
  readonly associated: ReadonlyMap<string, WsiInstance>;
  /** dataset of the level-0 instance, for properties */
  readonly base: DicomJsonDataset;
}

/**
 * Reads what the reader needs from one instance dataset. `transferSyntax` overrides the dataset's
 * (0002,0010), which DICOMweb metadata may lack. Throws FormatError for non-WSI instances.
 */
export function describeInstance(ds: DicomJsonDataset, label: string, transferSyntax: string | undefined): WsiInstance {
  const sop = str(ds, TAG.SOPInstanceUID) ?? label;
  const sopClass = str(ds, TAG.SOPClassUID);
  const totalColumns = num(ds, TAG.TotalPixelMatrixColumns);
  const totalRows = num(ds, TAG.TotalPixelMatrixRows);
  if (sopClass !== WSI_SOP_CLASS && (totalColumns === undefined || totalRows === undefined)) {
    throw new FormatError(
      `${label} is not a DICOM whole-slide image (SOP class ${sopClass ?? 'missing'}, expected VL Whole Slide Microscopy Image Storage ${WSI_SOP_CLASS}, and no TotalPixelMatrixColumns/Rows). blurmm reads DICOM-WSI series only.`,
      { location: label, data: { sopClass } },
    );
  }
  const columns = num(ds, TAG.Columns);
  const rows = num(ds, TAG.Rows);
  if (columns === undefined || rows === undefined || columns <= 0 || rows <= 0) {
    throw new FormatError(`${label} has no valid Rows/Columns (tile size); the instance is incomplete.`, { location: label });
  }
  const imageType = strs(ds, TAG.ImageType).map((s) => s.toUpperCase());
  return {
    sopInstanceUid: sop,
    seriesInstanceUid: str(ds, TAG.SeriesInstanceUID) ?? '',
    dataset: ds,
    label,
    flavor: imageType[2] ?? 'VOLUME',
    totalColumns: totalColumns ?? columns,
    totalRows: totalRows ?? rows,
    numberOfFrames: Math.max(1, Math.trunc(num(ds, TAG.NumberOfFrames) ?? 1)),
    format: {
      transferSyntax: transferSyntax ?? str(ds, TAG.TransferSyntaxUID) ?? '1.2.840.10008.1.2.1',
      rows,
      columns,
      samplesPerPixel: num(ds, TAG.SamplesPerPixel) ?? 3,
      bitsAllocated: num(ds, TAG.BitsAllocated) ?? 8,
      photometric: str(ds, TAG.PhotometricInterpretation) ?? 'RGB',
      planarConfiguration: num(ds, TAG.PlanarConfiguration) ?? 0,
    },
  };
}

/** Level mpp from the shared PixelMeasures PixelSpacing ([row, column] spacing in mm). */
export function pixelSpacingMpp(ds: DicomJsonDataset): Mpp | undefined {
  const measures = item(item(ds, TAG.SharedFunctionalGroupsSequence), TAG.PixelMeasuresSequence) ?? ds;
  const row = num(measures, TAG.PixelSpacing, 0);
  const col = num(measures, TAG.PixelSpacing, 1);
  if (row === undefined || col === undefined || row <= 0 || col <= 0) return undefined;
  return { x: col * 1000, y: row * 1000 };
}

function opticalPathOf(group: DicomJsonDataset | undefined): string | undefined {
  return str(item(group, TAG.OpticalPathIdentificationSequence) ?? {}, TAG.OpticalPathIdentifier);
}

/**
 * Places the frames of one level's instances. TILED_FULL: frame = 1 + col + nx*row + nx*ny*z +
 * nx*ny*nz*path (only z = 0, path = 0 kept). TILED_SPARSE, or no DimensionOrganizationType with
 * per-frame positions: from PlanePositionSlideSequence, keeping the first focal plane and optical path.
 */
function placeFrames(instances: readonly WsiInstance[], nx: number, ny: number, tw: number, th: number): Pick<WsiLevel, 'tiles' | 'organization'> {
  const tiles = new Map<number, TileRef>();
  const perFrame = (inst: WsiInstance): DicomJsonDataset[] => seq(inst.dataset, TAG.PerFrameFunctionalGroupsSequence);
  const positioned = instances.every((inst) => {
    const type = str(inst.dataset, TAG.DimensionOrganizationType);
    if (type === 'TILED_FULL') return false;
    const groups = perFrame(inst);
    return groups.length > 0 && item(groups[0], TAG.PlanePositionSlideSequence) !== undefined;
  });
  if (!positioned) {
    for (const inst of instances) {
      const offset = num(inst.dataset, TAG.ConcatenationFrameOffsetNumber) ?? 0;
      for (let f = 1; f <= inst.numberOfFrames; f++) {
        const g = offset + f - 1;
        if (g >= nx * ny) break; // later focal planes / optical paths
        tiles.set(g, { instance: inst, frame: f });
      }
    }
    return { tiles, organization: 'TILED_FULL' };
  }
  // the plane and path of the very first frame are the ones kept
  const first = perFrame(instances[0]!)[0];
  const z0 = num(item(first, TAG.PlanePositionSlideSequence) ?? {}, TAG.ZOffsetInSlideCoordinateSystem);
  const sharedPath = opticalPathOf(item(instances[0]!.dataset, TAG.SharedFunctionalGroupsSequence));
  const path0 = opticalPathOf(first) ?? sharedPath;
  for (const inst of instances) {
    const groups = perFrame(inst);
    groups.forEach((group, i) => {
      const pos = item(group, TAG.PlanePositionSlideSequence);
      if (!pos) return;
      const z = num(pos, TAG.ZOffsetInSlideCoordinateSystem);
      if (z0 !== undefined && z !== undefined && Math.abs(z - z0) > 1e-9) return;
      const path = opticalPathOf(group) ?? sharedPath;
      if (path0 !== undefined && path !== undefined && path !== path0) return;
      const c = num(pos, TAG.ColumnPositionInTotalImagePixelMatrix);
      const r = num(pos, TAG.RowPositionInTotalImagePixelMatrix);
      if (c === undefined || r === undefined) return;
      const col = Math.floor((c - 1) / tw);
      const row = Math.floor((r - 1) / th);
      if (col < 0 || row < 0 || col >= nx || row >= ny) return;
      const key = row * nx + col;
      if (!tiles.has(key)) tiles.set(key, { instance: inst, frame: i + 1 });
    });
  }
  return { tiles, organization: 'positions' };
}

/** Groups instances into levels (by total pixel matrix size) and associated images. */
export function assembleSeries(instances: readonly WsiInstance[], where: string): WsiSeries {
  const bySop = new Map<string, WsiInstance>();
  for (const inst of instances) if (!bySop.has(inst.sopInstanceUid)) bySop.set(inst.sopInstanceUid, inst);
  const unique = [...bySop.values()];
  const associated = new Map<string, WsiInstance>();
  const groups = new Map<string, WsiInstance[]>();
  for (const inst of unique) {
    const flavor = inst.flavor;
    if (flavor === 'LABEL' || flavor === 'OVERVIEW' || flavor === 'THUMBNAIL') {
      const name = flavor === 'LABEL' ? 'label' : flavor === 'OVERVIEW' ? 'macro' : 'thumbnail';
      if (!associated.has(name)) associated.set(name, inst);
      continue;
    }
    const key = `${inst.totalColumns}x${inst.totalRows}`;
    const list = groups.get(key) ?? [];
    list.push(inst);
    groups.set(key, list);
  }
  if (groups.size === 0) {
    throw new FormatError(`${where} holds no VOLUME image instance (only ${[...associated.keys()].join(', ') || 'nothing'}); it is not a readable slide pyramid.`, { path: where });
  }
  const levels: WsiLevel[] = [];
  for (const list of groups.values()) {
    list.sort((a, b) => (num(a.dataset, TAG.ConcatenationFrameOffsetNumber) ?? 0) - (num(b.dataset, TAG.ConcatenationFrameOffsetNumber) ?? 0));
    const head = list[0]!;
    const tw = head.format.columns;
    const th = head.format.rows;
    const odd = list.find((i) => i.format.columns !== tw || i.format.rows !== th);
    if (odd) {
      throw new FormatError(`${where}: ${odd.label} has tiles of ${odd.format.columns}x${odd.format.rows} px but ${head.label} of the same level ${tw}x${th}; blurmm expects one tile size per level.`, { path: where });
    }
    const nx = Math.ceil(head.totalColumns / tw);
    const ny = Math.ceil(head.totalRows / th);
    levels.push({
      width: head.totalColumns,
      height: head.totalRows,
      tileWidth: tw,
      tileHeight: th,
      tilesAcross: nx,
      tilesDown: ny,
      mpp: pixelSpacingMpp(head.dataset),
      instances: list,
      ...placeFrames(list, nx, ny, tw, th),
    });
  }
  levels.sort((a, b) => b.width * b.height - a.width * a.height);
  const base = levels[0]!.instances[0]!;
  return {
    studyInstanceUid: str(base.dataset, TAG.StudyInstanceUID),
    seriesInstanceUid: base.seriesInstanceUid,
    levels,
    associated,
    base: base.dataset,
  };
}
