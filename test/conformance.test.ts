/**
 * Conformance suites (src/testing) run on every built-in SlideSource, BlurEstimator and
 * ModelBackend. Shared-data cases skip cleanly when ../shared/data is absent.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { registerBuiltins } from '../src/builtins.js';
import { openSlide } from '../src/core/open.js';
import type { InferTensor } from '../src/core/types.js';
import { createFunctionBackend } from '../src/plugins/backends/function.js';
import { createOnnxBackend } from '../src/plugins/backends/onnx.js';
import { focusLiteNN } from '../src/plugins/estimators/focuslitenn.js';
import { laplacianVariance } from '../src/plugins/estimators/lv.js';
import { describeBlurEstimator, describeModelBackend, describeSlideSource, type SlideSourceExpectations } from '../src/testing/index.js';
import { linearModel, save } from './helpers/model-fixtures.js';
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
});

describeBlurEstimator(api, 'BlurEstimator conformance: lv', () => laplacianVariance({}));
describeBlurEstimator(api, 'BlurEstimator conformance: focuslitenn (default weights)', () => focusLiteNN({ weights: 'default' }));

// GlobalAveragePool -> Gemm(3 -> 2) over [N, 3, 8, 8]
const linear = save('conformance-linear.onnx', linearModel(8, [0.5, -1, 2, 1, 0.25, -0.75], [0.1, -0.2]));
describeModelBackend(api, 'ModelBackend conformance: onnxruntime', () => createOnnxBackend('linear', { path: linear, intraOpThreads: 1 }));

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
