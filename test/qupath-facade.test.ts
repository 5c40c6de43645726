import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { createQuPathContext } from '../src/adapters/qupath/index.js';
import { createReport } from './helpers/overlay-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'blurmm-qupath-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const hasOgr = spawnSync('ogrinfo', ['--version']).status === 0;

describe('QuPath-style scripting facade', () => {
  it('loads a report as tile objects classified by blur class, with measurements and metadata maps', () => {
    const qp = createQuPathContext({ report: createReport() });
    expect(qp.getTileObjects()).toHaveLength(46);
    expect(qp.getDetectionObjects()).toHaveLength(46); // tiles are detections, as in QuPath
    expect(qp.getAnnotationObjects()).toHaveLength(0);
    const t = qp.getTileObjects()[0]!;
    expect(t.getPathClass()).toBe(qp.getPathClass('sharp'));
    expect(t.getPathClass()!.color).toEqual([44, 160, 44]);
    expect(t.getMeasurements().get('blur.lv')).toBe(400);
    expect(t.getMeasurements().get('prediction.score')).toBe(0.1);
    expect(t.getMetadata().get('tile.grid')).toBe('0,0');
    expect(t.getROI().getArea()).toBe(256 * 256);
    expect(t.isLocked()).toBe(true);
    expect(String(t)).toBe('Tile (Rectangle) (sharp)');
  });

  it('getPathClass returns one instance per name and takes QuPath packed colours or [r, g, b]', () => {
    const qp = createQuPathContext();
    expect(qp.getColorRGB(200, 0, 0)).toBe(-3670016);
    const tumor = qp.getPathClass('Tumor', qp.getColorRGB(200, 0, 0));
    expect(tumor.color).toEqual([200, 0, 0]);
    expect(tumor.getColor()).toBe(-3670016);
    expect(qp.getPathClass('Tumor')).toBe(tumor);
    expect(qp.getPathClass('Stroma', [0, 150, 0]).color).toEqual([0, 150, 0]);
    expect(() => qp.getPathClass('')).toThrow('Expected a non-empty class name for name but received "" of type string');
  });

  it('selects by classification (names, PathClass objects, null for unclassified) and by predicate', () => {
    const qp = createQuPathContext({ report: createReport() });
    expect(qp.selectObjectsByClassification('severe')).toHaveLength(11);
    expect(qp.selectObjectsByClassification('sharp', qp.getPathClass('moderate'))).toHaveLength(34);
    expect(qp.getSelectedObjects()).toHaveLength(34);
    const free = qp.createDetectionObject(qp.createRectangleROI(0, 0, 10, 10));
    qp.addObject(free);
    expect(qp.selectObjectsByClassification(null)).toEqual([free]);
    // lv = 400 + 10 row + col on cols 0-2; row 5 cols 0-1 are background
    expect(qp.selectObjects((o) => (o.getMeasurements().get('blur.lv') ?? 0) > 445).map((o) => o.getMetadata().get('tile.grid'))).toEqual(['2,5']);
    expect(qp.selectObjects((o) => (o.getMeasurements().get('blur.lv') ?? 0) >= 440)).toHaveLength(4);
    qp.resetSelection();
    expect(qp.getSelectedObjects()).toEqual([]);
  });

  it('ROIs: area, centroid and containment (tiles inside a drawn annotation)', () => {
    const qp = createQuPathContext({ report: createReport() });
    const tri = qp.createPolygonROI([0, 1024, 0], [0, 0, 768]);
    expect(tri.getArea()).toBe((1024 * 768) / 2);
    expect(tri.getCentroidX()).toBeCloseTo(1024 / 3, 10);
    expect(tri.getCentroidY()).toBeCloseTo(256, 10);
    const inside = qp.getTileObjects().filter((t) => tri.contains(t.getROI().getCentroidX(), t.getROI().getCentroidY()));
    // tile centres (128 + 256c, 128 + 256r) under the line x/1024 + y/768 < 1
    expect(inside.map((t) => t.getMetadata().get('tile.grid')).sort()).toEqual(['0,0', '0,1', '0,2', '1,0', '1,1', '2,0']);
  });

  it('exportObjectsToGeoJson writes QuPath-valid features and importObjectsFromFile reads them back', async () => {
    const qp = createQuPathContext({ report: createReport() });
    const ann = qp.createAnnotationObject(qp.createRectangleROI(100, 200, 300, 400), qp.getPathClass('Region*', qp.getColorRGB(0, 0, 180)), { area: 120000, bad: NaN });
    ann.setName('ROI 1');
    ann.getMetadata().set('author', 'me');
    qp.addObject(ann);
    const path = join(dir, 'objects.geojson');
    await qp.exportObjectsToGeoJson(qp.getAllObjects(), path, 'FEATURE_COLLECTION');
    const fc = JSON.parse(readFileSync(path, 'utf8'));
    expect(fc.type).toBe('FeatureCollection');
    expect(fc.features).toHaveLength(47);
    const last = fc.features[46];
    expect(last.properties).toEqual({ objectType: 'annotation', name: 'ROI 1', classification: { name: 'Region*', color: [0, 0, 180] }, isLocked: false, measurements: { area: 120000 }, metadata: { author: 'me' } });
    expect(readFileSync(path, 'utf8')).not.toMatch(/NaN/);

    const qp2 = createQuPathContext();
    expect(await qp2.importObjectsFromFile(path)).toBe(true);
    expect(qp2.getImportWarnings()).toEqual([]);
    expect(qp2.getTileObjects()).toHaveLength(46);
    const back = qp2.getAnnotationObjects()[0]!;
    expect(back.getID()).toBe(ann.getID());
    expect(back.getName()).toBe('ROI 1');
    expect(back.getPathClass()!.color).toEqual([0, 0, 180]);
    expect([...back.getMeasurements()]).toEqual([['area', 120000]]);
    expect(back.getROI().getBoundsX()).toBe(100);
    expect(qp2.getTileObjects()[5]!.getMeasurements().get('blur.lv')).toBe(qp.getTileObjects()[5]!.getMeasurements().get('blur.lv'));

    const qp3 = createQuPathContext();
    await qp3.importObjectsFromFile(path, { offsetX: -100, offsetY: -200 });
    expect(qp3.getAnnotationObjects()[0]!.getROI().getBoundsX()).toBe(0);
    expect(qp3.getAnnotationObjects()[0]!.getROI().getBoundsY()).toBe(0);
    if (hasOgr) expect(execFileSync('ogrinfo', ['-ro', '-al', '-so', path], { encoding: 'utf8' })).toMatch(/Feature Count: 47/);
  });

  it('exports a bare array without FEATURE_COLLECTION, gzips .gz paths, and can leave measurements out', async () => {
    const qp = createQuPathContext({ report: createReport() });
    const p = join(dir, 'severe.json.gz');
    await qp.exportObjectsToGeoJson(qp.selectObjectsByClassification('severe'), p, 'EXCLUDE_MEASUREMENTS', 'PRETTY_JSON');
    const text = gunzipSync(readFileSync(p)).toString('utf8');
    const arr = JSON.parse(text);
    expect(Array.isArray(arr)).toBe(true);
    expect(arr).toHaveLength(11);
    expect(arr[0].properties.measurements).toBeUndefined();
    expect(text).toContain('\n  {');
    const qp2 = createQuPathContext();
    await qp2.importObjectsFromFile(p);
    expect(qp2.getTileObjects().every((t) => t.getPathClass()?.name === 'severe')).toBe(true);
  });
});
