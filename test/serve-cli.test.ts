/**
 * `blurmm serve` as a real process over the real API, on the shared blurmosaic slide: the GeoJSON
 * it returns carries OpenCV's LV for every 512 px tile (deflate BigTIFF, bit-identical to the PNG).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGeoJsonText } from '../src/adapters/geojson/index.js';
import { hasSharedData, repoRoot, shared } from './helpers/shared-data.js';

interface RefTile { col: number; row: number; x: number; y: number; width: number; height: number; lv: number }

describe.skipIf(!hasSharedData)('blurmm serve (process, real API, shared slide)', () => {
  let proc: ChildProcess;
  let url = '';
  let stderr = '';
  beforeAll(async () => {
    proc = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/cli/main.ts'), 'serve', '--port', '0', '--root', shared('slides')], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      proc.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    });
  });
  afterAll(() => {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  });

  const post = (route: string, body: object) => fetch(`${url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('answers /v1/info for a slide under the root', async () => {
    const r = await post('/v1/info', { path: 'blurmosaic-deflate-tile512-bigtiff.tif' });
    expect(r.status).toBe(200);
    const info = (await r.json()) as { width: number; height: number; levels: unknown[] };
    expect([info.width, info.height, info.levels.length]).toEqual([4100, 3090, 3]);
  });

  it('returns /v1/analyze as QuPath GeoJSON whose blur.lv equals the OpenCV reference on every tile', async () => {
    const r = await post('/v1/analyze', { path: 'blurmosaic-deflate-tile512-bigtiff.tif', format: 'geojson' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/geo+json; charset=utf-8');
    const { objects, warnings } = readGeoJsonText(await r.text());
    expect(warnings).toEqual([]);
    const ref = JSON.parse(readFileSync(shared('reference', 'lv-tiles.json'), 'utf8')).grids['512'].tiles as RefTile[];
    const byCell = new Map(ref.map((t) => [`${t.col},${t.row}`, t]));
    expect(objects.length).toBeGreaterThan(50);
    for (const o of objects) {
      const t = byCell.get(o.metadata['tile.grid']!)!;
      expect(o.bounds).toEqual([t.x, t.y, t.x + t.width, t.y + t.height]);
      expect(Math.abs(o.measurements['blur.lv']! - t.lv) / t.lv).toBeLessThan(1e-9);
      expect(o.objectType).toBe('tile');
      expect(o.classification!.color).toHaveLength(3);
    }
    // r0c0 (sigma 0) is sharp; the background region (x < 1024, y >= 2048) has no tiles
    expect(objects.find((o) => o.metadata['tile.grid'] === '0,0')!.classification!.name).toBe('sharp');
    expect(objects.some((o) => o.bounds[0] < 1024 && o.bounds[1] >= 2048 && o.bounds[3] > 2560)).toBe(false);
  });

  it('refuses a path outside its root and stops cleanly on SIGINT', async () => {
    const r = await post('/v1/info', { path: shared('reference', 'lv-tiles.json') });
    expect(r.status).toBe(403);
    const code = await new Promise<number | null>((resolve) => {
      proc.once('exit', (c) => resolve(c));
      proc.kill('SIGINT');
    });
    expect(code).toBe(0);
  });
});
