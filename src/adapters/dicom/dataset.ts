/**
 * DICOM datasets in the DICOM JSON model (PS3.18 F.2): the shape DICOMweb `/metadata` returns,
 * and the shape the local Part 10 parser produces, so series assembly is shared by both.
 */

export interface DicomJsonElement {
  readonly vr: string;
  readonly Value?: readonly unknown[];
  readonly InlineBinary?: string;
  readonly BulkDataURI?: string;
}

/** Keys are 8 upper-case hex digits, group then element ("00280010"). */
export type DicomJsonDataset = Readonly<Record<string, DicomJsonElement>>;

/** Tags used by the WSI reader, as DICOM JSON keys. */
export const TAG = {
  TransferSyntaxUID: '00020010',
  ImageType: '00080008',
  SOPClassUID: '00080016',
  SOPInstanceUID: '00080018',
  Modality: '00080060',
  Manufacturer: '00080070',
  StudyDate: '00080020',
  AccessionNumber: '00080050',
  SeriesDescription: '0008103E',
  ManufacturerModelName: '00081090',
  PatientID: '00100020',
  DeviceSerialNumber: '00181000',
  SoftwareVersions: '00181020',
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  InstanceNumber: '00200013',
  ConcatenationFrameOffsetNumber: '00209228',
  ConcatenationUID: '00209161',
  InConcatenationNumber: '00209162',
  DimensionOrganizationType: '00209311',
  SamplesPerPixel: '00280002',
  PhotometricInterpretation: '00280004',
  PlanarConfiguration: '00280006',
  NumberOfFrames: '00280008',
  Rows: '00280010',
  Columns: '00280011',
  PixelSpacing: '00280030',
  BitsAllocated: '00280100',
  BitsStored: '00280101',
  PixelRepresentation: '00280103',
  LossyImageCompression: '00282110',
  PixelMeasuresSequence: '00289110',
  ZOffsetInSlideCoordinateSystem: '0040074A',
  ContainerIdentifier: '00400512',
  ImagedVolumeWidth: '00480001',
  ImagedVolumeHeight: '00480002',
  TotalPixelMatrixColumns: '00480006',
  TotalPixelMatrixRows: '00480007',
  OpticalPathIdentifier: '00480106',
  OpticalPathIdentificationSequence: '00480207',
  PlanePositionSlideSequence: '0048021A',
  ColumnPositionInTotalImagePixelMatrix: '0048021E',
  RowPositionInTotalImagePixelMatrix: '0048021F',
  NumberOfOpticalPaths: '00480302',
  TotalPixelMatrixFocalPlanes: '00480303',
  SharedFunctionalGroupsSequence: '52009229',
  PerFrameFunctionalGroupsSequence: '52009230',
  ExtendedOffsetTable: '7FE00001',
  ExtendedOffsetTableLengths: '7FE00002',
  PixelData: '7FE00010',
} as const;

/** The VL Whole Slide Microscopy Image Storage SOP class. */
export const WSI_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.77.1.6';

/** The values of `tag`, or an empty list. */
export function values(ds: DicomJsonDataset, tag: string): readonly unknown[] {
  return ds[tag]?.Value ?? [];
}

/** The first value of `tag` as a string (PN as its Alphabetic form), or undefined. */
export function str(ds: DicomJsonDataset, tag: string): string | undefined {
  const v = values(ds, tag)[0];
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (v !== null && typeof v === 'object' && 'Alphabetic' in v) return String((v as { Alphabetic: unknown }).Alphabetic);
  return undefined;
}

/** Every value of `tag` as strings. */
export function strs(ds: DicomJsonDataset, tag: string): string[] {
  return values(ds, tag).map((v) => (typeof v === 'string' ? v : String(v)));
}

/** The `i`-th value of `tag` as a finite number, or undefined. */
export function num(ds: DicomJsonDataset, tag: string, i = 0): number | undefined {
  const v = values(ds, tag)[i];
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** The items of sequence `tag`. */
export function seq(ds: DicomJsonDataset, tag: string): DicomJsonDataset[] {
  return values(ds, tag).filter((v): v is DicomJsonDataset => v !== null && typeof v === 'object' && !('Alphabetic' in v));
}

/** The first item of sequence `tag`, or undefined. */
export function item(ds: DicomJsonDataset | undefined, tag: string): DicomJsonDataset | undefined {
  return ds ? seq(ds, tag)[0] : undefined;
}
