import { request } from 'node:http';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError } from '../src/core/errors.js';
import type { SlideReport } from '../src/core/types.js';
import { createBlurmmServer, type BlurmmServer, type ServerHandlers } from '../src/adapters/server/index.js';
import { readGeoJsonText } from '../src/adapters/geojson/index.js';
import { createReport, createTiles } from './helpers/overlay-fixtures.js';

const base = realpathSync(mkdtempSync(join(tmpdir(), 'blurmm-serve-')));
const root = join(base, 'root');
const outside = join(base, 'outside');
mkdirSync(root);
mkdirSync(outside);
writeFileSync(join(root, 'slide.tif'), 'not really a slide');
writeFileSync(join(outside, 'secret.tif'), 'secret');
symlinkSync(join(outside, 'secret.tif'), join(root, 'link.tif'));
mkdirSync(join(root, 'models'));
writeFileSync(join(root, 'models', 'm.onnx'), 'x');

interface Call {
  route: string;
  target: string;
  options: Record<string, unknown>;
}
const calls: Call[] = [];
let gate: Promise<void> | undefined;
let aborted: unknown;

const handlers: ServerHandlers = {
  async info(target, options) {
    calls.push({ route: 'info', target, options });
    if (target.endsWith('bad.tif')) throw new FormatError(`Cannot open ${target}: not a format blurmm reads`, { path: target });
    return { path: target, format: 'synthetic', width: 2000, height: 1500 };
  },
  async estimate(target, options, onTile) {
    calls.push({ route: 'estimate', target, options });
    // as src/api.ts: tiles arrive through onTile, the report has none
    for (const t of createTiles()) onTile?.({ index: t.index, col: t.col, row: t.row, x: t.x, y: t.y, width: t.width, height: t.height, tissueFraction: t.tissueFraction, values: t.blur });
    return { ...createReport([]), routing: { rules: [], fallback: { label: 'estimated', model: null }, counts: {}, fractions: {} } };
  },
  async analyze(target, options) {
    calls.push({ route: 'analyze', target, options });
    if (gate) {
      const signal = options.signal!;
      await Promise.race([gate, new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }))]);
      if (signal.aborted) aborted = signal.reason;
    }
    return createReport();
  },
};

let server: BlurmmServer;
let port = 0;
afterAll(async () => {
  await server?.close();
  rmSync(base, { recursive: true, force: true });
});
beforeAll(async () => {
  server = createBlurmmServer({ roots: [root], handlers, maxBodyBytes: 4096 });
  ({ port } = await server.listen());
});

function call(method: string, path: string, body?: string | object, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; text: string; json: () => any }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...(data !== undefined ? { 'content-type': 'application/json' } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, text, json: () => JSON.parse(text) });
      });
    });
    req.on('error', reject);
    if (data !== undefined) req.write(data);
    req.end();
  });
}

