import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, estimate } from '../src/api.js';
import { isBlurmmError } from '../src/core/errors.js';
import { repoRoot } from './helpers/shared-data.js';

const slide = join(repoRoot, 'examples', 'demo', 'sample-slide.tif');
const dir = mkdtempSync(join(tmpdir(), 'blurmm-roi-'));
const rect = (x0: number, y0: number, x1: number, y1: number) => [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]];

// as QuPath 0.3-0.5 export it: a Feature per annotation, the older measurement list, a hole, a string class
const qupathExport = {
  type: 'FeatureCollection',
  features: [
    {
      type: 'Feature',
      id: 'a1',
      geometry: { type: 'Polygon', coordinates: [rect(0, 0, 2048, 2048), rect(512, 512, 1024, 1024)] },
      properties: { objectType: 'annotation', classification: { name: 'Tumor', colorRGB: -3670016 }, measurements: [{ name: 'Area', value: 1 }], isLocked: false },
    },
    {
      type: 'Feature',
      id: 'a2',
      geometry: { type: 'Polygon', coordinates: [rect(3072, 2048, 4096, 3072)] },
      properties: { objectType: 'annotation', classification: 'Ignore' },
    },
    { type: 'Feature', geometry: { type: 'Polygon', coordinates: [rect(2048, 0, 4096, 2048)] }, properties: { objectType: 'detection' } },
  ],
};
const roiFile = join(dir, 'annotations.geojson');
writeFileSync(roiFile, JSON.stringify(qupathExport));

/** tiles of a 512 grid whose centre lies inside [x0,x1) x [y0,y1) */
function tilesIn(x0: number, y0: number, x1: number, y1: number): string[] {
  const out: string[] = [];
  for (let y = 0; y < 3072; y += 512) for (let x = 0; x < 4096; x += 512) if (x + 256 >= x0 && x + 256 < x1 && y + 256 >= y0 && y + 256 < y1) out.push(`${x},${y}`);
  return out;
}

describe('regions of interest from QuPath annotations', () => {
  it('estimate --roi analyses exactly the tiles whose centre lies in an annotation, outside its holes', async () => {
    const seen: string[] = [];
    const report = await estimate(slide, { tileSize: 512, tissueMask: false, roi: roiFile }, (t) => seen.push(`${t.x},${t.y}`));
    const expected = [...tilesIn(0, 0, 2048, 2048).filter((k) => k !== '512,512'), ...tilesIn(3072, 2048, 4096, 3072)].sort();
    expect(seen.sort()).toEqual(expected);
    expect(report.counts.outsideRegionSkipped).toBe(48 - expected.length);
  });

  it('filters annotations by class and applies the QuPath bounds offset', async () => {
    const seen: string[] = [];
    await estimate(slide, { tileSize: 512, tissueMask: false, roi: { geojson: roiFile, classifications: ['Ignore'], offsetX: -1024 } }, (t) => seen.push(`${t.x},${t.y}`));
    expect(seen.sort()).toEqual(tilesIn(2048, 2048, 3072, 3072).sort());
  });

  it('analyze takes regions from the config and says when no annotation polygon is left', async () => {
    const report = await analyze(slide, { config: { tiling: { tileSize: 512 }, tissue: { enabled: false }, regions: { geojson: roiFile, classifications: ['Tumor'] }, outputs: { geojson: { enabled: false }, heatmaps: { enabled: false }, html: { enabled: false } } } });
    expect(report.counts.processed).toBe(15);
    const err = await analyze(slide, { config: { regions: { geojson: roiFile, classifications: ['Stroma'] } } }).catch((e: unknown) => e);
    expect(isBlurmmError(err, 'E_CONFIG')).toBe(true);
    expect((err as Error).message).toContain('holds no annotation polygon of the classes ["Stroma"]');
  });
});
