/**
 * The blur pass end to end (read + decode + LV for every 512 px tile of level 0, no tissue mask):
 * blurmm's `estimate` against OpenSlide read_region + OpenCV (bench/peers/openslide_lv.py, the way
 * HistoQC-style Python code does it), both measured in this run, rounds interleaved, best of each.
 * Run: npx tsx bench/pipeline.bench.ts
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { estimate } from '../src/api.js';
import { hasSharedData, shared } from '../test/helpers/shared-data.js';

const here = dirname(fileURLToPath(import.meta.url));
if (!hasSharedData) {
  process.stdout.write('pipeline bench skipped: ../shared/data not found\n');
  process.exit(0);
}
const ROUNDS = Number(process.env.PIPELINE_BENCH_ROUNDS ?? 3);
const TILE = 512;
const files = [
  ['JPEG q90 RGB 4:4:4 TIFF (vips)', shared('slides', 'blurmosaic-jpeg90-tile256.tif')],
  ['OME-TIFF JPEG q75 YCbCr 4:2:0', shared('slides', 'blurmosaic-ome-subifd-jpeg75-tile256.ome.tif')],
  ['SVS-like JPEG q70, 240 px tiles', shared('slides', 'blurmosaic-svslike-jpeg70-tile240.svs')],
] as const;

interface Run { tiles: number; seconds: number; cpu: number; lvSum: number }

async function blurmm(path: string): Promise<Run> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let lvSum = 0;
  const report = await estimate(path, { tileSize: TILE, tissueMask: false, batchSize: 16 }, (t) => {
    lvSum += t.values.lv!;
  });
  const c = process.cpuUsage(c0);
  return { tiles: report.counts.processed, seconds: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6, lvSum };
}

function openslide(path: string): Run {
  const r = spawnSync('/usr/bin/python3', [join(here, 'peers', 'openslide_lv.py'), path, String(TILE), '1'], {
    encoding: 'utf8',
    env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '268435456', MALLOC_TRIM_THRESHOLD_: '1073741824', OMP_NUM_THREADS: '1' },
  });
  if (r.status !== 0) throw new Error(`OpenSlide peer failed (install python3-openslide and python3-opencv): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Run;
}

const best = (a: Run | undefined, b: Run): Run => (a && a.seconds <= b.seconds ? a : b);
process.stdout.write(`blur pass (read + LV), level 0, ${TILE} px tiles, best of ${ROUNDS} interleaved rounds\n`);
process.stdout.write('| slide | blurmm tiles/s | OpenSlide+OpenCV tiles/s | ratio (wall) | ratio (per CPU-second) | LV sums agree |\n|---|---|---|---|---|---|\n');
await blurmm(files[0][1]); // warm up: module loading, WASM compile, sharp init
for (const [label, path] of files) {
  let a: Run | undefined;
  let b: Run | undefined;
  for (let i = 0; i < ROUNDS; i++) {
    a = best(a, await blurmm(path));
    b = best(b, openslide(path));
  }
  const ours = a!.tiles / a!.seconds;
  const peer = b!.tiles / b!.seconds;
  const perCpu = a!.tiles / a!.cpu / (b!.tiles / b!.cpu);
  const agree = Math.abs(a!.lvSum - b!.lvSum) / b!.lvSum;
  process.stdout.write(`| ${label} | ${ours.toFixed(0)} | ${peer.toFixed(0)} | ${(ours / peer).toFixed(2)}x | ${perCpu.toFixed(2)}x | ${agree < 1e-9 ? 'yes' : `rel diff ${agree.toExponential(1)}`} |\n`);
}
