import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { isBlurmmError } from '../src/core/errors.js';
import { parseColor, parseTolerantJson, readGeoJsonFile, readGeoJsonText } from '../src/adapters/geojson/index.js';

const dir = mkdtempSync(join(tmpdir(), 'blurmm-geojson-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** the shape of an older QuPath (v0.2/v0.3) export: a bare array, measurement lists, NaN, colorRGB, duplicate metadata keys */
const OLD_QUPATH = `[
  {"type":"Feature","id":"PathAnnotationObject","geometry":{"type":"Polygon","coordinates":[[[100,200],[400,200],[400,500],[100,500],[100,200]]]},
   "properties":{"isLocked":false,"measurements":[{"name":"Area px^2","value":90000},{"name":"Mean","value":NaN},{"name":"Max","value":Infinity}],
   "classification":{"name":"Tumor","colorRGB":-3670016},"metadata":{"source":"a","source":"b"}}},
  {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10]]]},
   "properties":{"objectType":"annotation","classification":"Stroma","name":"open ring"}},
  {"type":"Feature","geometry":{"type":"GeometryCollection","geometries":[]},"properties":{"objectType":"annotation"}},
  {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[10,10],[10,0],[0,10],[0,0]]]},"properties":{"objectType":"detection","measurements":{"a":1,"b":null,"c":-Infinity}}},
  {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1],[0,0]]]},"properties":{}},
  {"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[5,0],[5,5],[0,0]]],[[[10,10],[20,10],[20,20],[10,10]]]]},
   "properties":{"objectType":"annotation","classification":{"names":["Tumor","Positive"],"color":[200,0,0]},"note":"kept","name":"\\"NaN\\" inside a string"}}
]`;

describe('tolerant GeoJSON reader', () => {
  it('parses bare NaN and Infinity outside strings, and leaves strings alone', () => {
    expect(parseTolerantJson('{"a":NaN,"b":-Infinity,"c":"NaN Infinity","d":[Infinity]}')).toEqual({ a: null, b: null, c: 'NaN Infinity', d: [null] });
    expect(parseColor(-3670016)).toEqual([200, 0, 0]);
    expect(parseColor([300, -4, 12.4])).toEqual([255, 0, 12]);
  });

  it('reads an older QuPath export with every quirk, keeping good features and warning about bad ones', () => {
    const { objects, warnings } = readGeoJsonText(OLD_QUPATH, 'old.json');
    expect(objects).toHaveLength(4);
    const [a, open, bowtie, multi] = objects;
    expect(a!.id).toBe('PathAnnotationObject');
    expect(a!.objectType).toBe('annotation');
    expect(a!.measurements['Area px^2']).toBe(90000);
    expect(a!.measurements.Mean).toBeNaN();
    expect(a!.measurements.Max).toBeNaN();
    expect(a!.classification).toEqual({ name: 'Tumor', color: [200, 0, 0], names: ['Tumor'] });
    expect(a!.metadata).toEqual({ source: 'b' });
    expect(a!.bounds).toEqual([100, 200, 400, 500]);
    expect(open!.classification).toEqual({ name: 'Stroma', color: undefined, names: ['Stroma'] });
    expect(open!.name).toBe('open ring');
    expect((open!.geometry.coordinates as number[][][])[0]).toHaveLength(5);
    expect(bowtie!.objectType).toBe('detection');
    expect(bowtie!.measurements).toEqual({ a: 1, b: NaN, c: NaN });
    expect(multi!.geometry.type).toBe('MultiPolygon');
    expect(multi!.classification).toEqual({ name: 'Tumor: Positive', color: [200, 0, 0], names: ['Tumor', 'Positive'] });
    expect(multi!.properties).toEqual({ note: 'kept' });
    expect(multi!.name).toBe('"NaN" inside a string');
    expect(warnings).toEqual([
      { feature: 1, message: 'ring 0 was not closed; closed it' },
      { feature: 2, message: 'GeometryCollection is not supported; skipped' },
      { feature: 2, message: 'invalid or missing geometry; skipped' },
      { feature: 3, message: 'ring 0 intersects itself; kept as is, fix it in QuPath (Objects > Annotations > Simplify/Make valid)' },
      { feature: 4, message: 'ring 0 has fewer than 3 distinct points' },
      { feature: 4, message: 'invalid or missing geometry; skipped' },
    ]);
  });

  it('reads gzip by content, a BOM, a single Feature and a FeatureCollection', async () => {
    const fc = '\ufeff{"type":"FeatureCollection","features":[{"type":"Feature","id":"x","geometry":{"type":"Point","coordinates":[3,4]},"properties":{"objectType":"annotation"}}]}';
    const p = join(dir, 'named-wrong.geojson');
    writeFileSync(p, gzipSync(fc));
    const { objects } = await readGeoJsonFile(p);
    expect(objects.map((o) => [o.id, o.geometry.type, o.bounds])).toEqual([['x', 'Point', [3, 4, 3, 4]]]);
    const single = readGeoJsonText('{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[2,0],[2,2],[0,0]]]},"properties":{"objectType":"tile"}}');
    expect(single.objects[0]!.objectType).toBe('tile');
  });

  it('throws typed errors naming the file for missing, non-JSON and non-GeoJSON input', async () => {
    const missing = await readGeoJsonFile(join(dir, 'nope.geojson')).catch((e: unknown) => e);
    expect(isBlurmmError(missing, 'E_NOT_FOUND')).toBe(true);
    const broken = join(dir, 'broken.geojson');
    writeFileSync(broken, '{"type":"FeatureCollection","features":[');
    const corrupt = await readGeoJsonFile(broken).catch((e: unknown) => e);
    expect(isBlurmmError(corrupt, 'E_CORRUPT')).toBe(true);
    expect((corrupt as Error).message).toContain(broken);
    const other = join(dir, 'other.json');
    writeFileSync(other, '{"hello":1}');
    const format = await readGeoJsonFile(other).catch((e: unknown) => e);
    expect(isBlurmmError(format, 'E_FORMAT')).toBe(true);
    expect((format as Error).message).toContain(other);
  });
});

describe('regions of interest from QuPath annotations', () => {
  it('keeps annotation polygons (holes subtracted, classes filtered, offset applied) and filters tiles by centre', async () => {
    const { readRegionsOfInterest } = await import('../src/adapters/geojson/index.js');
    const p = join(dir, 'rois.geojson');
    writeFileSync(p, JSON.stringify({
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', geometry: { type: 'Polygon', coordinates: [[[0, 0], [1000, 0], [1000, 1000], [0, 1000], [0, 0]], [[400, 400], [600, 400], [600, 600], [400, 600], [400, 400]]] }, properties: { objectType: 'annotation', classification: { name: 'Tumor', color: [200, 0, 0] } } },
        { type: 'Feature', geometry: { type: 'Polygon', coordinates: [[[2000, 0], [3000, 0], [2000, 1000], [2000, 0]]] }, properties: { objectType: 'annotation', classification: 'Stroma' } },
        { type: 'Feature', geometry: { type: 'Polygon', coordinates: [[[5000, 0], [6000, 0], [6000, 1000], [5000, 0]]] }, properties: { objectType: 'detection' } },
      ],
    }));
    const all = await readRegionsOfInterest(p);
    expect(all.polygons).toHaveLength(2);
    expect(all.bounds).toEqual([0, 0, 3000, 1000]);
    expect([all.contains(100, 100), all.contains(500, 500), all.contains(2100, 100), all.contains(2900, 900), all.contains(5500, 100)]).toEqual([true, false, true, false, false]);
    expect(all.containsTile({ x: 0, y: 0, width: 256, height: 256 })).toBe(true);
    expect(all.containsTile({ x: 372, y: 372, width: 256, height: 256 })).toBe(false); // centre in the hole
    const tumor = await readRegionsOfInterest(p, { classifications: ['Tumor'], offsetX: -100, offsetY: 0 });
    expect(tumor.polygons).toHaveLength(1);
    expect([tumor.contains(-50, 10), tumor.contains(950, 10)]).toEqual([true, false]);
  });
});
