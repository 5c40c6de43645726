import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { isBlurmmError } from '../src/core/errors.js';
import type { TileResult } from '../src/core/types.js';
import { createGeoJsonWriter, readGeoJsonFile, ringSelfIntersects } from '../src/adapters/geojson/index.js';
import { createContext, createReport, createTiles, SLIDE_H, SLIDE_W } from './helpers/overlay-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'blurmm-geojson-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const hasOgr = spawnSync('ogrinfo', ['--version']).status === 0;

async function writeTiles(path: string, tiles: TileResult[], options: Record<string, unknown> = {}) {
  const writer = createGeoJsonWriter({ path, overwrite: true, ...options });
  await writer.open(createContext());
  for (const t of tiles) await writer.write(t);
  await writer.close(createReport(tiles));
  return writer.summary!;
}

interface Feature {
  type: string;
  id: string;
  geometry: { type: string; coordinates: number[][][] };
  properties: {
    objectType: string;
    isLocked: boolean;
    classification: { name: string; color: number[] };
    measurements: Record<string, unknown>;
    metadata: Record<string, unknown>;
  } & Record<string, unknown>;
}

function signedArea(ring: number[][]): number {
  let a = 0;
  for (let i = 0; i + 1 < ring.length; i++) a += ring[i]![0]! * ring[i + 1]![1]! - ring[i + 1]![0]! * ring[i]![1]!;
  return a / 2;
}

