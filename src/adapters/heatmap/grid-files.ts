/**
 * The raw per-tile grid for downstream tools: float32, rows x columns (x bands), NaN where no
 * tile was processed. As an uncompressed little-endian TIFF (SampleFormat IEEE float, GDAL
 * nodata "nan", band names in ImageDescription) and as a NumPy .npy (version 1.0).
 */

export interface Grid {
  readonly rows: number;
  readonly columns: number;
  /** band names (blur outputs) */
  readonly bands: readonly string[];
  /** row-major, band-interleaved: data[(r * columns + c) * bands + b] */
  readonly data: Float32Array;
}

/** An empty (all-NaN) grid. */
export function createGrid(rows: number, columns: number, bands: readonly string[]): Grid {
  return { rows, columns, bands, data: new Float32Array(rows * columns * Math.max(1, bands.length)).fill(NaN) };
}

interface Tag {
  readonly tag: number;
  readonly type: 2 | 3 | 4; // ASCII, SHORT, LONG
  readonly values: readonly number[] | string;
}

/** Encodes a grid as a baseline little-endian TIFF with 32-bit float samples. */
export function encodeFloatTiff(grid: Grid, description: string): Uint8Array {
  const spp = Math.max(1, grid.bands.length);
  const pixelBytes = grid.data.byteLength;
  const tags: Tag[] = [
    { tag: 256, type: 4, values: [grid.columns] },
    { tag: 257, type: 4, values: [grid.rows] },
    { tag: 258, type: 3, values: new Array<number>(spp).fill(32) },
    { tag: 259, type: 3, values: [1] },
    { tag: 262, type: 3, values: [1] },
    { tag: 270, type: 2, values: description },
    { tag: 273, type: 4, values: [0] }, // patched below
    { tag: 277, type: 3, values: [spp] },
    { tag: 278, type: 4, values: [grid.rows] },
    { tag: 279, type: 4, values: [pixelBytes] },
    { tag: 284, type: 3, values: [1] },
    ...(spp > 1 ? [{ tag: 338, type: 3 as const, values: new Array<number>(spp - 1).fill(0) }] : []),
    { tag: 339, type: 3, values: new Array<number>(spp).fill(3) },
    { tag: 42113, type: 2, values: 'nan' },
  ];
  const size = (t: Tag): number => (typeof t.values === 'string' ? t.values.length + 1 : t.values.length * (t.type === 3 ? 2 : 4));
  const ifdOffset = 8;
  const ifdSize = 2 + tags.length * 12 + 4;
  let extra = ifdOffset + ifdSize;
  const extraOffsets = new Map<number, number>();
  for (const t of tags) {
    if (size(t) > 4) {
      extraOffsets.set(t.tag, extra);
      extra += size(t) + (size(t) % 2);
    }
  }
  const dataOffset = extra + ((4 - (extra % 4)) % 4);
  const buf = new Uint8Array(dataOffset + pixelBytes);
  const dv = new DataView(buf.buffer);
  buf[0] = 0x49;
  buf[1] = 0x49;
  dv.setUint16(2, 42, true);
  dv.setUint32(4, ifdOffset, true);
  dv.setUint16(ifdOffset, tags.length, true);
  const put = (t: Tag, at: number): void => {
    if (typeof t.values === 'string') {
      for (let i = 0; i < t.values.length; i++) buf[at + i] = t.values.charCodeAt(i) & 0x7f;
      buf[at + t.values.length] = 0;
    } else {
      t.values.forEach((v, i) => (t.type === 3 ? dv.setUint16(at + i * 2, v, true) : dv.setUint32(at + i * 4, v, true)));
    }
  };
  tags.forEach((t0, k) => {
    const t = t0.tag === 273 ? { ...t0, values: [dataOffset] } : t0;
    const e = ifdOffset + 2 + k * 12;
    dv.setUint16(e, t.tag, true);
    dv.setUint16(e + 2, t.type, true);
    dv.setUint32(e + 4, typeof t.values === 'string' ? t.values.length + 1 : t.values.length, true);
    const off = extraOffsets.get(t.tag);
    if (off !== undefined) {
      dv.setUint32(e + 8, off, true);
      put(t, off);
    } else put(t, e + 8);
  });
  dv.setUint32(ifdOffset + 2 + tags.length * 12, 0, true);
  buf.set(new Uint8Array(grid.data.buffer, grid.data.byteOffset, grid.data.byteLength), dataOffset);
  // TIFF float data is in the file's byte order; Float32Array is little-endian on every platform Node supports
  return buf;
}

/** Encodes a grid as a NumPy .npy (v1.0, '<f4'), shape (rows, columns) or (rows, columns, bands). */
export function encodeNpy(grid: Grid): Uint8Array {
  const shape = grid.bands.length > 1 ? `(${grid.rows}, ${grid.columns}, ${grid.bands.length})` : `(${grid.rows}, ${grid.columns})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const buf = new Uint8Array(10 + header.length + grid.data.byteLength);
  buf.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(buf.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) buf[10 + i] = header.charCodeAt(i);
  buf.set(new Uint8Array(grid.data.buffer, grid.data.byteOffset, grid.data.byteLength), 10 + header.length);
  return buf;
}
