import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBlurmmError } from '../src/core/errors.js';
import type { BlurEstimator, RgbImage } from '../src/core/types.js';
import { cropOffsets, focusLiteNN } from '../src/plugins/estimators/focuslitenn.js';
import { parseFocusLiteNNWeights, focusLiteNNWeightsToJson, type FocusLiteNNWeights } from '../src/plugins/estimators/focuslitenn-weights.js';
import { hasSharedData, shared } from './helpers/shared-data.js';

async function loadPng(path: string): Promise<RgbImage> {
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
}

/** a deterministic 1-kernel weight set (not the reference weights) */
function syntheticWeights(k = 1): FocusLiteNNWeights {
  const convWeight = Float32Array.from({ length: k * 147 }, (_, i) => Math.sin(i * 0.7) * 0.3);
  return {
    k,
    convWeight,
    convBias: Float32Array.from({ length: k }, (_, i) => 0.1 * i),
    fcWeight: k > 1 ? Float32Array.from({ length: k }, (_, i) => 1 - 0.2 * i) : undefined,
    fcBias: k > 1 ? Float32Array.from([0.5]) : undefined,
  };
}

function noiseTile(w: number, h: number, channels: 3 | 4 = 3, seed = 1): RgbImage {
  let s = seed;
  const data = new Uint8Array(w * h * channels);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  return { data, width: w, height: h, channels };
}

/** plain JS FocusLiteNN on one crop, float64 (the test's independent reference) */
function jsScore(w: FocusLiteNNWeights, tile: RgbImage, x0: number, y0: number, crop = 235): number {
  const m = Math.floor((crop + 2 - 7) / 5) + 1;
  const pooled: number[] = [];
  for (let k = 0; k < w.k; k++) {
    let min = Infinity;
    for (let oy = 0; oy < m; oy++)
      for (let ox = 0; ox < m; ox++) {
        let acc = w.convBias[k]!;
        for (let c = 0; c < 3; c++)
          for (let ky = 0; ky < 7; ky++) {
            const iy = oy * 5 - 1 + ky;
            if (iy < 0 || iy >= crop) continue;
            for (let kx = 0; kx < 7; kx++) {
              const ix = ox * 5 - 1 + kx;
              if (ix < 0 || ix >= crop) continue;
              const v = tile.data[((y0 + iy) * tile.width + x0 + ix) * tile.channels + c]! / 255;
              acc += v * w.convWeight[((k * 3 + c) * 7 + ky) * 7 + kx]!;
            }
          }
        min = Math.min(min, acc);
      }
    pooled.push(min);
  }
  if (w.k === 1) return pooled[0]!;
  return pooled.reduce((a, v, k) => a + v * w.fcWeight![k]!, w.fcBias![0]!);
}

describe('cropOffsets (reference protocol)', () => {
  it('gives 0,128,...,768 for 1025 px and one crop for a tile of crop size', () => {
    expect(cropOffsets(1025, 235, 128)).toEqual([0, 128, 256, 384, 512, 640, 768]);
    expect(cropOffsets(235, 235, 128)).toEqual([0]);
    expect(cropOffsets(512, 235, 128)).toEqual([0, 128, 256]);
    expect(cropOffsets(512, 256, 256)).toEqual([0]);
  });
});

describe('focuslitenn estimator (synthetic weights)', () => {
  let est1: BlurEstimator;
  let est3: BlurEstimator;
  beforeAll(async () => {
    est1 = await focusLiteNN({ weights: syntheticWeights(1), batchSize: 3 });
    est3 = await focusLiteNN({ weights: syntheticWeights(3), id: 'fl3' });
  });
  afterAll(async () => {
    await est1.dispose?.();
    await est3.dispose?.();
  });

  it('matches a float64 JS forward pass, for k = 1 and k = 3, mean over crops', async () => {
    const tile = noiseTile(400, 300);
    const [r1] = await est1.estimate([tile]);
    const [r3] = await est3.estimate([tile]);
    const xs = cropOffsets(400, 235, 128), ys = cropOffsets(300, 235, 128);
    for (const [w, got] of [[syntheticWeights(1), r1!.focuslitenn!], [syntheticWeights(3), r3!.fl3!]] as const) {
      let sum = 0;
      for (const y of ys) for (const x of xs) sum += jsScore(w, tile, x, y);
      expect(Math.abs(got - sum / (xs.length * ys.length))).toBeLessThan(1e-4);
    }
  });

  it('scores RGBA tiles as their RGB and is invariant to batching and tile order', async () => {
    const a = noiseTile(300, 260, 3, 5);
    const b = noiseTile(240, 500, 3, 9);
    const rgba = new Uint8Array(a.width * a.height * 4);
    for (let i = 0; i < a.width * a.height; i++) {
      rgba.set(a.data.subarray(i * 3, i * 3 + 3), i * 4);
      rgba[i * 4 + 3] = 255;
    }
    const together = await est1.estimate([a, b, { ...a, data: rgba, channels: 4 }]);
    const alone = await est1.estimate([b]);
    expect(together[1]!.focuslitenn).toBe(alone[0]!.focuslitenn);
    expect(together[2]!.focuslitenn).toBe(together[0]!.focuslitenn);
  });

  it('rejects tiles smaller than the crop, naming the tile size and crop', async () => {
    await expect(est1.estimate([noiseTile(300, 300), noiseTile(200, 300)])).rejects.toSatisfy(
      (e: unknown) => isBlurmmError(e, 'E_ESTIMATOR') && /tile 1 is 200 x 300 px, smaller than the 235 px crop/.test((e as Error).message),
    );
  });

  it('pads small tiles by reflection when asked', async () => {
    const est = await focusLiteNN({ weights: syntheticWeights(1), small: 'pad' });
    const [r] = await est.estimate([noiseTile(100, 120)]);
    expect(Number.isFinite(r!.focuslitenn)).toBe(true);
    await est.dispose?.();
  });

  it('raises an EstimatorError on a non-finite output', async () => {
    const w = syntheticWeights(1);
    const est = await focusLiteNN({ weights: { ...w, convWeight: new Float32Array(147).fill(3e38) } });
    await expect(est.estimate([noiseTile(235, 235)])).rejects.toSatisfy(
      (e: unknown) => isBlurmmError(e, 'E_ESTIMATOR') && /tile 0 \(235 x 235 px\) scored Infinity/.test((e as Error).message),
    );
    await est.dispose?.();
  });
});

