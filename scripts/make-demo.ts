/**
 * Builds the bundled demo, seeded and deterministic: `npx tsx scripts/make-demo.ts`.
 *
 *  1. renders synthetic H&E-like tissue (scripts/demo-tissue.ts; class = fine chromatin texture);
 *  2. trains three tiny CNNs by gradient descent in TypeScript (scripts/demo-train.ts): `base` on
 *     sharp crops, then `sigma0.5` and `sigma1.0` fine-tuned from it on crops blurred with those
 *     sigmas; exports each as ONNX (src/plugins/onnx/onnx-builder.ts);
 *  3. measures each model through onnxruntime (the same backend and preprocessing the pipeline
 *     uses) on held-out 256 px tiles at sigma 0, 0.5, 1, 2, and the LV of those tiles;
 *     writes examples/demo/models/metrics.json;
 *  4. writes the sample slide examples/demo/sample-slide.tif (tiled pyramidal JPEG TIFF, 0.5 um/px)
 *     with regions of both classes at known sigma and some glass, its truth file, and
 *     examples/demo/demo.config.json.
 *
 * Options: --skip-slide, --skip-train (reuse the committed models for metrics).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { createTileModel } from '../src/core/model.js';
import type { RgbImage } from '../src/core/types.js';
import { createOnnxBackend } from '../src/plugins/backends/onnx.js';
import { NORM, blurredCrops, cut, renderRegions, toInput } from './demo-data.js';
import { DEMO_MPP, TEXTURE, finishPlanes, laplacianVariance, normal, prng, renderSharpPlanes, seedOf } from './demo-tissue.js';
import { exportOnnx, initNet, train } from './demo-train.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const demoDir = join(root, 'examples', 'demo');
const modelDir = join(demoDir, 'models');

/** Everything that decides the demo's content. */
export const DEMO = {
  trainSeed: 20240601,
  heldOutSeed: 777001,
  slideSeed: 4242,
  regionSize: 512,
  trainRegionsPerClass: 8,
  crop: 48,
  heldOutRegionsPerClass: 12,
  /** the demo test re-generates regions 0..subsampleRegions-1 of each class and checks these counts */
  subsampleRegions: 3,
  tileSize: 256,
  evalSigmas: [0, 0.5, 1, 2],
  noise: 1,
  base: { epochs: 6, lr: 0.01, batch: 16, seed: 11 },
  fineTune: { epochs: 4, lr: 0.005, batch: 16, seed: 12 },
  models: [
    { id: 'base', sigma: 0 },
    { id: 'sigma0.5', sigma: 0.5 },
    { id: 'sigma1.0', sigma: 1 },
  ],
} as const;

/** the preprocess/postprocess every demo model uses (written into demo.config.json) */
export const DEMO_PREPROCESS = { size: DEMO.tileSize, resize: 'stretch', layout: 'NCHW', dtype: 'float32', scale: 1 / 255, mean: [NORM.mean, NORM.mean, NORM.mean], std: [NORM.std, NORM.std, NORM.std] } as const;
export const DEMO_POSTPROCESS = { activation: 'softmax', output: 'logits', labels: ['smooth', 'granular'], scoreIndex: 1 } as const;

const log = (msg: string): void => void process.stdout.write(`${msg}\n`);
const t0 = performance.now();
const secs = (): string => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

/**
 * The held-out tiles at each sigma: regions seeded from heldOutSeed (region i, class 0 then 1),
 * each rendered once and blurred with every sigma, cut into 256 px tiles (row-major).
 */
