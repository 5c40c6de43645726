/**
 * Makes blurmm's default FocusLiteNN weights (src/plugins/estimators/focuslitenn-default.weights.json)
 * from the project's own data only: synthetic H&E-like tissue rendered by scripts/demo-tissue.ts
 * (sharp, seeded), trained by the same code as `blurmm train-focus` with fixed settings.
 * No reference (research-licensed) weights and no third-party image are used. Deterministic.
 * Check it on real tissue afterwards (out of domain, not used for training or selection):
 *   blurmm compare-estimators <he-image> --weights src/plugins/estimators/focuslitenn-default.weights.json
 *
 *   npx tsx scripts/make-focuslitenn-default-weights.ts
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderTissue } from './demo-tissue.js';
import { focusLiteNNWeightsToJson } from '../src/plugins/estimators/focuslitenn-weights.js';
import { DEFAULT_SIGMAS, trainFocusLiteNN } from '../src/plugins/train/focuslitenn-trainer.js';
import { imagePatchSource } from '../src/plugins/train/patch-source.js';

const here = dirname(fileURLToPath(import.meta.url));
const OUT = join(here, '..', 'src', 'plugins', 'estimators', 'focuslitenn-default.weights.json');
const RENDERS = [
  { cls: 0, seed: 6101 },
  { cls: 1, seed: 6102 },
  { cls: 0, seed: 6103 },
  { cls: 1, seed: 6104 },
  { cls: 0, seed: 6105 },
  { cls: 1, seed: 6106 },
] as const;
const SIZE = 1024;
const SETTINGS = { seed: 1, tiles: 48, epochs: 30, kernels: 10, crop: 235, learningRate: 0.01, lvFraction: 0.3, sigmas: DEFAULT_SIGMAS } as const;

const t0 = Date.now();
const sources = RENDERS.map((r) => imagePatchSource(`synthetic tissue cls ${r.cls} seed ${r.seed} (${SIZE} px, scripts/demo-tissue.ts)`, renderTissue(SIZE, SIZE, { cls: r.cls, sigma: 0, seed: r.seed })));
process.stderr.write(`rendered ${RENDERS.length} synthetic tissue images in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
const result = await trainFocusLiteNN(sources, {
  ...SETTINGS,
  onStage: (s, d) => void process.stderr.write(`[${s}] ${d}\n`),
  onEpoch: (e) => void process.stderr.write(`epoch ${e.epoch} train RMSE ${e.trainRmse.toFixed(3)} val RMSE ${e.valRmse.toFixed(3)} val Spearman ${e.valSpearman.toFixed(4)}\n`),
});
const weights = {
  ...result.weights,
  meta: {
    ...result.weights.meta,
    unit: 'estimated sigma (px), calibrated on synthetic tissue',
    description:
      'blurmm default FocusLiteNN (10 kernels), trained by scripts/make-focuslitenn-default-weights.ts on project-generated synthetic H&E-like tissue only (0.5 um/px) to regress Gaussian blur sigma. On real H&E it orders tiles by blur (Spearman ~0.97 on TCGA tiles, sigma 0-6) but its absolute values are offset (about -3 at sigma 0): treat them as relative there, or train your own with blurmm train-focus.',
    license: 'same as blurmm (project data and project code only)',
  },
};
writeFileSync(OUT, JSON.stringify(focusLiteNNWeightsToJson(weights)) + '\n');
process.stdout.write(`wrote ${OUT}\n  train: ${JSON.stringify(result.train)}\n  validation (held-out synthetic tiles): ${JSON.stringify(result.validation)}\n`);
