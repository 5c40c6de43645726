/**
 * 03: a third-party blur estimator (Tenengrad: mean squared Sobel gradient of the gray image),
 * registered by name and used for routing next to LV.
 * Run: npm run build && npx tsx examples/03-custom-estimator.ts
 */
import { analyze, registerEstimator, type BlurEstimator, type RgbImage } from 'blurmm';

function tenengrad(t: RgbImage): number {
  const { width: w, height: h, data, channels: c } = t;
  const g = new Float64Array(w * h);
  for (let i = 0; i < w * h; i++) g[i] = 0.299 * data[i * c]! + 0.587 * data[i * c + 1]! + 0.114 * data[i * c + 2]!;
  let sum = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const p = (dx: number, dy: number) => g[(y + dy) * w + x + dx]!;
      const gx = p(1, -1) + 2 * p(1, 0) + p(1, 1) - p(-1, -1) - 2 * p(-1, 0) - p(-1, 1);
      const gy = p(-1, 1) + 2 * p(0, 1) + p(1, 1) - p(-1, -1) - 2 * p(0, -1) - p(1, -1);
      sum += gx * gx + gy * gy;
    }
  }
  return sum / Math.max(1, (w - 2) * (h - 2));
}

registerEstimator('tenengrad', (): BlurEstimator => ({
  name: 'tenengrad',
  version: '1.0.0',
  outputs: [{ name: 'tenengrad', unit: 'gray level^2', direction: 'higher-is-sharper' }],
  async estimate(tiles) {
    return tiles.map((t) => ({ tenengrad: tenengrad(t) }));
  },
}));

const report = await analyze('examples/demo/sample-slide.tif', {
  config: {
    tiling: { tileSize: 256, mpp: 0.5, edge: 'skip' },
    estimators: [{ name: 'lv' }, { name: 'tenengrad' }],
    routing: {
      rules: [
        { label: 'sharp', when: [{ output: 'lv', min: { value: 25, inclusive: false } }, { output: 'tenengrad', min: { value: 500, inclusive: true } }], model: null },
        { label: 'blurred', when: [{ output: 'lv', max: { value: 25, inclusive: true } }], model: null },
      ],
      fallback: { label: 'disagree', model: null },
    },
  },
});
console.log(report.routing.counts);
