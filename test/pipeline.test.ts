import { describe, expect, it } from 'vitest';
import { createPipeline } from '../src/core/pipeline.js';
import { createRouter, deepBlurMMRules } from '../src/core/router.js';
import { mean, percentile } from '../src/core/aggregate.js';
import { createTileModel } from '../src/core/model.js';
import { AbortError, isBlurmmError } from '../src/core/errors.js';
import type { BlurEstimator, RgbImage, SlideReport, TileModel } from '../src/core/types.js';
import { laplacianVariance, varianceOfLaplacian } from '../src/plugins/estimators/lv.js';
import { createFunctionBackend } from '../src/plugins/backends/function.js';
import { memorySource, texturedSlide } from './helpers/memory-source.js';

const W = 1536;
const H = 1024;
const T = 256;
// columns 0-1 fine texture (sharp), 2-3 smoothed (moderate), 4-5 flat (severe); glass bottom right
const image = texturedSlide(W, H, [{ x0: 0, x1: 512, smooth: 0 }, { x0: 512, x1: 1024, smooth: 4 }, { x0: 1024, x1: 1536, smooth: 16 }], { x: 1024, y: 512, w: 512, h: 512 });

function crop(img: RgbImage, x: number, y: number, w: number, h: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let r = 0; r < h; r++) data.set(img.data.subarray(((y + r) * img.width + x) * 3, ((y + r) * img.width + x + w) * 3), r * w * 3);
  return { data, width: w, height: h, channels: 3 };
}

/** a model served by the JS-function backend that answers a constant score, so the test sees which model served a tile */
async function constantModel(id: string, score: number): Promise<TileModel> {
  const backend = await createFunctionBackend(id, {
    metadata: { name: id, platform: 'javascript', inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 3, 32, 32] }], outputs: [{ name: 'prob', datatype: 'FP32', shape: [-1, 2] }] },
    infer: (req) => {
      const n = req.inputs[0]!.shape[0]!;
      const out = new Float32Array(n * 2);
      for (let i = 0; i < n; i++) {
        out[2 * i] = 1 - score;
        out[2 * i + 1] = score;
      }
      return { model_name: id, outputs: [{ name: 'prob', datatype: 'FP32', shape: [n, 2], data: out }] };
    },
  });
  return createTileModel(backend, { id, preprocess: { size: 32 }, postprocess: { activation: 'none', labels: ['neg', 'pos'] }, batchSize: 3 });
}

async function models(): Promise<Map<string, TileModel>> {
  return new Map([
    ['base', await constantModel('base', 0.25)],
    ['sigma0.5', await constantModel('sigma0.5', 0.5)],
    ['sigma1.0', await constantModel('sigma1.0', 0.875)],
  ]);
}

const settings = { tiling: { tileSize: T }, tissue: { enabled: true, minTissueFraction: 0.5 }, execution: { batchSize: 5, readConcurrency: 3 } };
const expectedScore: Record<string, number> = { sharp: 0.25, moderate: 0.5, severe: 0.875 };

