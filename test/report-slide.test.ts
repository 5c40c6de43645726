/**
 * The overlay outputs of a real `analyze` on the shared slide: the files the issue asks for, the
 * GeoJSON parsed by ogrinfo, the heatmap sizes, and report.html in headless Chromium.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGeoJsonFile } from '../src/adapters/geojson/index.js';
import type { SlideReport } from '../src/core/types.js';
import { hasSharedData, shared } from './helpers/shared-data.js';

const CHROMIUM = '/usr/bin/chromium';
const hasOgr = spawnSync('ogrinfo', ['--version']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'blurmm-report-slide-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!hasSharedData)('overlays of a real analysis (blurmosaic, JPEG pyramidal TIFF)', () => {
  let report: SlideReport;
  beforeAll(async () => {
    const { analyze } = await import('../src/api.js');
    report = await analyze(shared('slides', 'blurmosaic-jpeg90-tile256.tif'), { outDir: dir });
  });

  it('writes tiles.geojson(.gz), heatmap-blur.png, heatmap-route.png, grids and report.html', () => {
    const files = readdirSync(dir).sort();
    for (const f of ['tiles.geojson', 'tiles.geojson.gz', 'heatmap-blur.png', 'heatmap-route.png', 'blur-grid.tiff', 'blur-grid.npy', 'report.html']) expect(files).toContain(f);
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('the GeoJSON holds one feature per processed tile and round-trips', async () => {
    const { objects, warnings } = await readGeoJsonFile(join(dir, 'tiles.geojson.gz'));
    expect(warnings).toEqual([]);
    expect(objects).toHaveLength(report.counts.processed);
    const labels = new Set(report.routing.rules.map((r) => r.label).concat(report.routing.fallback.label));
    for (const o of objects) expect(labels.has(o.classification!.name)).toBe(true);
    if (hasOgr) expect(execFileSync('ogrinfo', ['-ro', '-al', '-so', join(dir, 'tiles.geojson')], { encoding: 'utf8' })).toContain(`Feature Count: ${report.counts.processed}`);
  });

  it('heatmaps are the 1024 px thumbnail plus the legend', async () => {
    const m = await sharp(join(dir, 'heatmap-route.png')).metadata();
    expect([m.width, m.height]).toEqual([1024 + 240, Math.round((3090 * 1024) / 4100)]);
  });

  it.skipIf(!existsSync(CHROMIUM))('report.html loads in headless Chromium without console errors', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1800, height: 1200 } });
      const problems: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error') problems.push(msg.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(pathToFileURL(join(dir, 'report.html')).href, { waitUntil: 'load' });
      const size = await page.$eval('#thumbnail', (img) => [(img as HTMLImageElement).naturalWidth, (img as HTMLImageElement).naturalHeight]);
      expect(size).toEqual([1024, Math.round((3090 * 1024) / 4100)]);
      expect(await page.$$eval('#histogram .threshold', (els) => els.length)).toBe(2);
      await page.screenshot({ path: join(tmpdir(), 'blurmm-report-slide.png'), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