export function heldOutTiles(sigmas: readonly number[], perClass: number = DEMO.heldOutRegionsPerClass): Map<number, { tiles: RgbImage[]; labels: Uint8Array }> {
  const out = new Map(sigmas.map((s) => [s, { tiles: [] as RgbImage[], labels: [] as number[] }]));
  for (let i = 0; i < perClass; i++)
    for (const cls of [0, 1] as const) {
      const s = seedOf(DEMO.heldOutSeed, cls, i);
      const planes = renderSharpPlanes(DEMO.regionSize, DEMO.regionSize, cls, s);
      for (const sigma of sigmas) {
        const img = finishPlanes(planes, DEMO.regionSize, DEMO.regionSize, sigma, DEMO.noise, seedOf(s, 7));
        const entry = out.get(sigma)!;
        for (const t of cut(img, DEMO.tileSize)) {
          entry.tiles.push(t);
          entry.labels.push(cls);
        }
      }
    }
  return new Map([...out].map(([k, v]) => [k, { tiles: v.tiles, labels: Uint8Array.from(v.labels) }]));
}

async function trainModels(): Promise<void> {
  log(`[${secs()}] rendering ${2 * DEMO.trainRegionsPerClass} training regions of ${DEMO.regionSize} px`);
  const set = renderRegions(DEMO.trainSeed, DEMO.trainRegionsPerClass, DEMO.regionSize);
  const nets = new Map<string, ReturnType<typeof initNet>>();
  for (const m of DEMO.models) {
    const d = blurredCrops(set, m.sigma, DEMO.crop, DEMO.noise);
    const x = toInput(d.tiles);
    const fine = m.id !== 'base';
    const net = fine ? structuredClone(nets.get('base')!) : initNet(DEMO.base.seed);
    const o = fine ? DEMO.fineTune : DEMO.base;
    log(`[${secs()}] training ${m.id} on ${d.labels.length} crops of ${DEMO.crop} px at sigma ${m.sigma}${fine ? ' (fine-tuned from base)' : ''}`);
    train(net, x, d.labels, {
      size: DEMO.crop,
      epochs: o.epochs,
      batch: o.batch,
      lr: o.lr,
      seed: o.seed,
      onEpoch: (e, loss, acc) => log(`  epoch ${e + 1}/${o.epochs}: loss ${loss.toFixed(4)}, training accuracy ${acc.toFixed(3)} [${secs()}]`),
    });
    nets.set(m.id, net);
    const bytes = exportOnnx(net, DEMO.tileSize, {
      name: `blurmm-demo-${m.id}`,
      doc: `blurmm demo model "${m.id}": granular vs smooth nuclei on synthetic H&E-like tissue at ${DEMO_MPP} um/px, trained on tiles blurred with sigma ${m.sigma} px. Input: RGB NCHW, (v/255 - 0.5)/0.25. Output: logits [smooth, granular].`,
      metadata: { trainedSigma: String(m.sigma), labels: 'smooth,granular', mpp: String(DEMO_MPP) },
    });
    writeFileSync(join(modelDir, `${m.id}.onnx`), bytes);
  }
}

