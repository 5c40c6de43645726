import { describe, expect, it } from 'vitest';
import { isBlurmmError } from '../src/core/errors.js';
import { createTileModel } from '../src/core/model.js';
import { backendRegistry } from '../src/core/registries.js';
import { registerBuiltins } from '../src/builtins.js';
import type { InferRequest, InferResponse, ModelMetadata } from '../src/core/types.js';
import { createFunctionBackend } from '../src/plugins/backends/function.js';
import { randomTile } from './helpers/model-fixtures.js';

const metadata: ModelMetadata = {
  name: 'js',
  platform: 'javascript',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 3, 4, 4] }],
  outputs: [{ name: 'logits', datatype: 'FP32', shape: [-1, 2] }],
};

/** logits = [0, mean of channel 0] per tile */
function meanInfer(req: InferRequest): InferResponse {
  const x = req.inputs[0]!;
  const n = x.shape[0]!;
  const out = new Float32Array(n * 2);
  for (let b = 0; b < n; b++) {
    let s = 0;
    for (let i = 0; i < 16; i++) s += (x.data as Float32Array)[b * 48 + i]!;
    out[b * 2 + 1] = s / 16;
  }
  return { model_name: 'js', outputs: [{ name: 'logits', datatype: 'FP32', shape: [n, 2], data: out }] };
}

async function message(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isBlurmmError(err)) return `${err.code}: ${err.message}`;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('function backend', () => {
  it('serves a tile model: preprocessing in, the function\'s logits out, through softmax', async () => {
    const backend = await createFunctionBackend('js', { metadata, infer: meanInfer });
    expect(backend.backend).toBe('function');
    const model = await createTileModel(backend, { id: 'js', preprocess: { size: 4, scale: 1 }, postprocess: { activation: 'softmax' }, batchSize: 2 });
    const tiles = [1, 2, 3].map((s) => randomTile(4, 4, s));
    const preds = await model.predict(tiles);
    tiles.forEach((t, i) => {
      let s = 0;
      for (let k = 0; k < 16; k++) s += t.data[k * 3]!;
      const l1 = Math.fround(s / 16);
      expect(preds[i]!.score).toBeCloseTo(1 / (1 + Math.exp(-l1)), 12);
    });
    await model.close();
    expect(await backend.ready()).toBe(false);
  });

  it('is registered as "function" and refuses a config without an infer function', async () => {
    registerBuiltins();
    const factory = backendRegistry.get('function');
    expect(await message(factory('cfg', { metadata }))).toBe('E_MODEL: Model "cfg" uses backend "function", which needs an inference function passed in code (options.infer: (request) => response); a JSON config cannot supply one.');
  });

  it('validates the metadata it is given', async () => {
    const bad = { ...metadata, inputs: [{ name: 'input', datatype: 'FLOAT32', shape: [-1, 3, 4, 4] }] } as unknown as ModelMetadata;
    expect(await message(createFunctionBackend('js', { metadata: bad, infer: meanInfer }))).toBe(
      'E_ARGUMENT: Expected { name, datatype (FP32, UINT8, ...), shape (positive integers, -1 for dynamic) } for metadata.inputs[0] but received a value of type object',
    );
  });

  it('rejects responses that do not match the metadata, naming model and tensor', async () => {
    const req: InferRequest = { inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 3, 4, 4], data: new Float32Array(96) }] };
    const respond = (r: Partial<InferResponse['outputs'][number]>): Promise<string> =>
      createFunctionBackend('js', { metadata, infer: () => ({ model_name: 'js', outputs: [{ name: 'logits', datatype: 'FP32', shape: [2, 2], data: new Float32Array(4), ...r }] }) }).then((b) => message(b.infer(req)));
    expect(await respond({ name: 'probs' })).toBe('E_BACKEND: Model "js": the inference function returned no output "logits" (got "probs").');
    expect(await respond({ datatype: 'FP64', data: new Float64Array(4) })).toBe('E_BACKEND: Model "js": output "logits" from the inference function is FP64, declared FP32.');
    expect(await respond({ shape: [2, 3], data: new Float32Array(6) })).toBe('E_BACKEND: Model "js": output "logits" from the inference function has shape [2, 3], declared [?, 2].');
    expect(await respond({ data: new Float32Array(3) })).toBe('E_BACKEND: Model "js": output "logits" from the inference function has 3 values for shape [2, 2] (4 expected).');
    expect(await respond({ data: new Float64Array(4) })).toBe('E_BACKEND: Model "js": output "logits" from the inference function holds a Float64Array; FP32 data goes in a Float32Array.');
    expect(await respond({ shape: [3, 2], data: new Float32Array(6) })).toBe('E_BACKEND: Model "js": output "logits" has batch size 3 for a request of 2.');
  });

  it('rejects requests that do not match, and wraps a throwing function in a BackendError', async () => {
    const b = await createFunctionBackend('js', { metadata, infer: () => { throw new Error('GPU fell over'); } });
    expect(await message(b.infer({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 5, 4], data: new Float32Array(60) }] }))).toBe('E_BACKEND: Model "js" request input "input" has shape [1, 3, 5, 4], declared [?, 3, 4, 4].');
    expect(await message(b.infer({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 4, 4], data: new Float32Array(48) }] }))).toBe('E_BACKEND: Model "js": the inference function threw: GPU fell over');
  });
});
