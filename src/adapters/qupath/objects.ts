/**
 * QuPath-like objects: PathClass, ROI and PathObject with measurement and metadata maps,
 * named after QuPath's (qupath.lib.objects / qupath.lib.roi) so scripts port with little change.
 */
import { randomUUID } from 'node:crypto';
import type { Rgb } from '../geojson/classes.js';

/** A classification: a name (derived classes joined by ": ") and a colour. */
export interface PathClass {
  readonly name: string;
  readonly color: Rgb;
  /** QuPath's packed colour int (alpha 255) */
  getColor(): number;
  getName(): string;
  toString(): string;
}

/** QuPath's ColorTools.packRGB / getColorRGB: 0xAARRGGBB as a signed 32-bit int. */
export function getColorRGB(r: number, g: number, b: number): number {
  return ((255 << 24) | ((r & 255) << 16) | ((g & 255) << 8) | (b & 255)) | 0;
}

/** [r, g, b] from a packed int. */
export function unpackRGB(rgb: number): Rgb {
  const u = rgb >>> 0;
  return [(u >> 16) & 255, (u >> 8) & 255, u & 255];
}

export type RoiType = 'rectangle' | 'polygon' | 'multipolygon' | 'point' | 'line';

/** A region of interest in level-0 pixel coordinates, with its GeoJSON geometry. */
export class ROI {
  readonly type: RoiType;
  readonly geometry: { readonly type: string; readonly coordinates: unknown };
  readonly #bounds: readonly [number, number, number, number];
  readonly #area: number;
  readonly #centroid: readonly [number, number];

  constructor(type: RoiType, geometry: { type: string; coordinates: unknown }) {
    this.type = type;
    this.geometry = geometry;
    const pts: number[][] = [];
    const collect = (c: unknown): void => {
      if (Array.isArray(c) && typeof c[0] === 'number') pts.push(c as number[]);
      else if (Array.isArray(c)) c.forEach(collect);
    };
    collect(geometry.coordinates);
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const p of pts) {
      minX = Math.min(minX, p[0]!);
      minY = Math.min(minY, p[1]!);
      maxX = Math.max(maxX, p[0]!);
      maxY = Math.max(maxY, p[1]!);
    }
    this.#bounds = pts.length ? [minX, minY, maxX, maxY] : [0, 0, 0, 0];
    // area and centroid of polygons (exterior minus holes), by the shoelace formula
    let area = 0, cx = 0, cy = 0;
    const polys = geometry.type === 'Polygon' ? [geometry.coordinates as number[][][]] : geometry.type === 'MultiPolygon' ? (geometry.coordinates as number[][][][]) : [];
    for (const poly of polys) {
      poly.forEach((ring, k) => {
        let a = 0, x = 0, y = 0;
        for (let i = 0; i + 1 < ring.length; i++) {
          const p = ring[i]!, q = ring[i + 1]!;
          const cross = p[0]! * q[1]! - q[0]! * p[1]!;
          a += cross;
          x += (p[0]! + q[0]!) * cross;
          y += (p[1]! + q[1]!) * cross;
        }
        const sign = (k === 0 ? 1 : -1) * Math.sign(a || 1);
        area += (sign * a) / 2;
        cx += (sign * x) / 6;
        cy += (sign * y) / 6;
      });
    }
    this.#area = Math.abs(area);
    this.#centroid = area !== 0 ? [cx / area, cy / area] : [(this.#bounds[0] + this.#bounds[2]) / 2, (this.#bounds[1] + this.#bounds[3]) / 2];
  }

  getBoundsX(): number {
    return this.#bounds[0];
  }
  getBoundsY(): number {
    return this.#bounds[1];
  }
  getBoundsWidth(): number {
    return this.#bounds[2] - this.#bounds[0];
  }
  getBoundsHeight(): number {
    return this.#bounds[3] - this.#bounds[1];
  }
  getCentroidX(): number {
    return this.#centroid[0];
  }
  getCentroidY(): number {
    return this.#centroid[1];
  }
  /** area in px^2 (0 for points and lines) */
  getArea(): number {
    return this.#area;
  }
  getRoiName(): string {
    return this.type[0]!.toUpperCase() + this.type.slice(1);
  }
  /** true when (x, y) lies inside the polygon(s) (even-odd rule; bounds for other ROIs) */
  contains(x: number, y: number): boolean {
    const polys = this.geometry.type === 'Polygon' ? [this.geometry.coordinates as number[][][]] : this.geometry.type === 'MultiPolygon' ? (this.geometry.coordinates as number[][][][]) : [];
    if (polys.length === 0) return false;
    let inside = false;
    for (const poly of polys) {
      for (const ring of poly) {
        for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
          const a = ring[i]!, b = ring[j]!;
          if (a[1]! > y !== b[1]! > y && x < ((b[0]! - a[0]!) * (y - a[1]!)) / (b[1]! - a[1]!) + a[0]!) inside = !inside;
        }
      }
    }
    return inside;
  }
  /** a copy moved by (dx, dy) */
  translate(dx: number, dy: number): ROI {
    const move = (c: unknown): unknown => (Array.isArray(c) && typeof c[0] === 'number' ? [(c[0] as number) + dx, (c[1] as number) + dy] : Array.isArray(c) ? c.map(move) : c);
    return new ROI(this.type, { type: this.geometry.type, coordinates: move(this.geometry.coordinates) });
  }
}

