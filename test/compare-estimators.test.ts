import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlurEstimator } from '../src/core/types.js';
import { laplacianVariance, varianceOfLaplacian } from '../src/plugins/estimators/lv.js';
import { focusLiteNNWeightsToJson, type FocusLiteNNWeights } from '../src/plugins/estimators/focuslitenn-weights.js';
import { compareEstimators, renderComparisonSvg, type ComparisonResult } from '../src/plugins/train/compare.js';
import { gaussianBlur } from '../src/plugins/train/gaussian-blur.js';
import { cropRgb, openPatchSource, selectSharpTiles, type SelectedTile } from '../src/plugins/train/patch-source.js';
import { blurMargin } from '../src/plugins/train/focuslitenn-trainer.js';
import { command as compareCommand } from '../src/cli/commands/compare-estimators.js';
import { hasSharedData, shared } from './helpers/shared-data.js';
import { sink } from './helpers/streams-and-noise.js';

const SIGMAS = [0, 0.5, 1, 2, 4];
const TILE = 256;


/** a 1-kernel FocusLiteNN-shaped edge detector (not the reference weights): min of a Laplacian-like response */
function edgeWeights(): FocusLiteNNWeights {
  const w = new Float32Array(147);
  for (let c = 0; c < 3; c++) {
    const at = (y: number, x: number): number => c * 49 + y * 7 + x;
    w[at(3, 3)] = -4;
    w[at(2, 3)] = w[at(4, 3)] = w[at(3, 2)] = w[at(3, 4)] = 1;
  }
  return { k: 1, convWeight: w, convBias: Float32Array.of(0) };
}

describe.skipIf(!hasSharedData)('compareEstimators', () => {
  let tiles: SelectedTile[];
  let result: ComparisonResult;
  let estimators: BlurEstimator[];
  beforeAll(async () => {
    const src = await openPatchSource(shared('focuslitenn', 'tcga-adrenal-in-focus.png'));
    tiles = await selectSharpTiles([src], { patch: TILE + 2 * blurMargin(4), crop: TILE, count: 3, seed: 2 });
    const { focusLiteNN } = await import('../src/plugins/estimators/focuslitenn.js');
    estimators = [laplacianVariance(), await focusLiteNN({ weights: edgeWeights(), id: 'edge', stride: 64 })];
    result = await compareEstimators(tiles, estimators, { sigmas: SIGMAS, tileSize: TILE });
  }, 60_000);
  afterAll(async () => {
    for (const e of estimators) await e.dispose?.();
  });

  it('scores each blurred tile as the estimator does on cv2-equal blurs', () => {
    const lv = result.estimators.find((e) => e.output === 'lv')!;
    const t = tiles[1]!;
    const off = (t.image.width - TILE) >> 1;
    expect(lv.scores[1]![3]).toBe(varianceOfLaplacian(cropRgb(gaussianBlur(t.image, 2), off, off, TILE, TILE)));
    expect(lv.scores[1]![0]).toBe(varianceOfLaplacian(cropRgb(t.image, off, off, TILE, TILE)));
  });

  it('reports Spearman, monotone range and curves per estimator output', () => {
    const lv = result.estimators.find((e) => e.output === 'lv')!;
    expect(lv.direction).toBe('higher-is-sharper');
    // LV falls with every sigma step on every tile, so the pooled Spearman is -1 up to cross-tile overlap
    expect(lv.spearman).toBeLessThan(-0.9);
    expect(lv.spearmanOriented).toBe(-lv.spearman);
    expect(lv.monotone).toMatchObject({ from: 0, to: 4 });
    expect(lv.curve.map((c) => c.sigma)).toEqual(SIGMAS);
    const col = lv.scores.map((r) => r[2]!).sort((a, b) => a - b);
    expect(lv.curve[2]!.median).toBe(col[1]);
    const edge = result.estimators.find((e) => e.output === 'edge')!;
    expect(edge.estimator).toBe('focuslitenn');
    expect(Number.isFinite(edge.spearman)).toBe(true);
    expect(edge.msPerTile).toBeGreaterThan(0);
  });

  it('renders the curves as SVG that sharp turns into a PNG', async () => {
    const svg = renderComparisonSvg(result);
    expect(svg).toContain('lv (higher-is-sharper)');
    expect(svg).toContain('edge (higher-is-blurrier)');
    const meta = await sharp(Buffer.from(svg)).png().metadata();
    expect([meta.width, meta.height]).toEqual([840, 320]);
  });
});

describe.skipIf(!hasSharedData)('blurmm compare-estimators', () => {
  const dir = mkdtempSync(join(tmpdir(), 'blurmm-compare-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes comparison.json and comparison.png with LV and FocusLiteNN side by side', async () => {
    const weights = join(dir, 'w.json');
    writeFileSync(weights, JSON.stringify(focusLiteNNWeightsToJson(edgeWeights())));
    const out = join(dir, 'cmp');
    const stdout = sink();
    const code = await compareCommand.run(
      { values: { weights, out, tiles: '2', tile: '256', sigmas: '0,1,3' }, positionals: [shared('focuslitenn', 'tcga-adrenal-in-focus.png')] },
      { stdout: stdout.stream, stderr: sink().stream, signal: new AbortController().signal },
    );
    expect(code).toBe(0);
    expect(stdout.text()).toMatch(/2 tiles of 256 px x 3 sigmas \(0\.\.3\)/);
    expect(stdout.text()).toMatch(/lv +Spearman with sigma/);
    expect(stdout.text()).toMatch(/focuslitenn +Spearman with sigma/);
    const json = JSON.parse(readFileSync(join(out, 'comparison.json'), 'utf8')) as ComparisonResult;
    expect(json.estimators.map((e) => e.output)).toEqual(['lv', 'focuslitenn']);
    expect(json.sigmas).toEqual([0, 1, 3]);
    const png = await sharp(join(out, 'comparison.png')).metadata();
    expect(png.format).toBe('png');
    expect(png.width).toBe(840);
  }, 60_000);

  it('names what is missing: focuslitenn without --weights, an unknown estimator', async () => {
    const io = { stdout: sink().stream, stderr: sink().stream, signal: new AbortController().signal };
    const png = shared('focuslitenn', 'tcga-adrenal-in-focus.png');
    await expect(compareCommand.run({ values: { estimator: 'lv,focuslitenn' }, positionals: [png] }, io)).rejects.toThrow(/--estimator focuslitenn needs --weights/);
    await expect(compareCommand.run({ values: { estimator: 'nope' }, positionals: [png] }, io)).rejects.toThrow(/No blur estimator named "nope" is registered; registered: .*lv/);
  });
});
