/**
 * A tolerant reader for GeoJSON from QuPath (v0.2-v0.7) and blurmm: FeatureCollection, a bare
 * array of features or a single Feature; .gz by magic bytes; measurements as an object or as the
 * older [{name, value}] list; bare NaN/Infinity tokens; string classifications; colours as
 * [r,g,b] or packed ints. Invalid geometry is repaired when safe (unclosed rings) or skipped,
 * each with a warning; nothing is thrown for one bad feature.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { CorruptFileError, FormatError, NotFoundError, invalidArgument } from '../../core/errors.js';
import type { Rgb } from './classes.js';

export type ReadObjectType = 'tile' | 'detection' | 'annotation' | 'cell' | 'tma-core' | 'root' | 'unknown';

export interface ReadGeometry {
  readonly type: 'Polygon' | 'MultiPolygon' | 'Point' | 'MultiPoint' | 'LineString' | 'MultiLineString';
  readonly coordinates: unknown;
}

/** One object read from a GeoJSON file. */
export interface ReadObject {
  readonly id: string | undefined;
  readonly objectType: ReadObjectType;
  readonly name: string | undefined;
  readonly classification: { readonly name: string; readonly color: Rgb | undefined; readonly names: readonly string[] } | undefined;
  readonly isLocked: boolean;
  readonly geometry: ReadGeometry;
  /** NaN where the file had NaN/null */
  readonly measurements: Record<string, number>;
  readonly metadata: Record<string, string>;
  /** bounding box in the file's coordinates [minX, minY, maxX, maxY] */
  readonly bounds: readonly [number, number, number, number];
  /** the feature's other properties, untouched */
  readonly properties: Readonly<Record<string, unknown>>;
}

export interface ReadWarning {
  /** index of the feature in the file */
  readonly feature: number;
  readonly message: string;
}

export interface ReadResult {
  readonly objects: ReadObject[];
  readonly warnings: ReadWarning[];
}

