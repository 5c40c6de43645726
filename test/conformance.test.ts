/**
 * Conformance suites (src/testing) run on every built-in SlideSource, BlurEstimator and
 * ModelBackend. Shared-data cases skip cleanly when ../shared/data is absent.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { registerBuiltins } from '../src/builtins.js';
import { openSlide } from '../src/core/open.js';
import { AbortError, BackendError } from '../src/core/errors.js';
import type { BlurEstimator, InferTensor, ModelBackend, RegionRequest, RgbImage, SlideSource } from '../src/core/types.js';
import { createFunctionBackend } from '../src/plugins/backends/function.js';
import { createOnnxBackend } from '../src/plugins/backends/onnx.js';
import { focusLiteNN } from '../src/plugins/estimators/focuslitenn.js';
import { laplacianVariance } from '../src/plugins/estimators/lv.js';
import { describeBlurEstimator, describeModelBackend, describeSlideSource, type SlideSourceExpectations, type TestApi } from '../src/testing/index.js';
import { linearModel, probeModel, save } from './helpers/model-fixtures.js';
import { hasSharedData, repoRoot, shared } from './helpers/shared-data.js';

const api = { describe, it, expect, afterAll };
registerBuiltins();

const fixtures = join(repoRoot, 'test', 'fixtures', 'tiff');
const local: [string, string, SlideSourceExpectations][] = [
  ['truth.png', join(fixtures, 'truth.png'), {}],
  ['truth-grey.png', join(fixtures, 'truth-grey.png'), {}],
  ['jpeg-pyramid-tile32.tif', join(fixtures, 'jpeg-pyramid-tile32.tif'), {}],
  ['jpeg-rgb-tile32.tif', join(fixtures, 'jpeg-rgb-tile32.tif'), {}],
  ['jpeg-rgb-tile32-ids123.tif', join(fixtures, 'jpeg-rgb-tile32-ids123.tif'), {}],
  ['deflate-strip16.tif', join(fixtures, 'deflate-strip16.tif'), {}],
  ['deflate-tile48-bigtiff-grey.tif', join(fixtures, 'deflate-tile48-bigtiff-grey.tif'), {}],
  ['lzw-strip.tif', join(fixtures, 'lzw-strip.tif'), {}],
  ['lzw-tile32-predictor.tif', join(fixtures, 'lzw-tile32-predictor.tif'), {}],
  ['none-strip16.tif', join(fixtures, 'none-strip16.tif'), {}],
  ['none-tile32-bigendian.tif', join(fixtures, 'none-tile32-bigendian.tif'), {}],
  ['ome-separate-ifds.ome.tif', join(fixtures, 'ome-separate-ifds.ome.tif'), {}],
];
for (const [name, path, expectations] of local) {
  describeSlideSource(api, `SlideSource conformance: ${name}`, () => openSlide(path), expectations);
}

const mosaic = { width: 4100, height: 3090, hasMpp: true } as const;
const slides: [string, string, SlideSourceExpectations][] = [
  ['blurmosaic.png', shared('slides', 'blurmosaic.png'), { ...mosaic, format: 'png', levelCount: 1 }],
  ['blurmosaic-jpeg90-tile256.tif', shared('slides', 'blurmosaic-jpeg90-tile256.tif'), { ...mosaic, levelCount: 5 }],
  ['blurmosaic-deflate-tile512-bigtiff.tif', shared('slides', 'blurmosaic-deflate-tile512-bigtiff.tif'), { ...mosaic, levelCount: 3 }],
  ['blurmosaic-ome-subifd-jpeg75-tile256.ome.tif', shared('slides', 'blurmosaic-ome-subifd-jpeg75-tile256.ome.tif'), { ...mosaic, levelCount: 5 }],
  ['blurmosaic-svslike-jpeg70-tile240.svs', shared('slides', 'blurmosaic-svslike-jpeg70-tile240.svs'), { ...mosaic, levelCount: 3 }],
  ['dicom/tiled-full', shared('slides', 'dicom', 'tiled-full'), { ...mosaic, levelCount: 5 }],
];
describe.skipIf(!hasSharedData)('shared slides', () => {
  for (const [name, path, expectations] of slides) {
    describeSlideSource(api, `SlideSource conformance: ${name}`, () => openSlide(path), expectations);
  }
  // TILED_SPARSE: the folder holds two one-level series; each file opens its own series (1025 x 772)
  const sparse = hasSharedData ? readdirSync(shared('slides', 'dicom', 'tiled-sparse')).filter((f) => f.endsWith('.dcm')).sort() : [];
  for (const f of sparse) {
    describeSlideSource(api, `SlideSource conformance: dicom/tiled-sparse/${f}`, () => openSlide(shared('slides', 'dicom', 'tiled-sparse', f)), { width: 1025, height: 772, levelCount: 1 });
  }
});

describeBlurEstimator(api, 'BlurEstimator conformance: lv', () => laplacianVariance({}));
describeBlurEstimator(api, 'BlurEstimator conformance: focuslitenn (default weights)', () => focusLiteNN({ weights: 'default' }));

// GlobalAveragePool -> Gemm(3 -> 2) over [N, 3, 8, 8]
const linear = save('conformance-linear.onnx', linearModel(8, [0.5, -1, 2, 1, 0.25, -0.75], [0.1, -0.2]));
describeModelBackend(api, 'ModelBackend conformance: onnxruntime (FP32 [N, 3, 8, 8] -> [N, 2])', () => createOnnxBackend('linear', { path: linear, intraOpThreads: 1 }));
// Cast + Flatten over a UINT8 [N, 3, H, W] input with dynamic H, W: output [N, K] with K dynamic
const probe = save('conformance-probe-u8.onnx', probeModel(['N', 3, 'H', 'W'], 'UINT8'));
describeModelBackend(api, 'ModelBackend conformance: onnxruntime (UINT8, dynamic dims)', () => createOnnxBackend('probe', { path: probe, intraOpThreads: 1 }), { dynamicSize: 5 });

/** the same channel-mean model in JavaScript */
describeModelBackend(api, 'ModelBackend conformance: function', () =>
  createFunctionBackend('js-linear', {
    metadata: {
      name: 'js-linear',
      platform: 'javascript',
      inputs: [{ name: 'pixels', datatype: 'FP32', shape: [-1, 3, 4, 4] }],
      outputs: [
        { name: 'means', datatype: 'FP32', shape: [-1, 3] },
        { name: 'total', datatype: 'FP64', shape: [-1, 1] },
      ],
    },
    infer(request) {
      const x = request.inputs[0]!;
      const n = x.shape[0]!;
      const means = new Float32Array(n * 3);
      const total = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        for (let c = 0; c < 3; c++) {
          let s = 0;
          for (let k = 0; k < 16; k++) s += Number(x.data[(i * 3 + c) * 16 + k]);
          means[i * 3 + c] = s / 16;
          total[i]! += s;
        }
      }
      const outputs: InferTensor[] = [
        { name: 'means', datatype: 'FP32', shape: [n, 3], data: means },
        { name: 'total', datatype: 'FP64', shape: [n, 1], data: total },
      ];
      const wanted = request.outputs?.map((o) => o.name);
      return { model_name: 'js-linear', outputs: wanted ? outputs.filter((o) => wanted.includes(o.name)) : outputs };
    },
  }),
);

