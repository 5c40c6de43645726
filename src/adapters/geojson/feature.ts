/**
 * Tile results as QuPath-grade GeoJSON features: a UUID id, a closed counter-clockwise
 * rectangle in level-0 pixels (y down), objectType, isLocked, classification {name, color},
 * measurements (finite numbers only, unique keys) and provenance metadata (strings).
 */
import { randomUUID } from 'node:crypto';
import type { TileResult } from '../../core/types.js';
import { predictedClass, type ClassStyle, type RouteClasses } from './classes.js';

export type QuPathObjectType = 'tile' | 'detection' | 'annotation';

/** GeoJSON Polygon in level-0 pixel coordinates. */
export interface PolygonGeometry {
  readonly type: 'Polygon';
  readonly coordinates: number[][][];
}

export interface TileFeature {
  readonly type: 'Feature';
  readonly id: string;
  readonly geometry: PolygonGeometry;
  readonly properties: {
    readonly objectType: QuPathObjectType;
    readonly isLocked: boolean;
    readonly classification: { readonly name: string; readonly color: [number, number, number] };
    readonly measurements: Record<string, number>;
    readonly metadata: Record<string, string>;
  };
}

export interface FeatureStyle {
  readonly objectType: QuPathObjectType;
  readonly classification: 'blur' | 'prediction';
  readonly lock: boolean;
  readonly classes: RouteClasses;
  /** metadata common to every feature (provenance) */
  readonly metadata: Readonly<Record<string, string>>;
  /** id generator; random UUID v4 by default */
  readonly id?: (tile: TileResult) => string;
}

/** A rectangle as a closed ring, counter-clockwise by the right-hand rule on the raw numbers. */
export function rectangleRing(x: number, y: number, width: number, height: number): number[][] {
  return [
    [x, y],
    [x + width, y],
    [x + width, y + height],
    [x, y + height],
    [x, y],
  ];
}

/** Adds `value` under `key` when finite; a repeated key gets " (2)", " (3)"... Returns false when skipped. */
export function putMeasurement(target: Record<string, number>, key: string, value: number): boolean {
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  let k = key;
  for (let n = 2; Object.prototype.hasOwnProperty.call(target, k); n++) k = `${key} (${n})`;
  target[k] = value;
  return true;
}

/** Measurements of a tile: blur.<output>, route.index, tissue.fraction, prediction.score, prediction.<label>. */
export function tileMeasurements(tile: TileResult): { measurements: Record<string, number>; dropped: number } {
  const m: Record<string, number> = {};
  let dropped = 0;
  for (const [name, value] of Object.entries(tile.blur)) if (!putMeasurement(m, `blur.${name}`, value)) dropped++;
  putMeasurement(m, 'route.index', tile.route.index);
  if (!putMeasurement(m, 'tissue.fraction', tile.tissueFraction)) dropped++;
  const p = tile.prediction;
  if (p) {
    if (!putMeasurement(m, 'prediction.score', p.score)) dropped++;
    p.values.forEach((v, i) => {
      if (!putMeasurement(m, `prediction.${p.labels?.[i] ?? String(i)}`, v)) dropped++;
    });
  }
  return { measurements: m, dropped };
}

/** Builds the feature of one tile. `dropped` counts non-finite values left out of measurements. */
export function tileToFeature(tile: TileResult, style: FeatureStyle): { feature: TileFeature; dropped: number } {
  const cls: ClassStyle = style.classification === 'prediction' ? predictedClass(tile) : style.classes.of(tile.route);
  const { measurements, dropped } = tileMeasurements(tile);
  const metadata: Record<string, string> = { ...style.metadata, 'route.label': tile.route.label };
  if (tile.route.model !== null) metadata['route.model'] = tile.route.model;
  if (tile.prediction) metadata['prediction.model'] = tile.prediction.model;
  metadata['tile.grid'] = `${tile.col},${tile.row}`;
  const feature: TileFeature = {
    type: 'Feature',
    id: style.id ? style.id(tile) : randomUUID(),
    geometry: { type: 'Polygon', coordinates: [rectangleRing(tile.x, tile.y, tile.width, tile.height)] },
    properties: {
      objectType: style.objectType,
      isLocked: style.lock,
      classification: { name: cls.name, color: [cls.color[0], cls.color[1], cls.color[2]] },
      measurements,
      metadata,
    },
  };
  return { feature, dropped };
}