describe('pipeline', () => {
  it('tiles tissue, estimates LV, routes by the DeepBlurMM rules, predicts with the routed model and aggregates', async () => {
    const router = createRouter({ rules: deepBlurMMRules() });
    const pipeline = createPipeline({ estimators: [laplacianVariance()], router, models: await models(), aggregators: [percentile(75), mean()] }, settings);
    const events: string[] = [];
    const progress: number[] = [];
    pipeline.on('slide:start', (e) => events.push(`start:${e.total}/${e.gridTiles}/${e.backgroundSkipped}`));
    pipeline.on('tile:done', () => events.push('tile'));
    pipeline.on('slide:progress', (p) => progress.push(p.done));
    pipeline.on('slide:done', () => events.push('done'));
    const report = await pipeline.run(memorySource(image));

    expect(events[0]).toBe('start:20/24/4');
    expect(events.at(-1)).toBe('done');
    expect(events.filter((e) => e === 'tile')).toHaveLength(20);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(20);
    expect(report.counts).toEqual({ gridTiles: 24, backgroundSkipped: 4, edgeSkipped: 0, outsideRegionSkipped: 0, processed: 20, failed: 0 });

    // every tile: LV equals the estimator run on the crop directly; the route follows the thresholds; the routed model served it
    const labels = new Set<string>();
    for (const t of report.tiles) {
      const lv = varianceOfLaplacian(crop(image, t.x, t.y, t.width, t.height));
      expect(t.blur.lv).toBe(lv);
      const label = lv > 25 ? 'sharp' : lv >= 2 ? 'moderate' : 'severe';
      expect(t.route.label).toBe(label);
      expect(t.prediction?.model).toBe(t.route.model);
      expect(t.prediction?.score).toBeCloseTo(expectedScore[label]!, 6);
      expect(t.prediction?.labels).toEqual(['neg', 'pos']);
      labels.add(label);
    }
    expect([...labels].sort()).toEqual(['moderate', 'severe', 'sharp']);
    expect(report.tiles.some((t) => t.x >= 1024 && t.y >= 512)).toBe(false);

    const n = report.routing.counts;
    expect(n.sharp! + n.moderate! + n.severe!).toBe(20);
    expect(report.routing.fractions.sharp).toBeCloseTo(n.sharp! / 20, 12);
    const scores = report.tiles.map((t) => t.prediction!.score).sort((a, b) => a - b);
    const pos = (scores.length - 1) * 0.75;
    const p75 = scores[Math.floor(pos)]! + (scores[Math.ceil(pos)]! - scores[Math.floor(pos)]!) * (pos - Math.floor(pos));
    expect(report.scores.overall.p75).toBeCloseTo(p75, 12);
    expect(report.scores.perRoute.sharp!.mean).toBeCloseTo(0.25, 6);
    expect(report.scores.perRoute.unrouted!.p75).toBeNull();
    expect(report.models.map((m) => [m.id, m.tiles])).toEqual([['base', n.sharp], ['sigma0.5', n.moderate], ['sigma1.0', n.severe]]);
  });

  it('records routes without predictions when no models are configured (blur QC)', async () => {
    const pipeline = createPipeline({ estimators: [laplacianVariance()], router: createRouter({ rules: deepBlurMMRules() }), aggregators: [percentile(75)] }, settings);
    const report = await pipeline.run(memorySource(image));
    expect(report.counts.processed).toBe(20);
    expect(report.tiles.every((t) => t.prediction === undefined && t.route.model !== null)).toBe(true);
    expect(report.scores.overall.p75).toBeNull();
  });

  it('a tile that fails to read is reported and the rest of the slide is processed', async () => {
    const pipeline = createPipeline({ estimators: [laplacianVariance()], router: createRouter({ rules: deepBlurMMRules() }), models: await models(), aggregators: [percentile(75)] }, settings);
    const errors: string[] = [];
    pipeline.on('tile:error', (f) => errors.push(`${f.stage}:${f.x},${f.y}`));
    const report = await pipeline.run(memorySource(image, { failAt: [{ x: 300, y: 10 }] }));
    expect(errors).toEqual(['read:256,0']);
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]!.message).toContain('injected read failure at (300, 10)');
    expect(report.counts.processed).toBe(19);
    expect(report.tiles.find((t) => t.x === 256 && t.y === 0)).toBeUndefined();
  });

  it('an estimator returning NaN fails only that tile, naming the estimator and the tile', async () => {
    const flaky: BlurEstimator = {
      name: 'flaky',
      version: '0',
      outputs: [{ name: 'flaky', unit: 'a.u.', direction: 'higher-is-sharper' }],
      async estimate(tiles) {
        return tiles.map((t) => ({ flaky: t.data[0] === image.data[(0 * W + 512) * 3] && t.data[1] === image.data[(0 * W + 512) * 3 + 1] ? Number.NaN : 1 }));
      },
    };
    const pipeline = createPipeline({ estimators: [laplacianVariance(), flaky], router: createRouter({ rules: deepBlurMMRules() }), aggregators: [] }, settings);
    const report = await pipeline.run(memorySource(image));
    const failed = report.failures.filter((f) => f.stage === 'estimate');
    expect(failed.map((f) => [f.x, f.y])).toContainEqual([512, 0]);
    expect(failed[0]!.code).toBe('E_ESTIMATOR');
    expect(failed[0]!.message).toMatch(/Estimator "flaky" returned NaN for output "flaky" on the tile at \(512, 0\)/);
    expect(report.counts.processed).toBe(20 - failed.length);
  });

  it('rejects a routing rule on an output no estimator produces', () => {
    expect(() => createPipeline({ estimators: [laplacianVariance()], router: createRouter({ rules: deepBlurMMRules({ output: 'focuslitenn' }) }), aggregators: [] }, settings)).toThrow(/uses the estimator output "focuslitenn", which no configured estimator produces/);
  });

  it('aborts through its AbortSignal and keeps the tiles already done in the partial report', async () => {
    const pipeline = createPipeline({ estimators: [laplacianVariance()], router: createRouter({ rules: deepBlurMMRules() }), aggregators: [percentile(75)] }, settings);
    const controller = new AbortController();
    pipeline.on('tile:done', (t) => {
      if (t.index >= 0) controller.abort(new Error('user cancelled'));
    });
    const err = await pipeline.run(memorySource(image), { signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(isBlurmmError(err, 'E_ABORTED')).toBe(true);
    const partial = (err as AbortError).data!.report as SlideReport;
    expect(partial.aborted).toBe(true);
    expect(partial.tiles.length).toBeGreaterThanOrEqual(1);
    expect(partial.tiles.length).toBeLessThan(20);
  });

  it('skips nothing without a tissue mask and flags an empty slide with a warning', async () => {
    const glass: RgbImage = { data: new Uint8Array(512 * 512 * 3).fill(244), width: 512, height: 512, channels: 3 };
    const pipeline = createPipeline({ estimators: [laplacianVariance()], router: createRouter({ rules: deepBlurMMRules() }), aggregators: [] }, { ...settings, tissue: { enabled: false } });
    expect((await pipeline.run(memorySource(glass))).counts.processed).toBe(4);
    const masked = createPipeline({ estimators: [laplacianVariance()], router: createRouter({ rules: deepBlurMMRules() }), aggregators: [] }, settings);
    const warnings: string[] = [];
    masked.on('warning', (w) => warnings.push(w.code));
    const r = await masked.run(memorySource(glass));
    expect(r.counts).toMatchObject({ processed: 0, backgroundSkipped: 4 });
    expect(warnings).toEqual(['W_NO_TISSUE']);
    expect(r.warnings[0]!.message).toContain('No tile of memory://test passed the tissue mask');
  });
});
