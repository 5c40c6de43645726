import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasSharedData, repoRoot, shared } from './helpers/shared-data.js';

const cli = join(repoRoot, 'dist', 'cli.js');

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' }, timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe.runIf(existsSync(cli))('blurmm CLI (dist/cli.js; `npm test` builds it first)', () => {
  it('prints usage and version', () => {
    const u = run(['--help']);
    expect(u.code).toBe(0);
    for (const c of ['info', 'estimate', 'analyze']) expect(u.stdout).toContain(`  ${c}`);
    expect(run(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(run(['frobnicate']).code).toBe(2);
  });

  it('bad input: one-line causes and non-zero exit codes', () => {
    const missing = run(['info', '/nonexistent/slide.svs']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Cannot open \/nonexistent\/slide\.svs: no such file or folder.*\[E_NOT_FOUND\]/);
    const dir = mkdtempSync(join(tmpdir(), 'blurmm-cli-'));
    writeFileSync(join(dir, 'notes.txt'), 'this is not an image');
    const fmt = run(['info', join(dir, 'notes.txt')]);
    expect(fmt.code).toBe(1);
    expect(fmt.stderr).toContain('not a format blurmm reads');
    expect(fmt.stderr).toContain('[E_FORMAT]');
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ tiling: { tileSize: 512, edge: 'wrap' } }));
    const cfg = run(['analyze', join(dir, 'notes.txt'), '--config', join(dir, 'bad.json'), '--out', join(dir, 'out')]);
    expect(cfg.code).toBe(1);
    expect(cfg.stderr).toMatch(/config \/tiling\/edge must be one of "partial", "skip", "pad" \(got "wrap"\).*\[E_CONFIG\]/);
    const usage = run(['estimate', 'x.tif', '--tile', 'big']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Expected an integer >= 1 for --tile but received "big"');
    expect(run(['estimate', 'x.tif', '--mpp', '0.5', '--level', '1']).stderr).toContain('either --mpp or --level');
  });

  describe.skipIf(!hasSharedData)('on the shared blurmosaic slide', () => {
    it('estimate reproduces the OpenCV LV reference bit for bit on every 512 and 598 tile of the lossless BigTIFF, edge tiles included', () => {
      const ref = JSON.parse(readFileSync(shared('reference', 'lv-tiles.json'), 'utf8')) as { grids: Record<string, { tiles: { x: number; y: number; width: number; height: number; lv_exact: number; lv: number }[] }> };
      for (const size of ['512', '598']) {
        const r = run(['estimate', shared('slides', 'blurmosaic-deflate-tile512-bigtiff.tif'), '--tile', size, '--no-tissue-mask']);
        expect(r.code, r.stderr).toBe(0);
        const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { x: number; y: number; width: number; height: number; lv: number });
        const tiles = ref.grids[size]!.tiles;
        expect(rows).toHaveLength(tiles.length);
        for (const t of tiles) {
          const row = rows.find((x) => x.x === t.x && x.y === t.y)!;
          expect([row.width, row.height]).toEqual([t.width, t.height]);
          expect(Math.abs(row.lv - t.lv_exact) / t.lv_exact).toBeLessThanOrEqual(1e-9);
          expect(row.lv).toBe(t.lv_exact);
        }
      }
    });

    it('estimate --format csv with the tissue mask skips the glass background', () => {
      const r = run(['estimate', shared('slides', 'blurmosaic.png'), '--tile', '512', '--format', 'csv']);
      expect(r.code, r.stderr).toBe(0);
      const [header, ...lines] = r.stdout.trim().split('\n');
      expect(header).toBe('x,y,width,height,col,row,tissue,lv');
      // the 2x2 background regions at x < 1024, y >= 2048 hold 4 full tiles and 2 edge tiles
      const xy = lines.map((l) => l.split(',').map(Number));
      expect(xy.some(([x, y]) => x! < 1024 && y! >= 2048 && y! < 3072)).toBe(false);
      expect(lines.length).toBeGreaterThan(40);
    });

    it('info reports levels, downsamples and mpp of the JPEG pyramid', () => {
      const r = run(['info', shared('slides', 'blurmosaic-jpeg90-tile256.tif'), '--json']);
      expect(r.code, r.stderr).toBe(0);
      const info = JSON.parse(r.stdout) as { levels: { width: number; height: number; downsample: number }[]; mpp: { x: number } };
      expect(info.levels.map((l) => [l.width, l.height])).toEqual([[4100, 3090], [2050, 1545], [1025, 772], [512, 386], [256, 193]]);
      expect(info.levels[4]!.downsample).toBeCloseTo(16.012993847150259, 12);
      expect(info.mpp.x).toBeCloseTo(0.25, 12);
    });

    it('analyze without a config runs blur QC and writes report.json and tiles.geojson', () => {
      const out = mkdtempSync(join(tmpdir(), 'blurmm-analyze-'));
      const r = run(['analyze', shared('slides', 'blurmosaic-jpeg90-tile256.tif'), '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/routing:\n\s+sharp\s+\d+ tiles/);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { counts: { processed: number; backgroundSkipped: number }; routing: { counts: Record<string, number> }; tiles: { route: { label: string }; blur: { lv: number } }[] };
      expect(report.counts.processed).toBe(report.tiles.length);
      expect(report.counts.backgroundSkipped).toBeGreaterThanOrEqual(4);
      for (const t of report.tiles) expect(t.route.label).toBe(t.blur.lv > 25 ? 'sharp' : t.blur.lv >= 2 ? 'moderate' : 'severe');
      expect(report.routing.counts.sharp! + report.routing.counts.moderate! + report.routing.counts.severe!).toBe(report.tiles.length);
      const gj = JSON.parse(readFileSync(join(out, 'tiles.geojson'), 'utf8')) as { type: string; features: unknown[] };
      expect(gj.type).toBe('FeatureCollection');
      expect(gj.features).toHaveLength(report.tiles.length);
    });
  });
});