// ---------------------------------------------------------------- the suites catch broken plugins

type Case = { name: string; fn: () => Promise<void> | void };

/** Runs a suite's cases outside vitest's registration and returns the names of the cases that fail. */
async function failingCases(register: (api: TestApi) => void): Promise<string[]> {
  const cases: Case[] = [];
  const after: (() => Promise<void> | void)[] = [];
  register({ describe: (_name, body) => body(), it: (name, fn) => void cases.push({ name, fn }), expect, afterAll: (fn) => void after.push(fn) });
  const failed: string[] = [];
  for (const c of cases) {
    try {
      await c.fn();
    } catch {
      failed.push(c.name);
    }
  }
  for (const fn of after) await fn();
  return failed;
}

const has = (failed: readonly string[], part: string) => failed.filter((n) => n.includes(part));

describe('the conformance suites catch broken plugins', () => {
  const png = join(fixtures, 'truth.png');
  /** truth.png with one defect injected */
  const brokenSource = (bug: 'outside-black' | 'short-data' | 'coarsest-first' | 'ignores-abort' | 'bad-level-ok' | 'close-twice-throws') => async (): Promise<SlideSource> => {
    const s = await openSlide(png);
    let closed = false;
    const wrapped: SlideSource = {
      format: s.format,
      path: s.path,
      width: s.width,
      height: s.height,
      levels: bug === 'coarsest-first' ? [s.levels[0]!, { index: 1, width: s.width, height: s.height, downsample: 1 }] : s.levels,
      mpp: s.mpp,
      mppSource: s.mppSource,
      properties: s.properties,
      associatedImages: s.associatedImages,
      async readRegion(req: RegionRequest): Promise<RgbImage> {
        if (bug === 'bad-level-ok' && (req.level < 0 || req.level >= s.levels.length)) return s.readRegion({ ...req, level: 0 });
        const img = await s.readRegion(bug === 'ignores-abort' ? { ...req, signal: undefined } : req);
        if (bug === 'short-data') return { ...img, data: img.data.subarray(0, img.data.length - 1) };
        if (bug === 'outside-black') {
          const data = Uint8Array.from(img.data);
          for (let y = 0; y < img.height; y++) {
            for (let x = 0; x < img.width; x++) {
              if (req.x + x < s.width && req.y + y < s.height && req.x + x >= 0 && req.y + y >= 0) continue;
              data.fill(0, (y * img.width + x) * img.channels, (y * img.width + x + 1) * img.channels - (img.channels === 4 ? 1 : 0));
            }
          }
          return { ...img, data };
        }
        return img;
      },
      async close() {
        if (closed && bug === 'close-twice-throws') throw new Error('already closed');
        closed = true;
        await s.close();
      },
    };
    return wrapped;
  };

  it('a correct source fails no case; each injected source defect fails the case that guards it', async () => {
    expect(await failingCases((a) => describeSlideSource(a, 'ok', () => openSlide(png)))).toEqual([]);
    expect(has(await failingCases((a) => describeSlideSource(a, 'b', brokenSource('outside-black'))), 'outside the image')).toHaveLength(1);
    expect(has(await failingCases((a) => describeSlideSource(a, 'b', brokenSource('short-data'))), 'width * height * channels')).toHaveLength(1);
    expect(has(await failingCases((a) => describeSlideSource(a, 'b', brokenSource('coarsest-first'))), 'finest first')).toHaveLength(1);
    expect(await failingCases((a) => describeSlideSource(a, 'b', brokenSource('ignores-abort')))).toEqual(['an already aborted signal rejects with E_ABORTED']);
    expect(await failingCases((a) => describeSlideSource(a, 'b', brokenSource('bad-level-ok')))).toEqual(['a level index that does not exist rejects with a BlurmmError']);
    expect(await failingCases((a) => describeSlideSource(a, 'b', brokenSource('close-twice-throws')))).toEqual([expect.stringContaining('close() resolves and is idempotent')]);
  });

  /** lv with one defect injected */
  const brokenLv = (bug: 'wrong-direction' | 'reorders' | 'nan' | 'empty-record' | 'swallows-bad-tiles' | 'plain-type-error'): BlurEstimator => {
    const lv = laplacianVariance({});
    return {
      name: 'broken-lv',
      version: '0.0.0',
      outputs: bug === 'wrong-direction' ? [{ ...lv.outputs[0]!, direction: 'higher-is-blurrier' }] : lv.outputs,
      async estimate(tiles, options) {
        if (bug === 'empty-record' && tiles.length === 0) return [{}];
        if (bug === 'plain-type-error' && tiles.some((t) => t.width * t.height === 0)) throw new TypeError('bad tile');
        if (bug === 'swallows-bad-tiles' && tiles.some((t) => t.width * t.height === 0 || t.data.length !== t.width * t.height * t.channels)) return tiles.map(() => ({ lv: 0 }));
        const out = await lv.estimate(tiles, options);
        if (bug === 'reorders' && out.length === 3) return [out[1]!, out[0]!, out[2]!];
        if (bug === 'nan' && out.length > 1) return out.map((r, i) => (i === 1 ? { lv: Number.NaN } : r));
        return out;
      },
    };
  };

  it('each injected estimator defect fails the case that guards it', async () => {
    expect(await failingCases((a) => describeBlurEstimator(a, 'b', () => brokenLv('wrong-direction')))).toEqual([expect.stringContaining('moves every output in its declared direction')]);
    expect(await failingCases((a) => describeBlurEstimator(a, 'b', () => brokenLv('reorders')))).toEqual([expect.stringContaining('a batch gives exactly the records')]);
    expect(has(await failingCases((a) => describeBlurEstimator(a, 'b', () => brokenLv('nan'))), 'every declared output finite')).toHaveLength(1);
    expect(await failingCases((a) => describeBlurEstimator(a, 'b', () => brokenLv('empty-record')))).toEqual(['an empty batch resolves to []']);
    expect(await failingCases((a) => describeBlurEstimator(a, 'b', () => brokenLv('swallows-bad-tiles')))).toEqual([expect.stringContaining('a 0x0 tile')]);
    expect(await failingCases((a) => describeBlurEstimator(a, 'b', () => brokenLv('plain-type-error')))).toEqual([expect.stringContaining('a 0x0 tile')]);
  });

  /** a backend that computes per-sample channel means of [N, 3, 4, 4] with one defect injected, and no input checks of its own */
  const brokenBackend = (bug: 'no-shape-check' | 'batch-leaks' | 'close-ignored' | 'ignores-abort'): ModelBackend => {
    let closed = false;
    return {
      backend: 'broken',
      modelId: 'broken',
      ready: () => Promise.resolve(bug === 'close-ignored' || !closed),
      metadata: () => Promise.resolve({ name: 'broken', platform: 'javascript', inputs: [{ name: 'pixels', datatype: 'FP32', shape: [-1, 3, 4, 4] }], outputs: [{ name: 'means', datatype: 'FP32', shape: [-1, 3] }] }),
      async infer(request, options) {
        if (closed && bug !== 'close-ignored') throw new BackendError('closed');
        if (options?.signal?.aborted && bug !== 'ignores-abort') throw new AbortError();
        const x = request.inputs.find((i) => i.name === 'pixels');
        if (!x) throw new BackendError('needs input "pixels"');
        const unknown = request.outputs?.find((o) => o.name !== 'means');
        if (unknown) throw new BackendError(`no output "${unknown.name}"`);
        if (x.datatype !== 'FP32') throw new BackendError('input "pixels" must be FP32');
        if (bug !== 'no-shape-check' && (x.shape.length !== 4 || x.shape[1] !== 3 || x.shape[2] !== 4 || x.shape[3] !== 4)) throw new BackendError('input "pixels" has the wrong shape');
        const n = x.shape[0]!;
        const means = new Float32Array(n * 3);
        for (let i = 0; i < n; i++) {
          for (let c = 0; c < 3; c++) {
            let s = 0;
            for (let k = 0; k < 16; k++) s += Number(x.data[(i * 3 + c) * 16 + k]);
            means[i * 3 + c] = s / 16 + (bug === 'batch-leaks' ? 0.01 * (n - 1) : 0);
          }
        }
        return { model_name: 'broken', outputs: [{ name: 'means', datatype: 'FP32', shape: [n, 3], data: means }] };
      },
      async close() {
        closed = true;
      },
    };
  };

  it('each injected backend defect fails the case that guards it', async () => {
    expect(await failingCases((a) => describeModelBackend(a, 'b', async () => brokenBackend('no-shape-check')))).toEqual([expect.stringContaining('a wrongly shaped')]);
    expect(await failingCases((a) => describeModelBackend(a, 'b', async () => brokenBackend('batch-leaks')))).toEqual([expect.stringContaining('a batch of 3 gives the results of 3 single requests')]);
    expect(await failingCases((a) => describeModelBackend(a, 'b', async () => brokenBackend('close-ignored')))).toEqual([expect.stringContaining('after close()')]);
    expect(await failingCases((a) => describeModelBackend(a, 'b', async () => brokenBackend('ignores-abort')))).toEqual(['an already aborted signal rejects with E_ABORTED']);
  });
});
