/**
 * FocusLiteNN throughput through onnxruntime-node (one intra-op thread), next to LV measured in
 * the same run on the same tiles:
 * - 235 px patches at batch 1, 16 and 64 (the network's input; the PERFORMANCE.md protocol);
 * - the graph blurmm builds (uint8 NHWC in, cast/transpose inside) against a float32 NCHW graph
 *   fed by JS preprocessing (x / 255, HWC -> CHW), end to end;
 * - 512 px tiles (9 crops each, reference crop protocol) at batch 64.
 * PyTorch is not installed here: its figure is quoted from PERFORMANCE.md, labelled "reported".
 * Rounds are interleaved; figures are medians of wall time and of process CPU time (on a shared
 * machine the CPU figure is the steadier one). Run: npx tsx bench/focuslitenn.bench.ts
 */
import { existsSync } from 'node:fs';
import sharp from 'sharp';
import * as ort from 'onnxruntime-node';
import type { BlurEstimator, RgbImage } from '../src/core/types.js';
import { focusLiteNN } from '../src/plugins/estimators/focuslitenn.js';
import { loadFocusLiteNNWeights, type FocusLiteNNWeights } from '../src/plugins/estimators/focuslitenn-weights.js';
import { varianceOfLaplacian } from '../src/plugins/estimators/lv.js';
import { attr, buildOnnxModel, floatTensor, int64Tensor } from '../src/plugins/onnx/onnx-builder.js';
import { cropRgb } from '../src/plugins/train/patch-source.js';
import { hasSharedData, shared } from '../test/helpers/shared-data.js';

const ROUNDS = Number(process.env.FOCUS_BENCH_ROUNDS ?? 3);
const TARGET_S = 0.6;

// ---- data: crops of the in-focus TCGA patch (or seeded noise without shared data)
let source: RgbImage;
if (hasSharedData) {
  const { data, info } = await sharp(shared('focuslitenn', 'tcga-adrenal-in-focus.png')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  source = { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 };
} else {
  let s = 1;
  const data = new Uint8Array(1025 * 1025 * 3).map(() => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24));
  source = { data, width: 1025, height: 1025, channels: 3 };
}
const patches: RgbImage[] = [];
for (let y = 0; y + 235 <= 1025; y += 110) for (let x = 0; x + 235 <= 1025; x += 110) patches.push(cropRgb(source, x, y, 235, 235));
const tiles512 = [0, 256, 513].flatMap((y) => [0, 256, 513].map((x) => cropRgb(source, x, y, 512, 512)));

const refPath = hasSharedData ? shared('focuslitenn', 'focuslitenn-1kernel.weights.json') : '';
const weights: FocusLiteNNWeights = existsSync(refPath)
  ? await loadFocusLiteNNWeights(refPath)
  : { k: 1, convWeight: Float32Array.from({ length: 147 }, (_, i) => Math.sin(i)), convBias: Float32Array.of(0) };