async function measure(): Promise<void> {
  const metrics: Record<string, unknown> = {};
  const accuracy: Record<string, Record<string, number>> = {};
  const subsample: Record<string, Record<string, number>> = {};
  const nSub = DEMO.subsampleRegions * 2 * (DEMO.regionSize / DEMO.tileSize) ** 2;
  const lv: Record<string, { class0: number[]; class1: number[] }> = {};
  const models = await Promise.all(
    DEMO.models.map(async (m) =>
      createTileModel(await createOnnxBackend(m.id, { path: join(modelDir, `${m.id}.onnx`), intraOpThreads: 1 }), { id: m.id, preprocess: { ...DEMO_PREPROCESS, mean: [...DEMO_PREPROCESS.mean], std: [...DEMO_PREPROCESS.std] }, postprocess: { ...DEMO_POSTPROCESS, labels: [...DEMO_POSTPROCESS.labels] }, batchSize: 16 }),
    ),
  );
  const heldOut = heldOutTiles(DEMO.evalSigmas);
  for (const sigma of DEMO.evalSigmas) {
    const { tiles, labels } = heldOut.get(sigma)!;
    const lvs = tiles.map((t) => laplacianVariance(t));
    const pct = (arr: number[], q: number): number => {
      const s = [...arr].sort((a, b) => a - b);
      return Number(s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))]!.toFixed(2));
    };
    const c0 = lvs.filter((_, i) => labels[i] === 0);
    const c1 = lvs.filter((_, i) => labels[i] === 1);
    lv[String(sigma)] = { class0: [pct(c0, 0), pct(c0, 0.5), pct(c0, 1)], class1: [pct(c1, 0), pct(c1, 0.5), pct(c1, 1)] };
    for (const model of models) {
      const preds = await model.predict(tiles);
      let correct = 0;
      let correctSub = 0;
      preds.forEach((p, i) => {
        if ((p.score > 0.5 ? 1 : 0) === labels[i]) {
          correct++;
          if (i < nSub) correctSub++;
        }
      });
      (subsample[model.id] ??= {})[String(sigma)] = correctSub;
      (accuracy[model.id] ??= {})[String(sigma)] = Number((correct / tiles.length).toFixed(4));
    }
    log(`[${secs()}] sigma ${sigma}: ${models.map((m) => `${m.id} ${accuracy[m.id]![String(sigma)]!.toFixed(3)}`).join(', ')}; LV median class0 ${lv[String(sigma)]!.class0[1]}, class1 ${lv[String(sigma)]!.class1[1]}`);
  }
  await Promise.all(models.map((m) => m.close()));
  metrics.description = 'Accuracy (threshold 0.5 on P(granular)) of each demo model on held-out synthetic 256 px tiles blurred with each sigma (px at 0.5 um/px), measured through onnxruntime by scripts/make-demo.ts; and the LV (OpenCV variance of the Laplacian) of those tiles as [min, median, max] per class.';
  metrics.heldOut = { seed: DEMO.heldOutSeed, regionsPerClass: DEMO.heldOutRegionsPerClass, regionSize: DEMO.regionSize, tileSize: DEMO.tileSize, tilesPerSigma: DEMO.heldOutRegionsPerClass * 2 * (DEMO.regionSize / DEMO.tileSize) ** 2, tileOrder: 'region i = 0.., class 0 then 1, tiles row-major within the region' };
  metrics.accuracy = accuracy;
  metrics.subsample = { description: `correct tiles among the first ${nSub} held-out tiles (regions 0..${DEMO.subsampleRegions - 1}), which test/demo.test.ts regenerates`, tiles: nSub, correct: subsample };
  metrics.lv = lv;
  metrics.training = { seed: DEMO.trainSeed, regionsPerClass: DEMO.trainRegionsPerClass, crop: DEMO.crop, base: DEMO.base, fineTune: DEMO.fineTune, models: DEMO.models };
  metrics.texture = TEXTURE;
  metrics.noise = DEMO.noise;
  writeFileSync(join(modelDir, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
}

/** The slide's regions: 8 x 6 of 512 px. "G" = glass; otherwise class and sigma. */
export const SLIDE_LAYOUT: readonly (readonly string[])[] = [
  ['1:0', '1:0.5', '0:0', '0:1', '1:2', '0:4', 'G', 'G'],
  ['0:0.5', '1:1', '1:0', '0:2', '0:0', '1:4', '1:8', 'G'],
  ['1:2', '0:0', '0:1', '1:0', '1:0.5', '0:0.5', '0:8', '1:1'],
  ['0:4', '1:0', '0:0.5', '1:1', '0:0', '1:2', '1:0', '0:1'],
  ['G', '0:8', '1:4', '0:2', '1:0', '0:0', '1:0.5', '0:0'],
  ['G', 'G', '1:0', '1:8', '0:4', '1:2', '0:1', '1:1'],
];

async function makeSlide(): Promise<void> {
  const R = DEMO.regionSize;
  const cols = SLIDE_LAYOUT[0]!.length;
  const rows = SLIDE_LAYOUT.length;
  const W = cols * R;
  const H = rows * R;
  const px = new Uint8Array(W * H * 3);
  const truth: { id: string; x: number; y: number; width: number; height: number; background: boolean; class: number | null; sigma: number | null }[] = [];
  const glassNoise = normal(prng(seedOf(DEMO.slideSeed, 99)));
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const cell = SLIDE_LAYOUT[r]![c]!;
      let img: RgbImage;
      if (cell === 'G') {
        const data = new Uint8Array(R * R * 3);
        const base = [243, 241, 245];
        for (let i = 0; i < R * R * 3; i++) data[i] = Math.max(0, Math.min(255, Math.round(base[i % 3]! + 1.5 * glassNoise())));
        img = { data, width: R, height: R, channels: 3 };
        truth.push({ id: `r${r}c${c}`, x: c * R, y: r * R, width: R, height: R, background: true, class: null, sigma: null });
      } else {
        const [k, s] = cell.split(':');
        const cls = Number(k) as 0 | 1;
        const sigma = Number(s);
        const seed = seedOf(DEMO.slideSeed, r, c);
        img = finishPlanes(renderSharpPlanes(R, R, cls, seed), R, R, sigma, DEMO.noise, seedOf(seed, 7));
        truth.push({ id: `r${r}c${c}`, x: c * R, y: r * R, width: R, height: R, background: false, class: cls, sigma });
      }
      for (let y = 0; y < R; y++) px.set(img.data.subarray(y * R * 3, (y + 1) * R * 3), ((r * R + y) * W + c * R) * 3);
    }
  const out = join(demoDir, 'sample-slide.tif');
  await sharp(Buffer.from(px.buffer, px.byteOffset, px.byteLength), { raw: { width: W, height: H, channels: 3 } })
    .tiff({ tile: true, tileWidth: 256, tileHeight: 256, pyramid: true, compression: 'jpeg', quality: 90, xres: 1000 / DEMO_MPP, yres: 1000 / DEMO_MPP, resolutionUnit: 'cm' })
    .toFile(out);
  writeFileSync(
    join(demoDir, 'sample-slide-truth.json'),
    `${JSON.stringify({ description: 'Regions of examples/demo/sample-slide.tif: class 1 = granular nuclei, 0 = smooth; sigma = Gaussian blur in level-0 px (0.5 um/px); background = glass. Made by scripts/make-demo.ts.', width: W, height: H, mpp: DEMO_MPP, regions: truth }, null, 1)}\n`,
  );
  log(`[${secs()}] wrote ${out} (${W} x ${H})`);
}

