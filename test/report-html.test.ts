import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBlurmmError } from '../src/core/errors.js';
import { createHtmlReportWriter } from '../src/adapters/report/index.js';
import { TILE, createContext, createReport, createTiles } from './helpers/overlay-fixtures.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const dir = mkdtempSync(join(tmpdir(), 'blurmm-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function writeReport(path: string, tiles = createTiles(), options: Record<string, unknown> = {}): Promise<string> {
  const w = createHtmlReportWriter({ path, thumbnailMaxSide: 500, overwrite: true, ...options });
  await w.open(createContext());
  for (const t of tiles) await w.write(t);
  await w.close(createReport(tiles));
  return readFileSync(path, 'utf8');
}

describe('report.html content', () => {
  const path = join(dir, 'report.html');
  let html = '';
  beforeAll(async () => {
    html = await writeReport(path);
  });

  it('is self-contained: no http(s) reference, no external script or stylesheet, a CSP that forbids network', () => {
    expect(html).not.toMatch(/(src|href)="(?!data:)[^"#]/);
    expect(html.replaceAll('xmlns="http://www.w3.org/2000/svg"', '')).not.toMatch(/https?:\/\//);
    expect(html).toContain("default-src 'none'; img-src data:");
    expect(html.match(/src="data:image\/(png|jpeg);base64,/g)).toHaveLength(4);
  });

  it('shows routing fractions, scores, per-model counts, warnings and timings', () => {
    expect(html).toMatch(/data-label="sharp">34\.8%/); // 16 of 46
    expect(html).toMatch(/data-label="moderate">39\.1%/); // 18 of 46
    expect(html).toMatch(/data-label="severe">23\.9%/); // 11 of 46
    expect(html).toMatch(/<td>sharp-model<\/td><td>function<\/td><td>1<\/td><td>16<\/td>/);
    expect(html).toMatch(/<td><b>overall<\/b><\/td><td>0\.45<\/td><td>0\.31<\/td>/);
    expect(html).toContain('tile (7, 5): lv is NaN; routed to the fallback');
    expect(html).toMatch(/<td>total<\/td><td>3\.90 s<\/td>/);
    expect(html.match(/class="threshold" data-value="(\d+)"/g)).toEqual(['class="threshold" data-value="50"', 'class="threshold" data-value="200"']);
  });

  it('escapes slide paths and labels', async () => {
    const p = join(dir, 'escaped.html');
    const w = createHtmlReportWriter({ path: p, thumbnailMaxSide: 64, overwrite: true });
    await w.open(createContext());
    const report = { ...createReport([]), slide: { ...createReport([]).slide, path: '/x/<script>alert(1)</script>.tif' } };
    await w.close(report);
    const text = readFileSync(p, 'utf8');
    expect(text).not.toContain('<script>alert(1)</script>');
    expect(text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(text).toContain('No tissue tiles were processed');
  });

  it('refuses an existing file without overwrite and writes nothing on abort', async () => {
    const err = await createHtmlReportWriter({ path }).open(createContext()).catch((e: unknown) => e);
    expect(isBlurmmError(err, 'E_IO')).toBe(true);
    expect((err as Error).message).toContain(path);
    const p = join(dir, 'aborted.html');
    const w = createHtmlReportWriter({ path: p });
    await w.open(createContext());
    await w.write(createTiles()[0]!);
    await w.abort!(new Error('stop'));
    expect(existsSync(p)).toBe(false);
  });
});

describe.skipIf(!hasChromium)('report.html in headless Chromium', () => {
  it('loads without console errors or network requests; overlay toggles and the screenshot show the overlay', async () => {
    const path = join(dir, 'browser.html');
    await writeReport(path);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, deviceScaleFactor: 1 });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('request', (r) => requests.push(r.url().slice(0, 30)));
      await page.goto(pathToFileURL(path).href, { waitUntil: 'load' });
      expect(await page.title()).toBe('blurmm QC - /synthetic/slide.tif');
      const visible = () => page.$$eval('#viewer img.overlay', (els) => els.filter((e) => (e as HTMLElement).style.display !== 'none').map((e) => e.id));
      expect(await visible()).toEqual(['overlay-blur']);
      await page.check('input[name=overlay][value=route]');
      expect(await visible()).toEqual(['overlay-route']);
      expect(await page.$eval('.legend.on', (e) => e.getAttribute('data-for'))).toBe('route');
      await page.$eval('#opacity', (e) => {
        (e as HTMLInputElement).value = '100';
        e.dispatchEvent(new Event('input'));
      });
      const shot = await page.locator('#viewer').screenshot({ path: join(dir, 'viewer.png') });
      writeFileSync(join(tmpdir(), 'blurmm-report-viewer.png'), shot);
      const { data, info } = await sharp(shot).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const scale = 2000 / 500;
      const px = (col: number, row: number) => {
        const x = Math.floor((col * TILE + TILE / 2) / scale) + 1, y = Math.floor((row * TILE + TILE / 2) / scale) + 1; // +1: viewer border
        const o = (y * info.width + x) * 3;
        return [data[o]!, data[o + 1]!, data[o + 2]!];
      };
      const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]!) <= 2);
      expect(near(px(0, 0), [44, 160, 44])).toBe(true);
      expect(near(px(4, 2), [255, 127, 14])).toBe(true);
      expect(near(px(6, 3), [214, 39, 40])).toBe(true);
      expect(near(px(7, 5), [128, 128, 128])).toBe(true);
      // background tiles (no overlay) show the pinkish thumbnail
      const bg = px(0, 5);
      expect(bg[0]! > 190 && bg[2]! > 180).toBe(true);
      await page.check('input[name=overlay][value=none]');
      expect(await visible()).toEqual([]);
      await page.check('input[name=overlay][value=prediction]');
      expect(await visible()).toEqual(['overlay-prediction']);
      expect(problems).toEqual([]);
      expect(requests.every((u) => u.startsWith('file:') || u.startsWith('data:'))).toBe(true);
    } finally {
      await browser.close();
    }
  });
});
describe.skipIf(hasChromium)('report.html in headless Chromium', () => {
  it('skipped: install the Debian package chromium (/usr/bin/chromium)', () => {});
});