const KNOWN_PROPERTIES = new Set(['objectType', 'classification', 'measurements', 'metadata', 'isLocked', 'name']);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** JSON.parse that also accepts bare NaN, Infinity and -Infinity (read as null). */
export function parseTolerantJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (first) {
    const fixed = text.replace(/"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g, (m) => (m.charCodeAt(0) === 34 ? m : 'null'));
    if (fixed === text) throw first;
    return JSON.parse(fixed);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A colour as [r,g,b] from an array or a packed (A)RGB int (QuPath's colorRGB). */
export function parseColor(v: unknown): Rgb | undefined {
  if (Array.isArray(v) && v.length >= 3 && v.slice(0, 3).every((c) => typeof c === 'number' && Number.isFinite(c))) {
    const [r, g, b] = v as number[];
    return [clamp(r!), clamp(g!), clamp(b!)];
  }
  if (typeof v === 'number' && Number.isInteger(v)) {
    const u = v >>> 0;
    return [(u >> 16) & 255, (u >> 8) & 255, u & 255];
  }
  return undefined;
}

function clamp(c: number): number {
  return Math.max(0, Math.min(255, Math.round(c)));
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === null) return NaN;
  if (typeof v === 'string') {
    const n = Number(v);
    return v.trim() === '' ? NaN : n;
  }
  return NaN;
}

function readMeasurements(v: unknown, warn: (m: string) => void): Record<string, number> {
  const out: Record<string, number> = {};
  if (v === undefined || v === null) return out;
  if (Array.isArray(v)) {
    for (const item of v) {
      if (isObject(item) && typeof item.name === 'string') {
        if (Object.prototype.hasOwnProperty.call(out, item.name)) warn(`measurement "${item.name}" appears more than once; the last value is kept`);
        out[item.name] = toNumber(item.value);
      }
    }
    return out;
  }
  if (isObject(v)) {
    for (const [k, value] of Object.entries(v)) out[k] = toNumber(value);
    return out;
  }
  warn('measurements are neither an object nor a list; ignored');
  return out;
}

function readMetadata(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(v)) {
    for (const item of v) if (isObject(item) && typeof item.key === 'string') out[item.key] = String(item.value);
  } else if (isObject(v)) {
    for (const [k, value] of Object.entries(v)) out[k] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return out;
}

function readClassification(v: unknown): ReadObject['classification'] {
  if (typeof v === 'string' && v.length > 0) return { name: v, color: undefined, names: v.split(': ') };
  if (!isObject(v)) return undefined;
  const names = Array.isArray(v.names) ? v.names.filter((n): n is string => typeof n === 'string') : [];
  const name = typeof v.name === 'string' ? v.name : names.join(': ');
  if (!name) return undefined;
  return { name, color: parseColor(v.color ?? v.colorRGB), names: names.length ? names : name.split(': ') };
}

function objectTypeOf(props: Record<string, unknown>): ReadObjectType {
  const t = props.objectType ?? (props.isCell === true ? 'cell' : undefined) ?? (props.type === 'PathDetectionObject' ? 'detection' : undefined);
  switch (typeof t === 'string' ? t.toLowerCase() : '') {
    case 'tile':
      return 'tile';
    case 'detection':
      return 'detection';
    case 'annotation':
      return 'annotation';
    case 'cell':
      return 'cell';
    case 'tma_core':
    case 'tmacore':
    case 'tma-core':
      return 'tma-core';
    case 'root':
      return 'root';
    default:
      return props.objectType === undefined ? 'annotation' : 'unknown';
  }
}

function isPosition(p: unknown): p is number[] {
  return Array.isArray(p) && p.length >= 2 && typeof p[0] === 'number' && typeof p[1] === 'number' && Number.isFinite(p[0]) && Number.isFinite(p[1]);
}

function segmentsIntersect(a: number[], b: number[], c: number[], d: number[]): boolean {
  const o = (p: number[], q: number[], r: number[]): number => Math.sign((q[0]! - p[0]!) * (r[1]! - p[1]!) - (q[1]! - p[1]!) * (r[0]! - p[0]!));
  const o1 = o(a, b, c), o2 = o(a, b, d), o3 = o(c, d, a), o4 = o(c, d, b);
  return o1 * o2 < 0 && o3 * o4 < 0;
}

/** True when a closed ring has two non-adjacent edges that properly cross (O(n^2), checked for rings up to 2000 points). */
export function ringSelfIntersects(ring: readonly number[][]): boolean {
  const n = ring.length - 1;
  if (n > 2000) return false;
  for (let i = 0; i < n; i++) {
    for (let j = i + 2; j < n; j++) {
      if (i === 0 && j === n - 1) continue;
      if (segmentsIntersect(ring[i]!, ring[i + 1]!, ring[j]!, ring[j + 1]!)) return true;
    }
  }
  return false;
}

/** Validates/repairs rings: closes open rings, drops rings with fewer than 3 distinct points. */
function fixPolygon(rings: unknown, warn: (m: string) => void): number[][][] | undefined {
  if (!Array.isArray(rings) || rings.length === 0) return undefined;
  const out: number[][][] = [];
  for (let r = 0; r < rings.length; r++) {
    const ring = rings[r];
    if (!Array.isArray(ring) || !ring.every(isPosition)) {
      warn(`ring ${r} has a position that is not a pair of finite numbers`);
      if (r === 0) return undefined;
      continue;
    }
    const pts = (ring as number[][]).map((p) => [p[0]!, p[1]!]);
    const first = pts[0], last = pts[pts.length - 1];
    if (first && last && (first[0] !== last[0] || first[1] !== last[1])) {
      pts.push([first[0]!, first[1]!]);
      warn(`ring ${r} was not closed; closed it`);
    }
    const distinct = new Set(pts.map((p) => `${p[0]},${p[1]}`)).size;
    if (distinct < 3) {
      warn(`ring ${r} has fewer than 3 distinct points`);
      if (r === 0) return undefined;
      continue;
    }
    if (ringSelfIntersects(pts)) warn(`ring ${r} intersects itself; kept as is, fix it in QuPath (Objects > Annotations > Simplify/Make valid)`);
    out.push(pts);
  }
  return out;
}

function collectPositions(c: unknown, into: number[][]): void {
  if (isPosition(c)) into.push(c);
  else if (Array.isArray(c)) for (const x of c) collectPositions(x, into);
}

function readGeometry(g: unknown, warn: (m: string) => void): ReadGeometry | undefined {
  if (!isObject(g) || typeof g.type !== 'string') {
    warn('no geometry');
    return undefined;
  }
  switch (g.type) {
    case 'Polygon': {
      const rings = fixPolygon(g.coordinates, warn);
      return rings ? { type: 'Polygon', coordinates: rings } : undefined;
    }
    case 'MultiPolygon': {
      if (!Array.isArray(g.coordinates)) return undefined;
      const polys = g.coordinates.map((p) => fixPolygon(p, warn)).filter((p): p is number[][][] => p !== undefined);
      return polys.length ? { type: 'MultiPolygon', coordinates: polys } : undefined;
    }
    case 'Point':
    case 'MultiPoint':
    case 'LineString':
    case 'MultiLineString': {
      const pts: number[][] = [];
      collectPositions(g.coordinates, pts);
      if (pts.length === 0) {
        warn(`${g.type} without finite coordinates`);
        return undefined;
      }
      return { type: g.type, coordinates: g.coordinates };
    }
    case 'GeometryCollection':
      warn('GeometryCollection is not supported; skipped');
      return undefined;
    default:
      warn(`unknown geometry type "${g.type}"`);
      return undefined;
  }
}

/**
 * Reads features from parsed GeoJSON. Bad features are skipped with a warning naming their index.
 */
export function readGeoJsonValue(value: unknown, source = '(input)'): ReadResult {
  let features: unknown[];
  if (Array.isArray(value)) features = value;
  else if (isObject(value) && Array.isArray(value.features)) features = value.features;
  else if (isObject(value) && value.type === 'Feature') features = [value];
  else if (isObject(value) && typeof value.type === 'string' && 'coordinates' in value) features = [{ type: 'Feature', geometry: value, properties: {} }];
  else throw new FormatError(`${source} is not GeoJSON: expected a FeatureCollection, a Feature or an array of features. Export from QuPath with File > Export objects as GeoJSON.`, { path: source });
  const objects: ReadObject[] = [];
  const warnings: ReadWarning[] = [];
  features.forEach((f, i) => {
    const warn = (message: string): void => {
      warnings.push({ feature: i, message });
    };
    if (!isObject(f)) {
      warn('not an object; skipped');
      return;
    }
    const props = isObject(f.properties) ? f.properties : {};
    const geometry = readGeometry(f.geometry, warn);
    if (!geometry) {
      warn('invalid or missing geometry; skipped');
      return;
    }
    const pts: number[][] = [];
    collectPositions(geometry.coordinates, pts);
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const p of pts) {
      minX = Math.min(minX, p[0]!);
      minY = Math.min(minY, p[1]!);
      maxX = Math.max(maxX, p[0]!);
      maxY = Math.max(maxY, p[1]!);
    }
    const rest: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(props)) if (!KNOWN_PROPERTIES.has(k)) rest[k] = v;
    objects.push({
      id: typeof f.id === 'string' ? f.id : typeof f.id === 'number' ? String(f.id) : typeof props.id === 'string' ? props.id : undefined,
      objectType: objectTypeOf(props),
      name: typeof props.name === 'string' ? props.name : undefined,
      classification: readClassification(props.classification),
      isLocked: props.isLocked === true || props.locked === true,
      geometry,
      measurements: readMeasurements(props.measurements, warn),
      metadata: readMetadata(props.metadata),
      bounds: [minX, minY, maxX, maxY],
      properties: rest,
    });
  });
  return { objects, warnings };
}

