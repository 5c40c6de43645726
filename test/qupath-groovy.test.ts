/**
 * examples/qupath/blurmm-analyze.groovy run by real Groovy against stubs of QuPath's scripting API
 * (test/fixtures/qupath-stubs): it runs blurmm (CLI or serve) on the shared slide and imports the
 * tiles, shifting them when QuPath's origin is offset. QuPath itself is not involved.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasSharedData, repoRoot, shared } from './helpers/shared-data.js';

const JAVA_HOME = ['/usr/lib/jvm/java-17-openjdk-amd64', '/usr/lib/jvm/default-java'].find((d) => existsSync(join(d, 'bin', 'java')));
const hasGroovy = !!JAVA_HOME && spawnSync('groovy', ['--version'], { env: { ...process.env, JAVA_HOME } }).status === 0;
const stubs = join(repoRoot, 'test', 'fixtures', 'qupath-stubs');
const script = join(repoRoot, 'examples', 'qupath', 'blurmm-analyze.groovy');
const slide = shared('slides', 'blurmosaic-deflate-tile512-bigtiff.tif');
const cli = `${process.execPath} --import tsx ${join(repoRoot, 'src', 'cli', 'main.ts')}`;

interface Outcome { via: string; count: number; classes: Record<string, number>; first: { x: number; y: number; lv: number }; printed: string }

function runGroovy(env: Record<string, string>, width = 4100, height = 3090): Outcome {
  const out = execFileSync('groovy', ['-cp', stubs, join(stubs, 'run-script.groovy'), script, slide, String(width), String(height)], {
    cwd: repoRoot, encoding: 'utf8', env: { ...process.env, JAVA_HOME: JAVA_HOME!, BLURMM_CMD: cli, ...env }, timeout: 120_000,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Outcome;
}

describe.skipIf(!hasGroovy || !hasSharedData)('QuPath Groovy script (real Groovy, stubbed QuPath API)', () => {
  let serve: ChildProcess | undefined;
  afterAll(() => {
    if (serve && serve.exitCode === null) serve.kill('SIGKILL');
  });

  it('CLI mode: runs blurmm analyze and imports every tile with importObjectsFromFile at the same origin', () => {
    const r = runGroovy({ BLURMM_MODE: 'cli' });
    expect(r.via).toBe('importObjectsFromFile');
    expect(r.count).toBe(57);
    expect(r.first).toEqual({ x: 0, y: 0, lv: 391.7102584838867 }); // OpenCV reference LV of tile (0, 0)
    expect(Object.values(r.classes).reduce((a, b) => a + b, 0)).toBe(57);
    const dir = /outputs \(report\.html, heatmaps\) in (\S+)/.exec(r.printed)?.[1];
    expect(dir && existsSync(join(dir, 'report.html'))).toBe(true);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serve mode: POSTs /v1/analyze, imports the GeoJSON answer, shifted by the QuPath origin offset', async () => {
    serve = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'main.ts'), 'serve', '--port', '0', '--root', shared('slides')], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      let text = '';
      serve!.stdout!.on('data', (d: Buffer) => {
        text += d.toString();
        const m = /listening on (\S+)/.exec(text);
        if (m) resolve(m[1]!);
      });
      serve!.once('exit', (c) => reject(new Error(`serve exited ${c}`)));
    });
    const r = runGroovy({ BLURMM_MODE: 'serve', BLURMM_SERVE_URL: url, BLURMM_OFFSET_X: '100', BLURMM_OFFSET_Y: '50' });
    expect(r.via).toBe('addObjects');
    expect(r.count).toBe(57);
    expect(r.first).toEqual({ x: -100, y: -50, lv: 391.7102584838867 });
    expect(r.printed).toContain("QuPath's origin is at level-0 (100, 50)");
  });
});
describe.skipIf(hasGroovy)('QuPath Groovy script', () => {
  it('skipped: install the Debian package groovy (and a JDK) to run the script against stubs', () => {});
});
