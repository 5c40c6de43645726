/**
 * A QuPath-style scripting context: the helpers QuPath scripts call as globals
 * (getTileObjects(), getPathClass(), exportObjectsToGeoJson(), ...) as methods of one object, so
 * a QuPath script ports by prefixing calls with `qp.` (or destructuring them).
 */
import { gzipSync } from 'node:zlib';
import { invalidArgument } from '../../core/errors.js';
import type { SlideReport } from '../../core/types.js';
import { writeFileAtomic } from '../shared/atomic-output.js';
import { colorForLabel, routeClasses, type Rgb } from '../geojson/classes.js';
import { putMeasurement, tileMeasurements } from '../geojson/feature.js';
import { readGeoJsonFile, type ReadObject, type ReadWarning } from '../geojson/reader.js';
import { PathObject, ROI, createPolygonROI, createRectangleROI, getColorRGB, unpackRGB, type PathClass, type PathObjectType } from './objects.js';

/** Options of exportObjectsToGeoJson, as in QuPath's GeoJsonExportOptions. */
export type GeoJsonExportOption = 'FEATURE_COLLECTION' | 'PRETTY_JSON' | 'EXCLUDE_MEASUREMENTS';

export interface QuPathContext {
  /** every object in the hierarchy */
  getAllObjects(): PathObject[];
  getTileObjects(): PathObject[];
  /** detections, including tiles and cells (as in QuPath) */
  getDetectionObjects(): PathObject[];
  getAnnotationObjects(): PathObject[];
  /** the class named `name` (one instance per name); `rgb` as a packed int (getColorRGB) or [r, g, b] sets its colour on first use */
  getPathClass(name: string, rgb?: number | Rgb): PathClass;
  getColorRGB(r: number, g: number, b: number): number;
  createRectangleROI(x: number, y: number, width: number, height: number): ROI;
  createPolygonROI(xsOrPoints: readonly number[] | readonly (readonly number[])[], ys?: readonly number[]): ROI;
  createTileObject(roi: ROI, pathClass?: PathClass | null, measurements?: Readonly<Record<string, number>> | Map<string, number>): PathObject;
  createDetectionObject(roi: ROI, pathClass?: PathClass | null, measurements?: Readonly<Record<string, number>> | Map<string, number>): PathObject;
  createAnnotationObject(roi: ROI, pathClass?: PathClass | null, measurements?: Readonly<Record<string, number>> | Map<string, number>): PathObject;
  addObject(object: PathObject): void;
  addObjects(objects: Iterable<PathObject>): void;
  removeObjects(objects: Iterable<PathObject>): void;
  clearAllObjects(): void;
  /** selects the objects whose class is one of these (a name, a PathClass, or null for unclassified) */
  selectObjectsByClassification(...classes: (string | PathClass | null)[]): PathObject[];
  selectObjects(which: ((o: PathObject) => boolean) | Iterable<PathObject>): PathObject[];
  getSelectedObjects(): PathObject[];
  resetSelection(): void;
  /** writes objects as GeoJSON (a FeatureCollection with 'FEATURE_COLLECTION', else an array); ".gz" paths are gzipped */
  exportObjectsToGeoJson(objects: Iterable<PathObject>, path: string, ...options: GeoJsonExportOption[]): Promise<void>;
  /** reads GeoJSON (QuPath or blurmm) tolerantly and adds the objects; true when any were added */
  importObjectsFromFile(path: string, options?: { offsetX?: number; offsetY?: number }): Promise<boolean>;
  /** warnings of the last import (bad geometry, duplicate measurements), by feature index */
  getImportWarnings(): readonly ReadWarning[];
  /** features as GeoJSON values, as exportObjectsToGeoJson writes them */
  toGeoJson(objects: Iterable<PathObject>, options?: { excludeMeasurements?: boolean }): object[];
}

export interface QuPathContextOptions {
  /** load a blurmm report's tiles as tile objects classified by blur class */
  readonly report?: SlideReport;
  /** start with these objects */
  readonly objects?: Iterable<PathObject>;
}