/** Parses GeoJSON text tolerantly (see {@link parseTolerantJson}). */
export function readGeoJsonText(text: string, source = '(input)'): ReadResult {
  let value: unknown;
  try {
    value = parseTolerantJson(text);
  } catch (cause) {
    throw new CorruptFileError(`${source} is not valid JSON (${cause instanceof Error ? cause.message : String(cause)}). Re-export it from QuPath or check that the file is complete.`, { path: source, cause });
  }
  return readGeoJsonValue(value as Json, source);
}

/**
 * Reads a GeoJSON file (.geojson, .json, or gzip-compressed by content) tolerantly.
 * @example
 * const { objects, warnings } = await readGeoJsonFile('annotations.geojson');
 * const rois = objects.filter((o) => o.objectType === 'annotation');
 */
export async function readGeoJsonFile(path: string): Promise<ReadResult> {
  if (typeof path !== 'string' || path.length === 0) throw invalidArgument('path', 'a GeoJSON file path', path);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new NotFoundError(`Cannot read ${path}: ${cause instanceof Error ? cause.message : String(cause)}. Check the path.`, { path, cause });
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (cause) {
      throw new CorruptFileError(`${path} looks gzip-compressed but does not decompress (truncated?). Re-export it.`, { path, cause });
    }
  }
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return readGeoJsonText(text, path);
}