/** duplicate keys inside any JSON object of the text (JSON.parse would hide them) */
function duplicateKeys(text: string): string[] {
  const dups: string[] = [];
  const stack: Set<string>[] = [];
  const re = /"(?:[^"\\]|\\.)*"\s*:|[{}]|"(?:[^"\\]|\\.)*"/g;
  for (const m of text.matchAll(re)) {
    const tok = m[0];
    if (tok === '{') stack.push(new Set());
    else if (tok === '}') stack.pop();
    else if (tok.endsWith(':')) {
      const key = tok.slice(0, tok.lastIndexOf('"') + 1);
      const top = stack[stack.length - 1]!;
      if (top.has(key)) dups.push(key);
      top.add(key);
    }
  }
  return dups;
}

describe('GeoJSON writer: the QuPath profile, rule by rule', () => {
  const tiles = createTiles();
  const path = join(dir, 'tiles.geojson');
  let text = '';
  let fc: { type: string; features: Feature[] };

  it('writes every tile as a Feature of a FeatureCollection', async () => {
    const summary = await writeTiles(path, tiles);
    text = readFileSync(path, 'utf8');
    fc = JSON.parse(text);
    expect(fc.type).toBe('FeatureCollection');
    expect(fc.features).toHaveLength(tiles.length);
    expect(tiles.length).toBe(46);
    expect(summary).toEqual({ files: [path], features: 46, skippedTiles: 0, droppedValues: 1 });
  });

  it('gives each feature a unique UUID id', () => {
    const ids = fc.features.map((f) => f.id);
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('writes closed, counter-clockwise, simple Polygon rings in level-0 px equal to the tile extents', () => {
    fc.features.forEach((f, i) => {
      const t = tiles[i]!;
      expect(f.type).toBe('Feature');
      expect(f.geometry.type).toBe('Polygon');
      expect(f.geometry.coordinates).toHaveLength(1);
      const ring = f.geometry.coordinates[0]!;
      expect(ring).toHaveLength(5);
      expect(ring[0]).toEqual(ring[4]);
      expect(signedArea(ring)).toBe(t.width * t.height);
      expect(ringSelfIntersects(ring)).toBe(false);
      const xs = ring.map((p) => p[0]!), ys = ring.map((p) => p[1]!);
      expect([Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]).toEqual([t.x, t.y, t.x + t.width, t.y + t.height]);
      expect(Math.max(...xs)).toBeLessThanOrEqual(SLIDE_W);
      expect(Math.max(...ys)).toBeLessThanOrEqual(SLIDE_H);
    });
    expect(text).not.toContain('GeometryCollection');
  });

  it('sets objectType "tile" and isLocked true by default', () => {
    for (const f of fc.features) {
      expect(f.properties.objectType).toBe('tile');
      expect(f.properties.isLocked).toBe(true);
    }
  });

  it('classifies by blur class with both name and colour from the routing rules', () => {
    const expected: Record<string, number[]> = { sharp: [44, 160, 44], moderate: [255, 127, 14], severe: [214, 39, 40], unrouted: [128, 128, 128] };
    fc.features.forEach((f, i) => {
      const c = f.properties.classification;
      expect(Object.keys(c).sort()).toEqual(['color', 'name']);
      expect(c.name).toBe(tiles[i]!.route.label);
      expect(c.color).toEqual(expected[c.name]);
    });
    const names = new Set(fc.features.map((f) => f.properties.classification.name));
    expect([...names].sort()).toEqual(['moderate', 'severe', 'sharp', 'unrouted']);
  });

  it('writes measurements as an object of finite numbers, without NaN/Infinity and without duplicate keys', () => {
    expect(text).not.toMatch(/NaN|Infinity/);
    expect(duplicateKeys(text)).toEqual([]);
    fc.features.forEach((f, i) => {
      const t = tiles[i]!;
      const m = f.properties.measurements;
      expect(Array.isArray(m)).toBe(false);
      for (const v of Object.values(m)) expect(typeof v === 'number' && Number.isFinite(v)).toBe(true);
      if (Number.isFinite(t.blur.lv)) expect(m['blur.lv']).toBe(t.blur.lv);
      else expect(m).not.toHaveProperty('blur.lv');
      expect(m['route.index']).toBe(t.route.index);
      expect(m['tissue.fraction']).toBe(0.9);
      if (t.prediction) {
        expect(m['prediction.score']).toBe(t.prediction.score);
        expect(m['prediction.tumor']).toBe(t.prediction.values[1]);
        expect(m['prediction.benign']).toBe(t.prediction.values[0]);
      } else expect(m).not.toHaveProperty('prediction.score');
    });
  });

  it('puts provenance in metadata, strings only', () => {
    for (const f of fc.features) {
      const md = f.properties.metadata;
      for (const v of Object.values(md)) expect(typeof v).toBe('string');
      expect(md['blurmm.version']).toBe('0.1.0');
      expect(md.estimators).toBe('lv@1.0.0');
      expect(md['route.label']).toBe(f.properties.classification.name);
    }
    const sharp = fc.features.find((f) => f.properties.classification.name === 'sharp')!;
    expect(sharp.properties.metadata['prediction.model']).toBe('sharp-model');
  });

  it.skipIf(!hasOgr)('parses with GDAL ogrinfo (plain and /vsigzip/)', async () => {
    const out = execFileSync('ogrinfo', ['-ro', '-al', '-so', path], { encoding: 'utf8' });
    expect(out).toMatch(/Geometry: Polygon/);
    expect(out).toMatch(/Feature Count: 46/);
    expect(out).toMatch(/Extent: \(0\.0+, 0\.0+\) - \(2000\.0+, 1500\.0+\)/);
    const gz = join(dir, 'ogr.geojson.gz');
    await writeTiles(gz, tiles);
    const outGz = execFileSync('ogrinfo', ['-ro', '-al', '-so', `/vsigzip/${gz}`], { encoding: 'utf8' });
    expect(outGz).toMatch(/Feature Count: 46/);
  });
  it.skipIf(hasOgr)('ogrinfo check skipped: install the Debian package gdal-bin', () => {});

  it('round-trips through the tolerant reader', async () => {
    const { objects, warnings } = await readGeoJsonFile(path);
    expect(warnings).toEqual([]);
    expect(objects).toHaveLength(tiles.length);
    objects.forEach((o, i) => {
      const t = tiles[i]!;
      expect(o.id).toBe(fc.features[i]!.id);
      expect(o.objectType).toBe('tile');
      expect(o.isLocked).toBe(true);
      expect(o.bounds).toEqual([t.x, t.y, t.x + t.width, t.y + t.height]);
      expect(o.classification?.name).toBe(t.route.label);
      expect(o.measurements['route.index']).toBe(t.route.index);
      expect(o.metadata['tile.grid']).toBe(`${t.col},${t.row}`);
    });
  });
});

describe('GeoJSON writer: options', () => {
  const tiles = createTiles();

  it('gzip writes .geojson.gz whose content equals the plain file apart from ids', async () => {
    const s = await writeTiles(join(dir, 'g.geojson'), tiles, { gzip: true });
    expect(s.files).toEqual([join(dir, 'g.geojson.gz')]);
    const bytes = readFileSync(join(dir, 'g.geojson.gz'));
    expect([bytes[0], bytes[1]]).toEqual([0x1f, 0x8b]);
    const fc = JSON.parse(gunzipSync(bytes).toString('utf8'));
    expect(fc.features).toHaveLength(46);
    expect(fc.features[3].properties.measurements).toEqual({ 'blur.lv': 103, 'route.index': 1, 'tissue.fraction': 0.9, 'prediction.score': 0.1, 'prediction.benign': 0.9, 'prediction.tumor': 0.1 });
    const { objects } = await readGeoJsonFile(join(dir, 'g.geojson.gz'));
    expect(objects).toHaveLength(46);
  });

  it('splits into chunks of chunkSize features, each a complete FeatureCollection', async () => {
    const s = await writeTiles(join(dir, 'chunked.geojson'), tiles, { chunkSize: 20 });
    expect(s.files.map((f) => f.slice(dir.length + 1))).toEqual(['chunked-0001.geojson', 'chunked-0002.geojson', 'chunked-0003.geojson']);
    const counts = s.files.map((f) => JSON.parse(readFileSync(f, 'utf8')).features.length);
    expect(counts).toEqual([20, 20, 6]);
    const s2 = await writeTiles(join(dir, 'exact.geojson.gz'), tiles.slice(0, 40), { chunkSize: 20 });
    expect(s2.files.map((f) => f.slice(dir.length + 1))).toEqual(['exact-0001.geojson.gz', 'exact-0002.geojson.gz']);
  });

  it('writes detections or annotations on request (annotations unlocked by default) and classifies by prediction', async () => {
    await writeTiles(join(dir, 'det.geojson'), tiles, { objectType: 'detection', classification: 'prediction' });
    const det = JSON.parse(readFileSync(join(dir, 'det.geojson'), 'utf8')).features as Feature[];
    expect(new Set(det.map((f) => f.properties.objectType))).toEqual(new Set(['detection']));
    const byName = (n: string) => det.filter((f) => f.properties.classification.name === n).length;
    // rows 0-3 have tumor <= 0.4 < benign; row 4 (0.5/0.5) keeps the first max (benign); severe/unrouted tiles have no prediction
    expect(byName('benign')).toBe(tiles.filter((t) => t.prediction && t.prediction.values[0]! >= t.prediction.values[1]!).length);
    expect(byName('No prediction')).toBe(tiles.filter((t) => !t.prediction).length);
    for (const f of det) expect(f.properties.classification.color).toHaveLength(3);
    await writeTiles(join(dir, 'ann.geojson'), tiles, { objectType: 'annotation' });
    const ann = JSON.parse(readFileSync(join(dir, 'ann.geojson'), 'utf8')).features as Feature[];
    expect(ann.every((f) => f.properties.objectType === 'annotation' && f.properties.isLocked === false)).toBe(true);
  });

  it('writes a valid empty FeatureCollection for a slide without tissue tiles', async () => {
    const p = join(dir, 'empty.geojson');
    await writeTiles(p, []);
    expect(JSON.parse(readFileSync(p, 'utf8'))).toEqual({ type: 'FeatureCollection', features: [] });
  });

  it('skips tiles with an empty or non-finite extent and counts them', async () => {
    const bad = [{ ...tiles[0]!, width: 0 }, { ...tiles[1]!, x: NaN }, tiles[2]!];
    const s = await writeTiles(join(dir, 'bad.geojson'), bad);
    expect(s.features).toBe(1);
    expect(s.skippedTiles).toBe(2);
  });
});

describe('GeoJSON writer: bad outputs leave nothing behind', () => {
  const tiles = createTiles();

  it('refuses an existing output without overwrite, naming the path, and leaves it untouched', async () => {
    const p = join(dir, 'exists.geojson');
    writeFileSync(p, 'keep me');
    const w = createGeoJsonWriter({ path: p });
    const err = await w.open(createContext()).catch((e: unknown) => e);
    expect(isBlurmmError(err, 'E_IO')).toBe(true);
    expect((err as Error).message).toContain(p);
    expect((err as Error).message).toContain('overwrite');
    expect(readFileSync(p, 'utf8')).toBe('keep me');
    await writeTiles(p, tiles, { overwrite: true });
    expect(JSON.parse(readFileSync(p, 'utf8')).features).toHaveLength(46);
  });

  it('fails with E_IO naming the path when the folder cannot be created', async () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'x');
    const p = join(blocker, 'tiles.geojson');
    const err = await createGeoJsonWriter({ path: p }).open(createContext()).catch((e: unknown) => e);
    expect(isBlurmmError(err, 'E_IO')).toBe(true);
    expect((err as Error).message).toContain(p);
  });

  it('abort deletes the temp files of every chunk and writes no output', async () => {
    const sub = join(dir, 'aborted');
    const w = createGeoJsonWriter({ path: join(sub, 'tiles.geojson.gz'), chunkSize: 10 });
    await w.open(createContext());
    for (const t of tiles.slice(0, 25)) await w.write(t);
    await w.abort!(new Error('stop'));
    expect(readdirSync(sub)).toEqual([]);
  });

  it('rejects bad options with the argument template', () => {
    expect(() => createGeoJsonWriter({ path: '' })).toThrow('Expected a non-empty file path for options.path but received "" of type string');
    expect(() => createGeoJsonWriter({ path: 'x.geojson', chunkSize: 0 })).toThrow('Expected a positive integer (features per file) for options.chunkSize but received 0 of type number');
  });
});

describe('GeoJSON writer: scale', () => {
  it('streams 100k tiles to a valid file', async () => {
    const base = createTiles()[0]!;
    const p = join(dir, 'big.geojson.gz');
    const w = createGeoJsonWriter({ path: p, overwrite: true });
    await w.open(createContext());
    const cols = 400;
    for (let i = 0; i < 100_000; i++) {
      const col = i % cols, row = Math.floor(i / cols);
      const r = w.write({ ...base, index: i, col, row, x: col * 256, y: row * 256, blur: { lv: (i % 500) + 0.5 } });
      if (r) await r;
    }
    await w.close(createReport([]));
    expect(statSync(p).size).toBeGreaterThan(1_000_000);
    const text = gunzipSync(readFileSync(p)).toString('utf8');
    const fc = JSON.parse(text);
    expect(fc.features).toHaveLength(100_000);
    expect(fc.features[99_999].geometry.coordinates[0][2]).toEqual([399 * 256 + 256, 249 * 256 + 256]);
    expect(existsSync(p)).toBe(true);
  });
});

describe('GeoJSON feature encoder (the writer fast path)', () => {
  it('encodes exactly what tileToFeature builds, including odd labels, NaN values and prediction classes', async () => {
    const { createFeatureEncoder, tileToFeature } = await import('../src/adapters/geojson/feature.js');
    const { routeClasses } = await import('../src/adapters/geojson/classes.js');
    const { RULES } = await import('./helpers/overlay-fixtures.js');
    const base = createTiles();
    const odd: TileResult[] = [
      ...base,
      { ...base[0]!, blur: { lv: NaN, 'focus "lite"': 0.5, fl: Infinity }, tissueFraction: NaN },
      { ...base[0]!, prediction: { model: 'm\u00e9', values: [0.2, NaN, 0.8], labels: ['a', 'b\\c', 'd"e'], score: NaN } },
      { ...base[0]!, prediction: { model: 'm', values: [0.2, 0.8], labels: ['score', 'x'], score: 0.8 } },
      { ...base[0]!, prediction: { model: 'm', values: [0.2, 0.8], labels: ['x', 'x'], score: 0.8 } },
      { ...base[0]!, prediction: { model: 'm', values: [0.2, 0.8], score: 0.8 } },
      { ...base[0]!, x: 10.5, y: -3, route: { index: 7, label: 'other <label>', model: null } },
    ];
    for (const classification of ['blur', 'prediction'] as const) {
      const style = { objectType: 'detection' as const, classification, lock: false, classes: routeClasses({ rules: RULES, fallback: { label: 'unrouted', model: null } }), metadata: { 'blurmm.version': '0.1.0', 'a"b': 'c\nd' }, id: (t: TileResult) => `id-${t.index}` };
      const encode = createFeatureEncoder(style);
      for (const t of odd) {
        const fast = encode(t);
        const slow = tileToFeature(t, style);
        expect(JSON.parse(fast.json)).toEqual(JSON.parse(JSON.stringify(slow.feature)));
        expect(fast.dropped).toBe(slow.dropped);
      }
    }
  });
});

describe('overlay writers in the writer registry', () => {
  it('registers geojson, heatmap and report-html as lazy writers that work through the registry', async () => {
    const { registerOverlayWriters } = await import('../src/adapters/report/register-writers.js');
    const { writerRegistry } = await import('../src/core/registries.js');
    registerOverlayWriters();
    expect(['geojson', 'heatmap', 'report-html'].every((n) => writerRegistry.has(n))).toBe(true);
    const p = join(dir, 'registry.geojson');
    const w = writerRegistry.get('geojson')({ path: p, overwrite: true, objectType: 'detection' });
    const tiles = createTiles();
    expect(() => w.write(tiles[0]!)).toThrow('The geojson writer was not opened');
    await w.open(createContext());
    for (const t of tiles) await w.write(t);
    await w.close(createReport(tiles));
    const fc = JSON.parse(readFileSync(p, 'utf8'));
    expect(fc.features).toHaveLength(46);
    expect(fc.features[0].properties.objectType).toBe('detection');
  });
});
