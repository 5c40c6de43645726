import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { focusLiteNN } from '../src/plugins/estimators/focuslitenn.js';
import { loadFocusLiteNNWeights } from '../src/plugins/estimators/focuslitenn-weights.js';
import { blurMargin, fitFocusLiteNN, focusLiteNNLossAndGradient, makeSamples, type FitResult, type TrainingSample } from '../src/plugins/train/focuslitenn-trainer.js';
import { openPatchSource, selectSharpTiles, type SelectedTile } from '../src/plugins/train/patch-source.js';
import { rmse, spearman } from '../src/plugins/train/stats.js';
import type { FocusLiteNNWeights } from '../src/plugins/estimators/focuslitenn-weights.js';
import { command as trainFocus, parseSigmas } from '../src/cli/commands/train-focus.js';
import { isBlurmmError } from '../src/core/errors.js';
import { hasSharedData, shared } from './helpers/shared-data.js';
import { sink } from './helpers/streams-and-noise.js';

const SIGMAS = [0, 1, 2, 3, 4];
const CROP = 235;


/** float64 JS FocusLiteNN on one crop (independent of the trainer's onnxruntime forward) */
function jsPredict(w: { k: number; convW: Float64Array; convB: Float64Array; fcW: Float64Array; fcB: Float64Array }, s: TrainingSample): number {
  const m = Math.floor((CROP + 2 - 7) / 5) + 1;
  let out = w.k === 1 ? 0 : w.fcB[0]!;
  for (let k = 0; k < w.k; k++) {
    let min = Infinity;
    for (let oy = 0; oy < m; oy++)
      for (let ox = 0; ox < m; ox++) {
        let acc = 0;
        for (let ky = 0; ky < 7; ky++) {
          const iy = oy * 5 - 1 + ky;
          if (iy < 0 || iy >= CROP) continue;
          for (let kx = 0; kx < 7; kx++) {
            const ix = ox * 5 - 1 + kx;
            if (ix < 0 || ix >= CROP) continue;
            for (let c = 0; c < 3; c++) acc += (s.crop[(iy * CROP + ix) * 3 + c]! / 255) * w.convW[k * 147 + (c * 7 + ky) * 7 + kx]!;
          }
        }
        min = Math.min(min, acc);
      }
    const pooled = min + w.convB[k]!;
    out += w.k === 1 ? pooled : w.fcW[k]! * pooled;
  }
  return out;
}

describe('parseSigmas', () => {
  it('reads comma lists and from:to:step ranges', () => {
    expect(parseSigmas('0:6:0.5', [])).toEqual([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6]);
    expect(parseSigmas('2, 0,1', [])).toEqual([0, 1, 2]);
    expect(parseSigmas(undefined, [0, 3])).toEqual([0, 3]);
  });
  it('rejects bad lists with the option named', () => {
    expect(() => parseSigmas('0,-1', [])).toThrow(/--sigmas/);
    expect(() => parseSigmas('abc', [])).toThrow(/--sigmas/);
  });
});