const DEFAULT_CLASS_COLOR: Rgb = [128, 128, 128];

function typeOf(o: ReadObject): PathObjectType {
  return o.objectType === 'root' ? 'unknown' : o.objectType;
}

function roiOf(o: ReadObject): ROI {
  switch (o.geometry.type) {
    case 'Polygon':
      return new ROI('polygon', o.geometry);
    case 'MultiPolygon':
      return new ROI('multipolygon', o.geometry);
    case 'Point':
    case 'MultiPoint':
      return new ROI('point', o.geometry);
    default:
      return new ROI('line', o.geometry);
  }
}

/**
 * Creates a QuPath-style scripting context.
 * @example
 * const qp = createQuPathContext({ report });            // tiles of a blurmm run
 * const severe = qp.selectObjectsByClassification('severe');
 * const roi = qp.createAnnotationObject(qp.createRectangleROI(0, 0, 4096, 4096), qp.getPathClass('Region*', qp.getColorRGB(0, 0, 180)));
 * qp.addObject(roi);
 * await qp.exportObjectsToGeoJson(qp.getAllObjects(), 'out/objects.geojson', 'FEATURE_COLLECTION');
 */
export function createQuPathContext(options: QuPathContextOptions = {}): QuPathContext {
  const objects: PathObject[] = [];
  let selected = new Set<PathObject>();
  const classes = new Map<string, PathClass>();
  let importWarnings: ReadWarning[] = [];

  function getPathClass(name: string, rgb?: number | Rgb): PathClass {
    if (typeof name !== 'string' || name.length === 0) throw invalidArgument('name', 'a non-empty class name', name);
    const existing = classes.get(name);
    if (existing) return existing;
    const color: Rgb = rgb === undefined ? colorForLabel(name) ?? DEFAULT_CLASS_COLOR : typeof rgb === 'number' ? unpackRGB(rgb) : [rgb[0], rgb[1], rgb[2]];
    const pc: PathClass = {
      name,
      color,
      getColor: () => getColorRGB(color[0], color[1], color[2]),
      getName: () => name,
      toString: () => name,
    };
    classes.set(name, pc);
    return pc;
  }

  function create(type: PathObjectType, roi: ROI, pathClass?: PathClass | null, measurements?: Readonly<Record<string, number>> | Map<string, number>): PathObject {
    if (!(roi instanceof ROI)) throw invalidArgument('roi', 'a ROI (createRectangleROI / createPolygonROI)', roi);
    const o = new PathObject(type, roi, pathClass ?? null);
    const entries = measurements instanceof Map ? measurements.entries() : Object.entries(measurements ?? {});
    for (const [k, v] of entries) o.getMeasurements().set(k, v);
    return o;
  }

  function toFeature(o: PathObject, excludeMeasurements: boolean): object {
    const measurements: Record<string, number> = {};
    if (!excludeMeasurements) for (const [k, v] of o.getMeasurements()) putMeasurement(measurements, k, v);
    const pc = o.getPathClass();
    const props: Record<string, unknown> = { objectType: o.objectType === 'tma-core' ? 'tma_core' : o.objectType === 'unknown' ? 'annotation' : o.objectType };
    if (o.getName() !== null) props.name = o.getName();
    if (pc) props.classification = { name: pc.name, color: [pc.color[0], pc.color[1], pc.color[2]] };
    props.isLocked = o.isLocked();
    if (Object.keys(measurements).length) props.measurements = measurements;
    if (o.getMetadata().size) props.metadata = Object.fromEntries(o.getMetadata());
    return { type: 'Feature', id: o.getID(), geometry: o.getROI().geometry, properties: props };
  }

  const ctx: QuPathContext = {
    getAllObjects: () => [...objects],
    getTileObjects: () => objects.filter((o) => o.isTile()),
    getDetectionObjects: () => objects.filter((o) => o.isDetection()),
    getAnnotationObjects: () => objects.filter((o) => o.isAnnotation()),
    getPathClass,
    getColorRGB,
    createRectangleROI,
    createPolygonROI,
    createTileObject: (roi, pc, m) => create('tile', roi, pc, m),
    createDetectionObject: (roi, pc, m) => create('detection', roi, pc, m),
    createAnnotationObject: (roi, pc, m) => create('annotation', roi, pc, m),
    addObject(o) {
      if (!objects.includes(o)) objects.push(o);
    },
    addObjects(list) {
      const present = new Set(objects);
      for (const o of list) {
        if (present.has(o)) continue;
        objects.push(o);
        present.add(o);
      }
    },
    removeObjects(list) {
      const gone = new Set(list);
      for (let i = objects.length - 1; i >= 0; i--) if (gone.has(objects[i]!)) objects.splice(i, 1);
      for (const o of gone) selected.delete(o);
    },
    clearAllObjects() {
      objects.length = 0;
      selected.clear();
    },
    selectObjectsByClassification(...wanted) {
      const names = new Set(wanted.map((w) => (w === null ? null : typeof w === 'string' ? w : w.name)));
      selected = new Set(objects.filter((o) => names.has(o.getPathClass()?.name ?? null)));
      return [...selected];
    },
    selectObjects(which) {
      selected = new Set(typeof which === 'function' ? objects.filter(which) : which);
      return [...selected];
    },
    getSelectedObjects: () => [...selected],
    resetSelection() {
      selected.clear();
    },
    toGeoJson: (list, o = {}) => [...list].map((x) => toFeature(x, o.excludeMeasurements ?? false)),
    async exportObjectsToGeoJson(list, path, ...opts) {
      if (typeof path !== 'string' || path.length === 0) throw invalidArgument('path', 'a file path', path);
      const features = ctx.toGeoJson(list, { excludeMeasurements: opts.includes('EXCLUDE_MEASUREMENTS') });
      const value = opts.includes('FEATURE_COLLECTION') ? { type: 'FeatureCollection', features } : features;
      const text = JSON.stringify(value, null, opts.includes('PRETTY_JSON') ? 2 : undefined);
      await writeFileAtomic(path, /\.gz$/i.test(path) ? gzipSync(text) : text, true);
    },
    async importObjectsFromFile(path, o = {}) {
      const { objects: read, warnings } = await readGeoJsonFile(path);
      importWarnings = warnings;
      const dx = o.offsetX ?? 0, dy = o.offsetY ?? 0;
      const added: PathObject[] = [];
      for (const r of read) {
        let roi = roiOf(r);
        if (dx !== 0 || dy !== 0) roi = roi.translate(dx, dy);
        const pc = r.classification ? getPathClass(r.classification.name, r.classification.color) : null;
        const obj = new PathObject(typeOf(r), roi, pc, { ...(r.id ? { id: r.id } : {}), locked: r.isLocked, name: r.name ?? null });
        for (const [k, v] of Object.entries(r.measurements)) obj.getMeasurements().set(k, v);
        for (const [k, v] of Object.entries(r.metadata)) obj.getMetadata().set(k, v);
        added.push(obj);
      }
      ctx.addObjects(added);
      return added.length > 0;
    },
    getImportWarnings: () => importWarnings,
  };

  if (options.report) {
    const rc = routeClasses(options.report.routing);
    for (const tile of options.report.tiles) {
      const c = rc.of(tile.route);
      const o = create('tile', createRectangleROI(tile.x, tile.y, tile.width, tile.height), getPathClass(c.name, c.color));
      for (const [k, v] of Object.entries(tileMeasurements(tile).measurements)) o.getMeasurements().set(k, v);
      o.getMetadata().set('route.label', tile.route.label);
      o.getMetadata().set('tile.grid', `${tile.col},${tile.row}`);
      if (tile.prediction) o.getMetadata().set('prediction.model', tile.prediction.model);
      objects.push(o);
    }
  }
  if (options.objects) ctx.addObjects(options.objects);
  return ctx;
}