function writeConfig(): void {
  const config = {
    $schema: '../../schemas/blurmm.config.schema.json',
    tiling: { tileSize: DEMO.tileSize, mpp: DEMO_MPP, edge: 'skip' },
    // stroma is pale (grey ~200) and glass ~242: Otsu on this slide splits nuclei from stroma, so use a fixed threshold
    tissue: { enabled: true, minTissueFraction: 0.5, threshold: 225 },
    estimators: [{ name: 'lv' }],
    routing: { preset: 'deepblurmm' },
    models: DEMO.models.map((m) => ({
      id: m.id,
      backend: 'onnxruntime',
      path: `models/${m.id}.onnx`,
      batchSize: 16,
      preprocess: DEMO_PREPROCESS,
      postprocess: DEMO_POSTPROCESS,
      options: { intraOpThreads: 1 },
    })),
    aggregation: { percentile: 75 },
  };
  writeFileSync(join(demoDir, 'demo.config.json'), `${JSON.stringify(config, null, 2)}\n`);
}

async function main(): Promise<void> {
  const args = new Set(process.argv.slice(2));
  mkdirSync(modelDir, { recursive: true });
  if (!args.has('--skip-train')) await trainModels();
  else readFileSync(join(modelDir, 'base.onnx'));
  await measure();
  if (!args.has('--skip-slide')) await makeSlide();
  writeConfig();
  log(`[${secs()}] done`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    process.stderr.write(`make-demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
