/**
 * GeoJSON writing at whole-slide scale: blurmm's streaming writer (plain and gzip) against two
 * peers on the same synthetic tiles, each in its own process so peak RSS is its own:
 *   - "naive": build the FeatureCollection in memory, JSON.stringify, writeFile (what a quick
 *     script does); it cannot reach 1 M tiles of this size (V8's string limit), so ratios are at 200k;
 *   - "python": CPython's json.dumps per feature to a file (/usr/bin/python3), a common peer tool.
 * Prints tiles/s, MB/s, file size and peak RSS; ratios against blurmm in the same run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import type { TileResult } from '../src/core/types.js';
import { createGeoJsonWriter } from '../src/adapters/geojson/index.js';
import { tileToFeature } from '../src/adapters/geojson/feature.js';
import { routeClasses } from '../src/adapters/geojson/classes.js';
import { createContext, createReport, createRouter, RULES } from '../test/helpers/overlay-fixtures.js';

const self = fileURLToPath(import.meta.url);

function tileAt(i: number, router = createRouter()): TileResult {
  const cols = 1000;
  const col = i % cols, row = Math.floor(i / cols);
  const lv = ((i * 7919) % 1000) + 0.25;
  const route = router.route({ lv });
  return {
    index: i, col, row, x: col * 256, y: row * 256, width: 256, height: 256, level: 0, tissueFraction: 0.875,
    blur: { lv }, route,
    ...(route.model ? { prediction: { model: route.model, values: [0.25, 0.75], labels: ['benign', 'tumor'], score: 0.75 } } : {}),
  };
}

async function child(mode: string, n: number, out: string): Promise<void> {
  const t0 = performance.now();
  if (mode === 'blurmm' || mode === 'blurmm-gz') {
    const w = createGeoJsonWriter({ path: out, gzip: mode === 'blurmm-gz', overwrite: true });
    await w.open(createContext());
    const router = createRouter();
    for (let i = 0; i < n; i++) {
      const r = w.write(tileAt(i, router));
      if (r) await r;
    }
    await w.close(createReport([]));
  } else if (mode === 'overlays') {
    // heatmap + report writers on 1 M tiles of a 256k x 256k synthetic slide (thumbnail from a 1000 px level)
    const { createHeatmapWriter } = await import('../src/adapters/heatmap/index.js');
    const { createHtmlReportWriter } = await import('../src/adapters/report/index.js');
    const side = 1000 * 256;
    const levels = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((k) => ({ index: k, width: Math.round(side / 2 ** k), height: Math.round(side / 2 ** k), downsample: 2 ** k }));
    const source = {
      format: 'synthetic', path: '/synthetic/big.tif', width: side, height: side, levels, mpp: { x: 0.25, y: 0.25 }, mppSource: 'synthetic',
      properties: {}, associatedImages: [],
      async readRegion(req: { width: number; height: number; channels?: 3 | 4 }) {
        const ch = req.channels ?? 3;
        const data = new Uint8Array(req.width * req.height * ch).fill(220);
        return { data, width: req.width, height: req.height, channels: ch };
      },
      async close() {},
    };
    const ctx = { ...createContext(), source };
    const writers = [createHeatmapWriter({ dir: out, overwrite: true }), createHtmlReportWriter({ path: join(out, 'report.html'), overwrite: true })];
    for (const w of writers) await w.open(ctx);
    const router = createRouter();
    for (let i = 0; i < n; i++) {
      const t = tileAt(i, router);
      for (const w of writers) w.write(t);
    }
    const report = { ...createReport([]), tiling: { ...createReport([]).tiling, gridColumns: 1000, gridRows: Math.ceil(n / 1000) } };
    for (const w of writers) await w.close(report);
  } else if (mode === 'naive') {
    const style = { objectType: 'tile' as const, classification: 'blur' as const, lock: true, classes: routeClasses({ rules: RULES, fallback: { label: 'unrouted', model: null } }), metadata: { 'blurmm.version': '0.1.0', estimators: 'lv@1.0.0', slide: '/synthetic/slide.tif' }, id: () => randomUUID() };
    const router = createRouter();
    const features = [];
    for (let i = 0; i < n; i++) features.push(tileToFeature(tileAt(i, router), style).feature);
    writeFileSync(out, JSON.stringify({ type: 'FeatureCollection', features }));
  }
  const ms = performance.now() - t0;
  process.stdout.write(JSON.stringify({ ms, rssMB: process.resourceUsage().maxRSS / 1024 }) + '\n');
}

const PY = String.raw`
import json, sys, time, uuid, resource
n, out = int(sys.argv[1]), sys.argv[2]
colors = {0: [44,160,44], 1: [255,127,14], 2: [214,39,40]}
labels = {0: 'sharp', 1: 'moderate', 2: 'severe'}
models = {0: 'sharp-model', 1: 'blur-model', 2: None}
t0 = time.perf_counter()
with open(out, 'w') as f:
    f.write('{"type":"FeatureCollection","features":[\n')
    for i in range(n):
        col, row = i % 1000, i // 1000
        lv = ((i * 7919) % 1000) + 0.25
        k = 0 if lv >= 200 else 1 if lv >= 50 else 2
        x, y = col * 256, row * 256
        m = {'blur.lv': lv, 'route.index': k, 'tissue.fraction': 0.875}
        md = {'blurmm.version': '0.1.0', 'estimators': 'lv@1.0.0', 'slide': '/synthetic/slide.tif', 'route.label': labels[k]}
        if models[k]:
            m.update({'prediction.score': 0.75, 'prediction.benign': 0.25, 'prediction.tumor': 0.75})
            md['route.model'] = models[k]; md['prediction.model'] = models[k]
        md['tile.grid'] = f'{col},{row}'
        feat = {'type': 'Feature', 'id': str(uuid.uuid4()), 'geometry': {'type': 'Polygon', 'coordinates': [[[x, y], [x+256, y], [x+256, y+256], [x, y+256], [x, y]]]},
                'properties': {'objectType': 'tile', 'isLocked': True, 'classification': {'name': labels[k], 'color': colors[k]}, 'measurements': m, 'metadata': md}}
        f.write((',\n' if i else '') + json.dumps(feat, separators=(',', ':'), allow_nan=False))
    f.write('\n]}\n')
ms = (time.perf_counter() - t0) * 1000
print(json.dumps({'ms': ms, 'rssMB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
`;

interface Result { ms: number; rssMB: number; bytes: number }

function measure(mode: string, n: number, dir: string): Result | undefined {
  const out = mode === 'overlays' ? join(dir, 'overlays') : join(dir, `${mode}-${n}.geojson${mode.endsWith('gz') ? '.gz' : ''}`);
  const r = mode === 'python'
    ? spawnSync('/usr/bin/python3', ['-c', PY, String(n), out], { encoding: 'utf8' })
    : spawnSync(process.execPath, ['--import', 'tsx', self, 'child', mode, String(n), out], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) {
    process.stdout.write(`  ${mode} n=${n}: failed (${(r.stderr || '').split('\n').slice(-3).join(' ')})\n`);
    return undefined;
  }
  const line = r.stdout.trim().split('\n').pop()!;
  const { ms, rssMB } = JSON.parse(line) as { ms: number; rssMB: number };
  const bytes = mode === 'overlays' ? readdirSync(out).reduce((a, f) => a + statSync(join(out, f)).size, 0) : statSync(out).size;
  rmSync(out, { recursive: true, force: true });
  return { ms, rssMB, bytes };
}

function row(name: string, n: number, r: Result | undefined): void {
  if (!r) return;
  process.stdout.write(`  ${name.padEnd(22)} ${String(n).padStart(8)} tiles  ${(r.ms / 1000).toFixed(2).padStart(6)} s  ${Math.round(n / (r.ms / 1000)).toString().padStart(8)} tiles/s  ${(r.bytes / 1e6 / (r.ms / 1000)).toFixed(1).padStart(6)} MB/s  ${(r.bytes / 1e6).toFixed(1).padStart(7)} MB  peak RSS ${r.rssMB.toFixed(0).padStart(5)} MB\n`);
}

async function main(): Promise<void> {
  const [, , cmd, mode, n, out] = process.argv;
  if (cmd === 'child') return child(mode!, Number(n), out!);
  const dir = mkdtempSync(join(tmpdir(), 'blurmm-bench-geojson-'));
  try {
    const small = 200_000, big = 1_000_000;
    process.stdout.write(`GeoJSON writing (QuPath profile, ${small} and ${big} tiles of 256 px with LV, route and a 2-class prediction)\n`);
    const b = measure('blurmm', small, dir), bz = measure('blurmm-gz', small, dir), nv = measure('naive', small, dir), py = measure('python', small, dir);
    row('blurmm stream', small, b);
    row('blurmm stream gzip', small, bz);
    row('peer: naive stringify', small, nv);
    row('peer: python json', small, py);
    const b1 = measure('blurmm', big, dir);
    row('blurmm stream', big, b1);
    if (b && bz) process.stdout.write(`  gzip: ${(b.bytes / bz.bytes).toFixed(1)}x smaller, ${(bz.ms / b.ms).toFixed(2)}x the time\n`);
    if (b && nv) process.stdout.write(`  ratio speed blurmm/naive ${(nv.ms / b.ms).toFixed(2)}x, peak RSS naive/blurmm ${(nv.rssMB / b.rssMB).toFixed(2)}x\n`);
    if (b && py) process.stdout.write(`  ratio speed blurmm/python ${(py.ms / b.ms).toFixed(2)}x\n`);
    const ov = measure('overlays', big, dir);
    if (ov) process.stdout.write(`  heatmaps (3 PNG + TIFF + npy) and report.html for ${big} tiles: ${(ov.ms / 1000).toFixed(2)} s, ${(ov.bytes / 1e6).toFixed(1)} MB written, peak RSS ${ov.rssMB.toFixed(0)} MB (no peer)\n`);
    if (b && b1) process.stdout.write(`  bounded memory: peak RSS ${b.rssMB.toFixed(0)} MB at 200k vs ${b1.rssMB.toFixed(0)} MB at 1M (${(b1.rssMB / b.rssMB).toFixed(2)}x for 5x the tiles)\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