describe('focuslitenn weights JSON', () => {
  const json = focusLiteNNWeightsToJson(syntheticWeights(2));
  it('round-trips through JSON', () => {
    const back = parseFocusLiteNNWeights(JSON.parse(JSON.stringify(json)));
    expect(back.k).toBe(2);
    expect([...back.convWeight]).toEqual([...syntheticWeights(2).convWeight]);
    expect([...back.fcWeight!]).toEqual([...syntheticWeights(2).fcWeight!]);
  });
  it('names a missing tensor', () => {
    const rest = Object.fromEntries(Object.entries(json).filter(([k]) => k !== 'fc.bias'));
    expect(() => parseFocusLiteNNWeights(rest, 'w.json')).toThrow(/Weights w.json: tensor "fc.bias" is missing \(expected shape \[1\]\)/);
  });
  it('names a tensor of the wrong shape', () => {
    expect(() => parseFocusLiteNNWeights({ ...json, 'conv.bias': [1, 2, 3] }, 'w.json')).toThrow(
      'Weights w.json: tensor "conv.bias" has shape [3] (3 values) but FocusLiteNN needs [2]',
    );
    expect(() => parseFocusLiteNNWeights({ ...json, 'conv.weight': [[[[1]]]] }, 'w.json')).toThrow(
      'Weights w.json: tensor "conv.weight" has shape [1, 1, 1, 1] but FocusLiteNN needs [k, 3, 7, 7]',
    );
  });
  it('rejects a missing weights file with E_NOT_FOUND', async () => {
    await expect(focusLiteNN({ weights: '/nonexistent/w.json' })).rejects.toSatisfy((e: unknown) => isBlurmmError(e, 'E_NOT_FOUND'));
  });
});

describe.skipIf(!hasSharedData)('focuslitenn reproduces the reference scores', () => {
  const dir = shared('focuslitenn');
  const expected = hasSharedData
    ? (JSON.parse(readFileSync(shared('focuslitenn', 'expected-scores.json'), 'utf8')) as { scores: Record<string, Record<string, number>> }).scores
    : {};
  const images: Record<string, RgbImage> = {};
  beforeAll(async () => {
    for (const f of ['tcga-adrenal-in-focus.png', 'tcga-adrenal-out-of-focus.png']) images[f] = await loadPng(`${dir}/${f}`);
  });

  for (const set of Object.keys(expected)) {
    it(`${set}: both patches to 1e-4, higher is blurrier`, async () => {
      const est = await focusLiteNN({ weights: `${dir}/${set}.weights.json` });
      try {
        const files = Object.keys(expected[set]!);
        const got = await est.estimate(files.map((f) => images[f]!));
        files.forEach((f, i) => expect(Math.abs(got[i]!.focuslitenn! - expected[set]![f]!)).toBeLessThan(1e-4));
        const out = est.outputs[0]!;
        expect(out.direction).toBe('higher-is-blurrier');
        expect(out.unit).toBe(set.endsWith('-mse') ? 'defocus level (absolute scale of the training data)' : 'relative score');
        const oof = got[files.indexOf('tcga-adrenal-out-of-focus.png')]!.focuslitenn!;
        const inf = got[files.indexOf('tcga-adrenal-in-focus.png')]!.focuslitenn!;
        expect(oof).toBeGreaterThan(inf);
      } finally {
        await est.dispose?.();
      }
    });
  }
});

describe('focuslitenn default weights (trained by blurmm on project-generated synthetic tissue)', () => {
  it('load by the name "default" with their unit and provenance', async () => {
    const est = await focusLiteNN({ weights: 'default' });
    try {
      expect(est.outputs[0]).toMatchObject({ name: 'focuslitenn', unit: 'estimated sigma (px), calibrated on synthetic tissue', direction: 'higher-is-blurrier' });
      expect(est.outputs[0]!.description).toMatch(/synthetic H&E-like tissue only/);
      expect(est.version).toMatch(/k=10/);
    } finally {
      await est.dispose?.();
    }
  });

  it.skipIf(!hasSharedData)('score the real out-of-focus TCGA patch blurrier than the in-focus one', async () => {
    const est = await focusLiteNN({ weights: 'default' });
    try {
      const dir = shared('focuslitenn');
      const [inFocus, outOfFocus] = await est.estimate([await loadPng(`${dir}/tcga-adrenal-in-focus.png`), await loadPng(`${dir}/tcga-adrenal-out-of-focus.png`)]);
      expect(outOfFocus!.focuslitenn!).toBeGreaterThan(inFocus!.focuslitenn! + 2);
    } finally {
      await est.dispose?.();
    }
  });
});

describe('focuslitenn lifecycle', () => {
  it('reports a typed error when used after dispose', async () => {
    const est = await focusLiteNN({ weights: syntheticWeights(1) });
    await est.dispose?.();
    await expect(est.estimate([noiseTile(235, 235)])).rejects.toSatisfy((e: unknown) => isBlurmmError(e, 'E_ESTIMATOR') && /onnxruntime failed on a batch of 1 crops of 235 px/.test((e as Error).message));
  });
});