/** Creates a rectangle ROI (QuPath's ROIs.createRectangleROI). */
export function createRectangleROI(x: number, y: number, width: number, height: number): ROI {
  return new ROI('rectangle', { type: 'Polygon', coordinates: [[[x, y], [x + width, y], [x + width, y + height], [x, y + height], [x, y]]] });
}

/** Creates a polygon ROI from points [[x, y], ...] or from xs and ys arrays (closed for you). */
export function createPolygonROI(xsOrPoints: readonly number[] | readonly (readonly number[])[], ys?: readonly number[]): ROI {
  const pts: number[][] = ys ? (xsOrPoints as number[]).map((x, i) => [x, ys[i]!]) : (xsOrPoints as number[][]).map((p) => [p[0]!, p[1]!]);
  const first = pts[0], last = pts[pts.length - 1];
  if (first && last && (first[0] !== last[0] || first[1] !== last[1])) pts.push([first[0]!, first[1]!]);
  return new ROI('polygon', { type: 'Polygon', coordinates: [pts] });
}

export type PathObjectType = 'tile' | 'detection' | 'annotation' | 'cell' | 'tma-core' | 'unknown';

/** A QuPath-like object: ROI, classification, measurements, metadata, lock. */
export class PathObject {
  readonly objectType: PathObjectType;
  #id: string;
  #roi: ROI;
  #pathClass: PathClass | null;
  #locked: boolean;
  #name: string | null;
  /** QuPath v0.4+: getMeasurements() is a live Map<String, Number> */
  readonly #measurements = new Map<string, number>();
  readonly #metadata = new Map<string, string>();

  constructor(objectType: PathObjectType, roi: ROI, pathClass: PathClass | null = null, options: { id?: string; locked?: boolean; name?: string | null } = {}) {
    this.objectType = objectType;
    this.#roi = roi;
    this.#pathClass = pathClass;
    this.#id = options.id ?? randomUUID();
    this.#locked = options.locked ?? objectType !== 'annotation';
    this.#name = options.name ?? null;
  }

  getID(): string {
    return this.#id;
  }
  getROI(): ROI {
    return this.#roi;
  }
  setROI(roi: ROI): void {
    this.#roi = roi;
  }
  getPathClass(): PathClass | null {
    return this.#pathClass;
  }
  setPathClass(pathClass: PathClass | null): void {
    this.#pathClass = pathClass;
  }
  getClassification(): string | null {
    return this.#pathClass?.name ?? null;
  }
  getName(): string | null {
    return this.#name;
  }
  setName(name: string | null): void {
    this.#name = name;
  }
  isLocked(): boolean {
    return this.#locked;
  }
  setLocked(locked: boolean): void {
    this.#locked = locked;
  }
  /** live measurement map (name -> value); non-finite values are left out on export */
  getMeasurements(): Map<string, number> {
    return this.#measurements;
  }
  /** QuPath's older name for the same map */
  getMeasurementList(): Map<string, number> {
    return this.#measurements;
  }
  /** live metadata map (string -> string) */
  getMetadata(): Map<string, string> {
    return this.#metadata;
  }
  isTile(): boolean {
    return this.objectType === 'tile';
  }
  isDetection(): boolean {
    return this.objectType === 'detection' || this.objectType === 'tile' || this.objectType === 'cell';
  }
  isAnnotation(): boolean {
    return this.objectType === 'annotation';
  }
  isCell(): boolean {
    return this.objectType === 'cell';
  }
  toString(): string {
    return `${this.objectType[0]!.toUpperCase()}${this.objectType.slice(1)} (${this.#roi.getRoiName()})${this.#pathClass ? ` (${this.#pathClass.name})` : ''}`;
  }
}