describe('blurmm serve over loopback HTTP', () => {
  it('binds to 127.0.0.1 by default and answers GET /v1/health', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${port}`);
    const r = await call('GET', '/v1/health');
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ status: 'ok', blurmm: '0.1.0', busy: false });
  });

  it('POST /v1/info resolves a path inside the root (absolute or relative) and returns the handler JSON', async () => {
    calls.length = 0;
    const r = await call('POST', '/v1/info', { path: 'slide.tif' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.json()).toEqual({ path: join(root, 'slide.tif'), format: 'synthetic', width: 2000, height: 1500 });
    const r2 = await call('POST', '/v1/info', { path: join(root, 'slide.tif') });
    expect(r2.status).toBe(200);
    expect(calls.map((c) => c.target)).toEqual([join(root, 'slide.tif'), join(root, 'slide.tif')]);
  });

  it('refuses paths outside the roots, including ../ and symlinks pointing out (403), and missing files (404)', async () => {
    calls.length = 0;
    for (const path of [join(outside, 'secret.tif'), '../outside/secret.tif', 'link.tif', '/etc/passwd']) {
      const r = await call('POST', '/v1/info', { path });
      expect(r.status, path).toBe(403);
      expect(r.json().error.message).toContain("outside the server's roots");
    }
    const url = await call('POST', '/v1/info', { path: 'https://example.org/dicomweb/studies/1/series/2' });
    expect(url.status).toBe(403);
    expect(url.json().error.message).toContain('--allow-urls');
    const missing = await call('POST', '/v1/info', { path: 'nope.tif' });
    expect(missing.status).toBe(404);
    expect(missing.json().error).toMatchObject({ code: 'E_NOT_FOUND', pointer: '/path' });
    expect(calls).toEqual([]);
  });

  it('validates request bodies with the schema and names the field', async () => {
    const cases: [object | string, string, string][] = [
      [{ path: 'slide.tif', bogus: 1 }, '/bogus', 'is not a known field'],
      [{}, '/path', 'is required'],
      [{ path: 'slide.tif', tileSize: 'big' }, '/tileSize', 'must be integer'],
      [{ path: 'slide.tif', format: 'xml' }, '/format', 'must be one of "json", "geojson"'],
    ];
    for (const [body, pointer, message] of cases) {
      const r = await call('POST', '/v1/estimate', body);
      expect(r.status).toBe(400);
      expect(r.json().error).toMatchObject({ code: 'E_ARGUMENT', pointer });
      expect(r.json().error.message).toContain(message);
    }
    const notJson = await call('POST', '/v1/info', '{"path":');
    expect(notJson.status).toBe(400);
    expect(notJson.json().error.message).toContain('not valid JSON');
    const text = await call('POST', '/v1/info', '{"path":"slide.tif"}', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
  });

  it('limits body size (413), methods (405) and routes (404), and answers only loopback Host names (403)', async () => {
    const big = await call('POST', '/v1/info', { path: 'x'.repeat(5000) });
    expect(big.status).toBe(413);
    expect(big.json().error.code).toBe('E_TOO_LARGE');
    const m = await call('GET', '/v1/analyze');
    expect(m.status).toBe(405);
    expect(m.headers.allow).toBe('POST');
    expect((await call('GET', '/v2/nothing')).status).toBe(404);
    const rebound = await call('GET', '/v1/health', undefined, { host: 'evil.example:80' });
    expect(rebound.status).toBe(403);
  });

  it('maps typed errors from the handlers to HTTP statuses', async () => {
    writeFileSync(join(root, 'bad.tif'), 'x');
    const r = await call('POST', '/v1/info', { path: 'bad.tif' });
    expect(r.status).toBe(422);
    expect(r.json().error.code).toBe('E_FORMAT');
  });

  it('POST /v1/analyze returns the JSON report, or a QuPath GeoJSON FeatureCollection of the tiles', async () => {
    calls.length = 0;
    const r = await call('POST', '/v1/analyze', { path: 'slide.tif', outDir: 'out/run1' });
    expect(r.status).toBe(200);
    const report = r.json() as SlideReport;
    expect(report.tiles).toHaveLength(46);
    expect(report).toEqual(JSON.parse(JSON.stringify(createReport())));
    expect(calls[0]!.options.config).toBeUndefined();
    await call('POST', '/v1/analyze', { path: 'slide.tif', includeTiles: false, config: { tiling: { tileSize: 512 } } });
    expect(calls[1]!.options.config).toEqual({ tiling: { tileSize: 512 }, outputs: { includeTilesInReport: false } });
    calls.splice(1);
    expect(calls[0]!.options.outDir).toBe(join(root, 'out', 'run1'));
    expect(calls[0]!.options.baseDir).toBe(root);
    const g = await call('POST', '/v1/analyze', { path: 'slide.tif', format: 'geojson', objectType: 'detection' });
    expect(g.status).toBe(200);
    expect(g.headers['content-type']).toBe('application/geo+json; charset=utf-8');
    const { objects, warnings } = readGeoJsonText(g.text);
    expect(warnings).toEqual([]);
    expect(objects).toHaveLength(46);
    expect(objects.every((o) => o.objectType === 'detection' && o.classification?.color !== undefined)).toBe(true);
    expect(objects[0]!.classification).toEqual({ name: 'sharp', color: [44, 160, 44], names: ['sharp'] });
    const e = await call('POST', '/v1/estimate', { path: 'slide.tif', estimators: ['lv'], tileSize: 512, format: 'geojson' });
    expect(e.status).toBe(200);
    expect(calls[calls.length - 1]!.options).toMatchObject({ estimators: ['lv'], tileSize: 512 });
    const est = readGeoJsonText(e.text).objects;
    expect(est).toHaveLength(46);
    expect(est[0]!.measurements['blur.lv']).toBe(400);
    expect(est[0]!.classification).toEqual({ name: 'estimated', color: [128, 128, 128], names: ['estimated'] });
    const ej = await call('POST', '/v1/estimate', { path: 'slide.tif' });
    expect((ej.json() as SlideReport).tiles.map((t) => t.blur.lv).slice(0, 3)).toEqual([400, 401, 402]);
  });

  it('validates the analysis config with the config schema and keeps its file paths inside the roots', async () => {
    calls.length = 0;
    const bad = await call('POST', '/v1/analyze', { path: 'slide.tif', config: { tiling: { tileSize: -3 } } });
    expect(bad.status).toBe(400);
    expect(bad.json().error.code).toBe('E_CONFIG');
    expect(bad.json().error.pointer).toBe('/tiling/tileSize');
    const model = (path: string) => ({ routing: { preset: 'deepblurmm', models: { sharp: 'm' } }, models: [{ id: 'm', backend: 'onnxruntime', path, preprocess: { size: 224 } }] });
    const out = await call('POST', '/v1/analyze', { path: 'slide.tif', config: model(join(outside, 'secret.onnx')) });
    expect([out.status, out.json().error?.code]).toEqual([403, 'E_ARGUMENT']);
    const regions = await call('POST', '/v1/analyze', { path: 'slide.tif', config: { regions: { geojson: join(outside, 'secret.geojson') } } });
    expect([regions.status, regions.json().error?.pointer]).toEqual([403, '/config/regions/geojson']);
    const outDir = await call('POST', '/v1/analyze', { path: 'slide.tif', outDir: '../outside/run' });
    expect(outDir.status).toBe(403);
    expect(calls).toEqual([]);
  });

  it('runs one analysis at a time (503 + Retry-After) and aborts it when the client disconnects', async () => {
    let open!: () => void;
    gate = new Promise<void>((r) => (open = r));
    aborted = undefined;
    const first = new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/analyze', headers: { 'content-type': 'application/json' } });
      req.on('error', () => resolve());
      req.end(JSON.stringify({ path: 'slide.tif' }));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 300);
    });
    await new Promise((r) => setTimeout(r, 100));
    const busy = await call('POST', '/v1/analyze', { path: 'slide.tif' });
    expect(busy.status).toBe(503);
    expect(busy.headers['retry-after']).toBe('5');
    await first;
    for (let i = 0; i < 50 && aborted === undefined; i++) await new Promise((r) => setTimeout(r, 20));
    expect(String(aborted)).toContain('client disconnected');
    gate = undefined;
    open();
    const after = await call('POST', '/v1/analyze', { path: 'slide.tif' });
    expect(after.status).toBe(200);
  });
});

describe('createBlurmmServer arguments', () => {
  it('needs roots that exist', async () => {
    expect(() => createBlurmmServer({ roots: [], handlers })).toThrow('Expected at least one folder the server may read and write for options.roots but received an array of length 0');
    const s = createBlurmmServer({ roots: [join(base, 'missing')], handlers });
    await expect(s.listen()).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });
});
