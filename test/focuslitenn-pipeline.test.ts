/**
 * FocusLiteNN in the real pipeline, next to LV in one pass, on the blurmosaic slide (known sigma
 * per 512 px region), and routing by its output exactly as by LV.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { estimate, type TileEstimate } from '../src/api.js';
import { createRouter } from '../src/core/router.js';
import { spearman } from '../src/plugins/train/stats.js';
import { hasSharedData, shared } from './helpers/shared-data.js';

interface Region {
  id: string;
  col: number;
  row: number;
  sigma: number;
  background: boolean;
  source: string;
  intrinsically_out_of_focus: boolean;
}

describe.skipIf(!hasSharedData)('focuslitenn (default weights) with lv in one pass over blurmosaic.png', () => {
  const tiles: TileEstimate[] = [];
  let regions: Region[] = [];
  const byRegion = (id: string): TileEstimate => {
    const r = regions.find((g) => g.id === id)!;
    return tiles.find((t) => t.col === r.col && t.row === r.row)!;
  };
  let tcga: { r: Region; t: TileEstimate }[] = [];
  beforeAll(async () => {
    regions = (JSON.parse(readFileSync(shared('slides', 'blurmosaic-truth.json'), 'utf8')) as { regions: Region[] }).regions;
    await estimate(
      shared('slides', 'blurmosaic.png'),
      { tileSize: 512, edge: 'skip', estimators: ['lv', { name: 'focuslitenn', options: { weights: 'default' } }] },
      (t) => tiles.push(t),
    );
    tcga = regions
      .filter((r) => r.source === 'tcga-adrenal-in-focus')
      .map((r) => ({ r, t: tiles.find((t) => t.col === r.col && t.row === r.row)! }))
      .filter((x) => x.t);
  }, 60_000);

  it('gives every tissue tile both outputs', () => {
    expect(tiles.length).toBeGreaterThan(40);
    for (const t of tiles) {
      expect(Number.isFinite(t.values.lv)).toBe(true);
      expect(Number.isFinite(t.values.focuslitenn)).toBe(true);
    }
  });

  it('orders the in-focus TCGA regions by their sigma (0..10) nearly as well as LV', () => {
    expect(tcga.length).toBe(39);
    const sigma = tcga.map((x) => x.r.sigma);
    const fl = spearman(tcga.map((x) => x.t.values.focuslitenn!), sigma);
    const lv = spearman(tcga.map((x) => -x.t.values.lv!), sigma);
    expect(fl).toBeGreaterThan(0.98); // measured 0.9886
    expect(lv).toBeGreaterThan(0.99); // measured 0.9950
  });

  it('scores the really out-of-focus region (sigma 0 on the slide) as blurry', () => {
    const sharp = tcga.filter((x) => x.r.sigma === 0).map((x) => x.t.values.focuslitenn!);
    expect(byRegion('r2c5').values.focuslitenn!).toBeGreaterThan(Math.max(...sharp) + 2);
  });

  it('routes by the FocusLiteNN output as by LV', () => {
    const router = createRouter({
      rules: [
        { label: 'sharp', when: [{ output: 'focuslitenn', max: { value: -0.5, inclusive: false } }], model: null },
        { label: 'moderate', when: [{ output: 'focuslitenn', max: { value: 1.6, inclusive: false } }], model: null },
      ],
      fallback: { label: 'severe', model: null },
    });
    for (const { r, t } of tcga) {
      const want = r.sigma <= 1.5 ? 'sharp' : r.sigma <= 3 ? 'moderate' : 'severe';
      expect(router.route(t.values).label, `${r.id} sigma ${r.sigma} focuslitenn ${t.values.focuslitenn}`).toBe(want);
    }
  });
});