describe.skipIf(!hasSharedData)('FocusLiteNN trainer on the in-focus TCGA patch', () => {
  let tiles: SelectedTile[];
  let train: TrainingSample[];
  let val: TrainingSample[];
  let fit: FitResult;
  beforeAll(async () => {
    const src = await openPatchSource(shared('focuslitenn', 'tcga-adrenal-in-focus.png'));
    tiles = await selectSharpTiles([src], { patch: CROP + 2 * blurMargin(4), crop: CROP, count: 8, seed: 3 });
    val = makeSamples(tiles.slice(0, 2), SIGMAS, { crop: CROP });
    train = makeSamples(tiles.slice(2), SIGMAS, { crop: CROP, augment: true, seed: 3 });
    fit = await fitFocusLiteNN(train, val, { kernels: 2, epochs: 25, seed: 3, batchSize: 8, learningRate: 0.02 });
  }, 60_000);

  it('pre-selects sharp tissue tiles by LV', () => {
    expect(tiles.length).toBe(8);
    for (const t of tiles) {
      expect(t.tissue).toBeGreaterThanOrEqual(0.6);
      expect(t.lv).toBeGreaterThan(200); // the sharp patch has LV ~ 390; sigma 1 brings it to ~ 80
    }
  });

  it('learns to order held-out tiles by sigma (Spearman > 0.95) and lowers the error', () => {
    expect(fit.validation.tiles).toBe(2);
    expect(fit.validation.spearman).toBeGreaterThan(0.95);
    const first = fit.history[0]!, last = fit.history[fit.history.length - 1]!;
    expect(last.trainRmse).toBeLessThan(first.trainRmse);
    // a constant prediction at the mean sigma has RMSE sqrt(2) here
    expect(fit.validation.rmse).toBeLessThan(1);
  });

  it('back-propagates the exact gradient (central differences of a float64 JS loss)', async () => {
    const w: FocusLiteNNWeights = fit.weights;
    const batch = val.slice(0, 6);
    const g = await focusLiteNNLossAndGradient(w, batch, CROP);
    const base = { k: w.k, convW: Float64Array.from(w.convWeight), convB: Float64Array.from(w.convBias), fcW: Float64Array.from(w.fcWeight!), fcB: Float64Array.from(w.fcBias!) };
    const loss = (p: typeof base): number => batch.reduce((a, s) => a + (jsPredict(p, s) - s.sigma) ** 2, 0) / batch.length;
    expect(g.loss).toBeCloseTo(loss(base), 4);
    const checks: [keyof typeof base & ('convW' | 'convB' | 'fcW' | 'fcB'), number, Float64Array][] = [
      ['convW', 3, g.convWeight], ['convW', 80, g.convWeight], ['convW', 147 + 24, g.convWeight], ['convW', 147 + 130, g.convWeight],
      ['convB', 1, g.convBias], ['fcW', 0, g.fcWeight], ['fcB', 0, g.fcBias],
    ];
    const eps = 1e-4;
    for (const [name, i, analytic] of checks) {
      const plus = { ...base, [name]: Float64Array.from(base[name]) }, minus = { ...base, [name]: Float64Array.from(base[name]) };
      plus[name][i]! += eps;
      minus[name][i]! -= eps;
      const numeric = (loss(plus) - loss(minus)) / (2 * eps);
      expect(Math.abs(analytic[i]! - numeric), `${name}[${i}] analytic ${analytic[i]} numeric ${numeric}`).toBeLessThan(1e-3 * Math.max(1, Math.abs(numeric)));
    }
  }, 30_000);

  it('is deterministic for a seed', async () => {
    const again = await fitFocusLiteNN(train, val, { kernels: 2, epochs: 2, seed: 3, batchSize: 8, learningRate: 0.02 });
    const twice = await fitFocusLiteNN(train, val, { kernels: 2, epochs: 2, seed: 3, batchSize: 8, learningRate: 0.02 });
    expect([...twice.weights.convWeight]).toEqual([...again.weights.convWeight]);
    const other = await fitFocusLiteNN(train, val, { kernels: 2, epochs: 2, seed: 4, batchSize: 8, learningRate: 0.02 });
    expect([...other.weights.convWeight]).not.toEqual([...again.weights.convWeight]);
  }, 30_000);

  it('gives weights the estimator loads and scores as the trainer measured', async () => {
    const est = await focusLiteNN({ weights: fit.weights });
    const pred = (await est.estimate(val.map((s) => ({ data: s.crop, width: CROP, height: CROP, channels: 3 as const })))).map((r) => r.focuslitenn!);
    await est.dispose?.();
    const sig = val.map((s) => s.sigma);
    expect(Math.abs(rmse(pred, sig) - fit.validation.rmse)).toBeLessThan(1e-4);
    expect(spearman(pred, sig)).toBeCloseTo(fit.validation.spearman, 6);
  });
});

describe.skipIf(!hasSharedData)('blurmm train-focus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'blurmm-train-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a weights JSON with meta that the estimator loads', async () => {
    const out = join(dir, 'w.json');
    const stdout = sink(), stderr = sink();
    const code = await trainFocus.run(
      { values: { out, tiles: '4', epochs: '2', sigmas: '0,2,4', kernels: '2', seed: '5' }, positionals: [shared('focuslitenn', 'tcga-adrenal-in-focus.png')] },
      { stdout: stdout.stream, stderr: stderr.stream, signal: new AbortController().signal },
    );
    expect(code).toBe(0);
    expect(stdout.text()).toMatch(/wrote .*w\.json: FocusLiteNN k=2, output "sigma \(px\)", higher is blurrier/);
    expect(stderr.text()).toMatch(/epoch +2 +train RMSE/);
    const json = JSON.parse(readFileSync(out, 'utf8')) as { meta: { unit: string; trainer: { seed: number; sigmas: number[] } } };
    expect(json.meta.unit).toBe('sigma (px)');
    expect(json.meta.trainer).toMatchObject({ seed: 5, sigmas: [0, 2, 4] });
    const w = await loadFocusLiteNNWeights(out);
    expect(w.k).toBe(2);
    const est = await focusLiteNN({ weights: out });
    expect(est.outputs[0]).toMatchObject({ name: 'focuslitenn', unit: 'sigma (px)', direction: 'higher-is-blurrier' });
    await est.dispose?.();
  }, 60_000);

  it('fails with a usage error without --out', async () => {
    const io = { stdout: sink().stream, stderr: sink().stream, signal: new AbortController().signal };
    await expect(trainFocus.run({ values: {}, positionals: ['x.png'] }, io)).rejects.toSatisfy((e: unknown) => isBlurmmError(e, 'E_ARGUMENT') && /--out/.test((e as Error).message));
  });
});