/** True when a tile has a drawable extent (finite, positive width and height). */
export function hasValidExtent(tile: TileResult): boolean {
  return [tile.x, tile.y, tile.width, tile.height].every(Number.isFinite) && tile.width > 0 && tile.height > 0;
}

/**
 * A fast encoder of tile features straight to JSON text (no intermediate objects), equal after
 * parsing to `JSON.stringify(tileToFeature(tile, style).feature)` with the same id. The
 * streaming writer uses it; strings are escaped by JSON.stringify and cached per label.
 */
export function createFeatureEncoder(style: FeatureStyle): (tile: TileResult) => { json: string; dropped: number } {
  const q = new Map<string, string>();
  const quote = (s: string): string => {
    let v = q.get(s);
    if (v === undefined) {
      v = JSON.stringify(s);
      if (q.size < 10_000) q.set(s, v);
    }
    return v;
  };
  const classJson = new Map<string, string>();
  const classOf = (c: ClassStyle): string => {
    const key = `${c.name}\u0000${c.color.join(',')}`;
    let v = classJson.get(key);
    if (v === undefined) {
      v = `"classification":{"name":${quote(c.name)},"color":[${c.color[0]},${c.color[1]},${c.color[2]}]}`;
      classJson.set(key, v);
    }
    return v;
  };
  const head = `,"geometry":{"type":"Polygon","coordinates":[[`;
  const props = `"properties":{"objectType":${quote(style.objectType)},"isLocked":${style.lock ? 'true' : 'false'},`;
  const common = JSON.stringify(style.metadata).slice(1, -1);
  const mdOpen = common.length ? `"metadata":{${common},` : `"metadata":{`;
  return (tile) => {
    const p = tile.prediction;
    // unusual prediction labels (a label "score", duplicates): take the careful path
    if (p?.labels && (p.labels.includes('score') || new Set(p.labels).size !== p.labels.length)) {
      const r = tileToFeature(tile, style);
      return { json: JSON.stringify(r.feature), dropped: r.dropped };
    }
    let dropped = 0;
    const cls = style.classification === 'prediction' ? predictedClass(tile) : style.classes.of(tile.route);
    const { x, y } = tile;
    const x1 = x + tile.width, y1 = y + tile.height;
    let m = '';
    for (const name in tile.blur) {
      const v = tile.blur[name]!;
      if (Number.isFinite(v)) m += `${m ? ',' : ''}${quote(`blur.${name}`)}:${v}`;
      else dropped++;
    }
    if (Number.isFinite(tile.route.index)) m += `${m ? ',' : ''}"route.index":${tile.route.index}`;
    if (Number.isFinite(tile.tissueFraction)) m += `${m ? ',' : ''}"tissue.fraction":${tile.tissueFraction}`;
    else dropped++;
    if (p) {
      if (Number.isFinite(p.score)) m += `${m ? ',' : ''}"prediction.score":${p.score}`;
      else dropped++;
      for (let i = 0; i < p.values.length; i++) {
        const v = p.values[i]!;
        if (Number.isFinite(v)) m += `${m ? ',' : ''}${quote(`prediction.${p.labels?.[i] ?? String(i)}`)}:${v}`;
        else dropped++;
      }
    }
    let md = `${mdOpen}"route.label":${quote(tile.route.label)}`;
    if (tile.route.model !== null) md += `,"route.model":${quote(tile.route.model)}`;
    if (p) md += `,"prediction.model":${quote(p.model)}`;
    md += `,"tile.grid":"${tile.col},${tile.row}"}`;
    const id = style.id ? JSON.stringify(style.id(tile)) : `"${randomUUID()}"`;
    const json = `{"type":"Feature","id":${id}${head}[${x},${y}],[${x1},${y}],[${x1},${y1}],[${x},${y1}],[${x},${y}]]]},${props}${classOf(cls)},"measurements":{${m}},${md}}}`;
    return { json, dropped };
  };
}
