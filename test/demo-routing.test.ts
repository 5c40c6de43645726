import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../src/api.js';
import type { SlideReport } from '../src/core/types.js';
import { repoRoot } from './helpers/shared-data.js';

const demo = join(repoRoot, 'examples', 'demo');
const slide = join(demo, 'sample-slide.tif');
interface Region { x: number; y: number; width: number; height: number; background: boolean; class: 0 | 1 | null; sigma: number | null }
const truth = JSON.parse(readFileSync(join(demo, 'sample-slide-truth.json'), 'utf8')) as { regions: Region[] };
const config = JSON.parse(readFileSync(join(demo, 'demo.config.json'), 'utf8')) as Record<string, unknown>;
delete config.$schema;

/** accuracy of the predicted tiles per region sigma, and routes of unpredicted ones */
function score(report: SlideReport): Map<number, { n: number; correct: number; unpredicted: number }> {
  const out = new Map<number, { n: number; correct: number; unpredicted: number }>();
  for (const t of report.tiles) {
    const cx = t.x + t.width / 2;
    const cy = t.y + t.height / 2;
    const r = truth.regions.find((g) => cx >= g.x && cx < g.x + g.width && cy >= g.y && cy < g.y + g.height);
    if (!r || r.background || r.sigma === null) continue;
    const s = out.get(r.sigma) ?? { n: 0, correct: 0, unpredicted: 0 };
    if (t.prediction) {
      s.n++;
      if ((t.prediction.score > 0.5 ? 1 : 0) === r.class) s.correct++;
    } else s.unpredicted++;
    out.set(r.sigma, s);
  }
  return out;
}
const acc = (m: Map<number, { n: number; correct: number }>, sigma: number) => m.get(sigma)!.correct / m.get(sigma)!.n;

describe('demo: blur-aware routing on the bundled slide with the bundled models (real onnxruntime)', () => {
  it('routing each tile to the model trained for its blur recovers the sigma-1 tiles the base model gets wrong', async () => {
    const routed = await analyze(slide, { config, baseDir: demo });
    const baseOnly = await analyze(slide, {
      config: { ...config, routing: { rules: [{ label: 'all', when: [{ output: 'lv', min: { value: 0, inclusive: true } }], model: 'base' }] } },
      baseDir: demo,
    });
    const r = score(routed);
    const b = score(baseOnly);
    // blur hurts: the base model is at chance on sigma-1 tiles, sharp tiles are fine
    expect(acc(b, 0)).toBeGreaterThanOrEqual(0.95);
    expect(acc(b, 1)).toBeLessThanOrEqual(0.65);
    // routing fixes it
    expect(acc(r, 0)).toBeGreaterThanOrEqual(0.95);
    expect(acc(r, 0.5)).toBeGreaterThanOrEqual(0.95);
    expect(acc(r, 1)).toBeGreaterThanOrEqual(0.9);
    // tiles blurrier than any model was trained on are routed to no model and left out of the score
    for (const s of [2, 4, 8]) expect(r.get(s)!.n).toBe(0);
    expect(routed.routing.counts.unusable).toBe(r.get(2)!.unpredicted + r.get(4)!.unpredicted + r.get(8)!.unpredicted);
    expect(routed.models.map((m) => m.id).sort()).toEqual(['base', 'sigma0.5', 'sigma1.0']);
    expect(routed.models.every((m) => m.tiles > 0)).toBe(true);
    expect(routed.counts.failed).toBe(0);
  });
});