// ---- the float32 NCHW variant of the same network, fed by JS preprocessing
const f32Model = buildOnnxModel({
  graph: {
    name: 'focuslitenn-f32',
    inputs: [{ name: 'x', type: 'FLOAT', shape: ['batch', 3, 235, 235] }],
    outputs: [{ name: 'score', type: 'FLOAT', shape: ['batch', 1] }],
    initializers: [floatTensor('w', [weights.k, 3, 7, 7], weights.convWeight), floatTensor('b', [weights.k], weights.convBias), int64Tensor('shape', [2], [0, 1])],
    nodes: [
      { opType: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attributes: { kernel_shape: attr.ints([7, 7]), strides: attr.ints([5, 5]), pads: attr.ints([1, 1, 1, 1]) } },
      { opType: 'ReduceMin', inputs: ['c'], outputs: ['m'], attributes: { axes: attr.ints([2, 3]), keepdims: attr.int(1) } },
      { opType: 'Reshape', inputs: ['m', 'shape'], outputs: ['score'] },
    ],
  },
});
const f32Session = await ort.InferenceSession.create(f32Model, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
async function f32Estimate(batch: readonly RgbImage[]): Promise<void> {
  const n = batch.length, plane = 235 * 235;
  const x = new Float32Array(n * 3 * plane);
  batch.forEach((img, b) => {
    const d = img.data;
    for (let i = 0; i < plane; i++) {
      x[(b * 3) * plane + i] = d[i * 3]! / 255;
      x[(b * 3 + 1) * plane + i] = d[i * 3 + 1]! / 255;
      x[(b * 3 + 2) * plane + i] = d[i * 3 + 2]! / 255;
    }
  });
  await f32Session.run({ x: new ort.Tensor('float32', x, [n, 3, 235, 235]) });
}

const est1: BlurEstimator = await focusLiteNN({ weights, batchSize: 1 });
const est16: BlurEstimator = await focusLiteNN({ weights, batchSize: 16 });
const est64: BlurEstimator = await focusLiteNN({ weights, batchSize: 64 });

interface Case {
  name: string;
  /** tiles per call */
  batch: number;
  run(tiles: readonly RgbImage[]): Promise<unknown> | unknown;
  pool: readonly RgbImage[];
}
const batch64 = (pool: readonly RgbImage[]): RgbImage[] => Array.from({ length: 64 }, (_, i) => pool[i % pool.length]!);
const cases: Case[] = [
  { name: 'focuslitenn 235 px, batch 1 (uint8 NHWC graph)', batch: 1, run: (t) => est1.estimate(t), pool: patches },
  { name: 'focuslitenn 235 px, batch 16 (uint8 NHWC graph)', batch: 16, run: (t) => est16.estimate(t), pool: patches },
  { name: 'focuslitenn 235 px, batch 64 (uint8 NHWC graph)', batch: 64, run: (t) => est64.estimate(t), pool: patches },
  { name: 'focuslitenn 235 px, batch 1 (JS -> float32 NCHW)', batch: 1, run: (t) => f32Estimate(t), pool: patches },
  { name: 'focuslitenn 235 px, batch 64 (JS -> float32 NCHW)', batch: 64, run: (t) => f32Estimate(t), pool: patches },
  { name: 'lv 235 px', batch: 1, run: (t) => varianceOfLaplacian(t[0]!), pool: patches },
  { name: 'focuslitenn 512 px tiles (9 crops), batch 64 crops', batch: 8, run: (t) => est64.estimate(t), pool: tiles512 },
  { name: 'lv 512 px tiles', batch: 1, run: (t) => varianceOfLaplacian(t[0]!), pool: tiles512 },
];

async function measure(c: Case): Promise<{ wall: number; cpu: number }> {
  let calls = 0;
  const t0 = performance.now(), c0 = process.cpuUsage();
  const pick = c.batch === 64 ? batch64(c.pool) : null;
  while (performance.now() - t0 < TARGET_S * 1000) {
    const tiles = pick ?? Array.from({ length: c.batch }, (_, i) => c.pool[(calls * c.batch + i) % c.pool.length]!);
    await c.run(tiles);
    calls++;
  }
  const wall = (performance.now() - t0) / 1000;
  const cu = process.cpuUsage(c0);
  const n = calls * c.batch;
  return { wall: n / wall, cpu: n / ((cu.user + cu.system) / 1e6) };
}

// warm up
for (const c of cases) await c.run(c.batch === 64 ? batch64(c.pool) : c.pool.slice(0, c.batch));
const results = cases.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
for (let r = 0; r < ROUNDS; r++) {
  for (let i = 0; i < cases.length; i++) {
    const m = await measure(cases[i]!);
    results[i]!.wall.push(m.wall);
    results[i]!.cpu.push(m.cpu);
  }
}
const med = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const rows = cases.map((c, i) => ({ name: c.name, wall: med(results[i]!.wall), cpu: med(results[i]!.cpu) }));
const w = Math.max(...rows.map((r) => r.name.length));
process.stdout.write(`FocusLiteNN (${weights.k} kernel${existsSync(refPath) ? ', reference weights' : ', synthetic weights'}) through onnxruntime-node ${ort.env.versions.node}, 1 thread; ${ROUNDS} interleaved rounds, medians\n`);
process.stdout.write(`${'case'.padEnd(w)}  tiles/s (wall)  tiles/s (CPU)  ms/tile (CPU)\n`);
for (const r of rows) process.stdout.write(`${r.name.padEnd(w)}  ${r.wall.toFixed(0).padStart(14)}  ${r.cpu.toFixed(0).padStart(13)}  ${(1000 / r.cpu).toFixed(3).padStart(13)}\n`);
const get = (n: string): { wall: number; cpu: number } => rows.find((r) => r.name.startsWith(n))!;
const fl1 = get('focuslitenn 235 px, batch 1 (uint8'), fl64 = get('focuslitenn 235 px, batch 64 (uint8'), lv235 = get('lv 235');
process.stdout.write('\nratios (CPU time):\n');
process.stdout.write(`  LV / FocusLiteNN at 235 px: batch 1 ${(lv235.cpu / fl1.cpu).toFixed(2)}x, batch 64 ${(lv235.cpu / fl64.cpu).toFixed(2)}x (LV is that much faster)\n`);
process.stdout.write(`  uint8 NHWC graph / JS float32 NCHW: batch 1 ${(fl1.cpu / get('focuslitenn 235 px, batch 1 (JS').cpu).toFixed(2)}x, batch 64 ${(fl64.cpu / get('focuslitenn 235 px, batch 64 (JS').cpu).toFixed(2)}x\n`);
process.stdout.write(`  512 px tiles: LV / FocusLiteNN ${(get('lv 512').cpu / get('focuslitenn 512').cpu).toFixed(2)}x\n`);
process.stdout.write(
  `  reported, not measured here (PERFORMANCE.md, PyTorch 1.13 CPU, 1-kernel, 235 px): ~0.145 ms/patch at batch 1 (~6,900/s), ~0.118 ms at batch 16 (~8,500/s); blurmm measured ${(1000 / fl1.cpu).toFixed(3)} / ${(1000 / fl64.cpu).toFixed(3)} ms at batch 1 / 64\n`,
);
await est1.dispose?.();
await est16.dispose?.();
await est64.dispose?.();
await f32Session.release();
