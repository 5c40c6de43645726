import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTileModel } from '../src/core/model.js';
import type { PostprocessConfig, PreprocessConfig } from '../src/core/model.js';
import type { TileModel } from '../src/core/types.js';
import { createOnnxBackend } from '../src/plugins/backends/onnx.js';
import { DEMO, heldOutTiles } from '../scripts/make-demo.js';
import { repoRoot } from './helpers/shared-data.js';

const demoDir = join(repoRoot, 'examples', 'demo');
interface Metrics {
  accuracy: Record<string, Record<string, number>>;
  subsample: { tiles: number; correct: Record<string, Record<string, number>> };
}
const metrics = JSON.parse(readFileSync(join(demoDir, 'models', 'metrics.json'), 'utf8')) as Metrics;
const config = JSON.parse(readFileSync(join(demoDir, 'demo.config.json'), 'utf8')) as {
  models: { id: string; path: string; preprocess: PreprocessConfig; postprocess: PostprocessConfig; options: { intraOpThreads: number } }[];
};

describe('demo models and sample slide', () => {
  const models: TileModel[] = [];
  beforeAll(async () => {
    for (const m of config.models) {
      const backend = await createOnnxBackend(m.id, { path: join(demoDir, m.path), ...m.options });
      models.push(await createTileModel(backend, { id: m.id, preprocess: m.preprocess, postprocess: m.postprocess }));
    }
  });
  afterAll(async () => {
    await Promise.all(models.map((m) => m.close()));
  });

  it('the committed models reproduce metrics.json on freshly generated held-out tiles (subsample)', async () => {
    const heldOut = heldOutTiles(DEMO.evalSigmas, DEMO.subsampleRegions);
    for (const sigma of DEMO.evalSigmas) {
      const { tiles, labels } = heldOut.get(sigma)!;
      expect(tiles.length).toBe(metrics.subsample.tiles);
      for (const model of models) {
        const preds = await model.predict(tiles);
        const correct = preds.filter((p, i) => (p.score > 0.5 ? 1 : 0) === labels[i]).length;
        // same tiles, same models: equal up to a tile sitting on the 0.5 threshold
        expect(Math.abs(correct - metrics.subsample.correct[model.id]![String(sigma)]!), `${model.id} at sigma ${sigma}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it('metrics.json shows what the demo claims: blur hurts the base model, the matched models recover part of it', () => {
    const a = metrics.accuracy;
    expect(a.base!['0']).toBeGreaterThanOrEqual(0.9);
    expect(a.base!['1']).toBeLessThanOrEqual(a.base!['0']! - 0.2);
    expect(a['sigma1.0']!['1']).toBeGreaterThanOrEqual(a.base!['1']! + 0.1);
  });

  it('the artefacts stay small and the slide is a 0.5 um/px tiled pyramidal TIFF', async () => {
    for (const m of config.models) expect(statSync(join(demoDir, m.path)).size).toBeLessThan(64 * 1024);
    const slide = join(demoDir, 'sample-slide.tif');
    expect(statSync(slide).size).toBeLessThan(8 * 1024 * 1024);
    const meta = await sharp(slide).metadata();
    expect([meta.width, meta.height, meta.pages]).toEqual([4096, 3072, 5]);
    // sharp reports density in pixels per inch: 0.5 um/px = 50800 px/inch
    expect(meta.density).toBeCloseTo(25400 / 0.5, 3);
  });
});
