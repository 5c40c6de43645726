/**
 * Regions of interest from GeoJSON (annotations drawn in QuPath): polygons with holes, a fast
 * point-in-region test and a tile filter, so analysis can be limited to annotated tissue.
 */
import { readGeoJsonFile, type ReadObject, type ReadWarning } from './reader.js';

export interface RegionsOfInterest {
  /** polygons (exterior ring first, then holes), level-0 px */
  readonly polygons: readonly (readonly (readonly number[])[][])[];
  /** union bounding box [minX, minY, maxX, maxY]; undefined when empty */
  readonly bounds: readonly [number, number, number, number] | undefined;
  /** true when (x, y) is inside some polygon and outside its holes */
  contains(x: number, y: number): boolean;
  /** true when the centre of the level-0 rectangle is inside (the tile filter) */
  containsTile(tile: { x: number; y: number; width: number; height: number }): boolean;
  readonly warnings: readonly ReadWarning[];
}

export interface RoiOptions {
  /** object types to use; default annotations only */
  readonly objectTypes?: readonly ReadObject['objectType'][];
  /** keep only these classification names (undefined = any, null in the list = unclassified) */
  readonly classifications?: readonly (string | null)[];
  /** added to every x / y (QuPath coordinates of a bounds-cropped slide: pass openslide.bounds-x / -y to get file level-0 px) */
  readonly offsetX?: number;
  readonly offsetY?: number;
}

function ringContains(ring: readonly (readonly number[])[], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const a = ring[i]!, b = ring[j]!;
    if (a[1]! > y !== b[1]! > y && x < ((b[0]! - a[0]!) * (y - a[1]!)) / (b[1]! - a[1]!) + a[0]!) inside = !inside;
  }
  return inside;
}

/** Builds regions of interest from read objects (polygons and multipolygons only). */
export function regionsOfInterest(objects: readonly ReadObject[], options: RoiOptions = {}, warnings: readonly ReadWarning[] = []): RegionsOfInterest {
  const types = new Set(options.objectTypes ?? ['annotation']);
  const classes = options.classifications ? new Set(options.classifications) : undefined;
  const dx = options.offsetX ?? 0, dy = options.offsetY ?? 0;
  const polygons: number[][][][] = [];
  for (const o of objects) {
    if (!types.has(o.objectType)) continue;
    if (classes && !classes.has(o.classification?.name ?? null)) continue;
    const polys = o.geometry.type === 'Polygon' ? [o.geometry.coordinates as number[][][]] : o.geometry.type === 'MultiPolygon' ? (o.geometry.coordinates as number[][][][]) : [];
    for (const p of polys) polygons.push(p.map((ring) => ring.map((pt) => [pt[0]! + dx, pt[1]! + dy])));
  }
  let bounds: [number, number, number, number] | undefined;
  const boxes = polygons.map((p) => {
    let a = Infinity, b = Infinity, c = -Infinity, d = -Infinity;
    for (const pt of p[0] ?? []) {
      a = Math.min(a, pt[0]!);
      b = Math.min(b, pt[1]!);
      c = Math.max(c, pt[0]!);
      d = Math.max(d, pt[1]!);
    }
    bounds = bounds ? [Math.min(bounds[0], a), Math.min(bounds[1], b), Math.max(bounds[2], c), Math.max(bounds[3], d)] : [a, b, c, d];
    return [a, b, c, d] as const;
  });
  const contains = (x: number, y: number): boolean =>
    polygons.some((p, k) => {
      const bx = boxes[k]!;
      if (x < bx[0] || x > bx[2] || y < bx[1] || y > bx[3]) return false;
      if (!ringContains(p[0]!, x, y)) return false;
      for (let h = 1; h < p.length; h++) if (ringContains(p[h]!, x, y)) return false;
      return true;
    });
  return {
    polygons,
    bounds,
    contains,
    containsTile: (t) => contains(t.x + t.width / 2, t.y + t.height / 2),
    warnings,
  };
}

/**
 * Reads regions of interest from a GeoJSON file (QuPath export or blurmm output).
 * @example
 * const roi = await readRegionsOfInterest('annotations.geojson', { classifications: ['Tumor'] });
 * const keep = tiles.filter((t) => roi.containsTile(t));
 */
export async function readRegionsOfInterest(path: string, options: RoiOptions = {}): Promise<RegionsOfInterest> {
  const { objects, warnings } = await readGeoJsonFile(path);
  return regionsOfInterest(objects, options, warnings);
}
