/**
 * 04: a platform that runs inference itself: a JavaScript-function model backend (Open Inference
 * Protocol v2 shapes) behind the DeepBlurMM routes. Here the "model" scores mean darkness.
 * Run: npm run build && npx tsx examples/04-function-backend.ts
 */
import { analyze, createFunctionBackend, registerBackend, type InferRequest, type InferResponse } from 'blurmm';

registerBackend('my-platform', async (modelId) => {
  return createFunctionBackend(modelId, {
    metadata: { name: modelId, platform: 'javascript', inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 3, 64, 64] }], outputs: [{ name: 'score', datatype: 'FP32', shape: [-1, 1] }] },
    infer(req: InferRequest): InferResponse {
      const x = req.inputs[0]!;
      const n = x.shape[0]!;
      const per = x.data.length / n;
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < per; j++) s += Number(x.data[i * per + j]);
        out[i] = 1 - s / per;
      }
      return { model_name: modelId, outputs: [{ name: 'score', datatype: 'FP32', shape: [n, 1], data: out }] };
    },
  });
});

const model = (id: string) => ({ id, backend: 'my-platform', preprocess: { size: 64 }, postprocess: { activation: 'none' as const } });
const report = await analyze('examples/demo/sample-slide.tif', {
  config: { tiling: { tileSize: 256, mpp: 0.5, edge: 'skip' }, models: [model('base'), model('sigma0.5'), model('sigma1.0')] },
});
console.log('slide score (p75):', report.scores.overall.p75, 'per route:', report.scores.perRoute);
