import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isBlurmmError } from '../src/core/errors.js';
import { createTileModel } from '../src/core/model.js';
import { resizeArea } from '../src/core/resample.js';
import type { ModelBackend, RgbImage } from '../src/core/types.js';
import { createOnnxBackend } from '../src/plugins/backends/onnx.js';
import { linearModel, nanModel, probeModel, randomTile, save, tmp } from './helpers/model-fixtures.js';

const opened: ModelBackend[] = [];
async function onnx(id: string, path: string): Promise<ModelBackend> {
  const b = await createOnnxBackend(id, { path, intraOpThreads: 1 });
  opened.push(b);
  return b;
}
afterAll(async () => {
  await Promise.all(opened.map((b) => b.close()));
});

async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string; path?: string | undefined }> {
  try {
    await p;
  } catch (err) {
    if (isBlurmmError(err)) return { code: err.code, message: err.message, path: err.path };
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('onnxruntime backend', () => {
  it('reports Open Inference Protocol metadata with dynamic dims as -1 (output dims as onnxruntime infers them)', async () => {
    const b = await onnx('probe', save('probe8.onnx', probeModel(['N', 3, 8, 8])));
    expect(await b.ready()).toBe(true);
    expect(await b.metadata()).toEqual({
      name: 'probe',
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 3, 8, 8] }],
      outputs: [{ name: 'out', datatype: 'FP32', shape: [-1, 192] }],
    });
    const data = Float32Array.from({ length: 2 * 3 * 64 }, (_, i) => i / 7);
    const res = await b.infer({ id: 'r1', inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 3, 8, 8], data }] });
    expect(res.model_name).toBe('probe');
    expect(res.id).toBe('r1');
    expect(res.outputs[0]!.shape).toEqual([2, 192]);
    expect(Array.from(res.outputs[0]!.data as Float32Array)).toEqual(Array.from(data));
  });

  it('rejects a request whose shape or datatype does not fit the model, naming the tensor', async () => {
    const b = await onnx('probe', save('probe8b.onnx', probeModel(['N', 3, 8, 8])));
    const bad = await rejection(b.infer({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3, 9, 8], data: new Float32Array(216) }] }));
    expect(bad.code).toBe('E_BACKEND');
    expect(bad.message).toBe('Model "probe" input "input" has shape [?, 3, 8, 8], but the request sends [1, 3, 9, 8].');
    const dt = await rejection(b.infer({ inputs: [{ name: 'input', datatype: 'UINT8', shape: [1, 3, 8, 8], data: new Uint8Array(192) }] }));
    expect(dt.message).toBe('Model "probe" input "input" is FP32, but the request sends UINT8.');
  });

  it('throws NotFoundError for a missing file and ModelError naming a file that is not ONNX', async () => {
    const missing = await rejection(createOnnxBackend('base', { path: join(tmp, 'nope.onnx') }));
    expect(missing.code).toBe('E_NOT_FOUND');
    expect(missing.message).toContain(join(tmp, 'nope.onnx'));
    const png = join(tmp, 'not-a-model.onnx');
    writeFileSync(png, Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
    const notOnnx = await rejection(createOnnxBackend('base', { path: png }));
    expect(notOnnx.code).toBe('E_MODEL');
    expect(notOnnx.path).toBe(png);
    expect(notOnnx.message).toMatch(new RegExp(`^Model "base": ${png.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not an ONNX model that onnxruntime .* can load \\(.+\\)\\. Export the model to ONNX`));
  });

  it('validates session options with the argument template', async () => {
    const e = await rejection(createOnnxBackend('m', { path: 'x.onnx', intraOpThreads: -1 }));
    expect(e.message).toBe('Expected a non-negative integer (0 = onnxruntime default) for intraOpThreads but received -1 of type number');
    const g = await rejection(createOnnxBackend('m', { path: 'x.onnx', graphOptimizationLevel: 'max' }));
    expect(g.code).toBe('E_ARGUMENT');
  });
});

describe('tile model: load-time checks against the model', () => {
  it('names model, tensor, declared shape and the size to set when spatial dims differ', async () => {
    const b = await onnx('base', save('lin32.onnx', linearModel(32, [1, 0, 0], [0])));
    const e = await rejection(createTileModel(b, { id: 'base', preprocess: { size: 64 } }));
    expect(e.code).toBe('E_MODEL');
    expect(e.message).toBe('The input "input" of model "base" is declared FP32 [?, 3, 32, 32], but preprocess.size 64 makes 64 x 64 (width x height) inputs [N, 3, 64, 64]. Set preprocess.size to 32.');
  });

  it('suggests the other layout when the channel dimension is elsewhere', async () => {
    const b = await onnx('tf', save('nhwc16.onnx', probeModel(['N', 16, 16, 3])));
    const e = await rejection(createTileModel(b, { id: 'tf', preprocess: { size: 16 } }));
    expect(e.message).toBe('The input "input" of model "tf" is declared FP32 [?, 16, 16, 3], but preprocess.layout "NCHW" expects 3 channels at dimension 1 [N, 3, 16, 16]. The channel dimension is where layout NHWC puts it: set preprocess.layout to "NHWC".');
  });

  it('rejects a rank that is not 4 and a datatype that is not the configured dtype', async () => {
    const rank = await onnx('r3', save('rank3.onnx', probeModel(['N', 3, 256])));
    expect((await rejection(createTileModel(rank, { id: 'r3', preprocess: { size: 16 } }))).message).toMatch(/^The input "input" of model "r3" is declared FP32 \[\?, 3, 256\], but preprocess .* makes rank-4 tensors/);
    const u8 = await onnx('u8', save('u8.onnx', probeModel(['N', 4, 4, 3], 'UINT8')));
    const e = await rejection(createTileModel(u8, { id: 'u8', preprocess: { size: 4, layout: 'NHWC' } }));
    expect(e.message).toBe('The input "input" of model "u8" is declared UINT8 [?, 4, 4, 3], but preprocess.dtype "float32" feeds FP32. Set preprocess.dtype to "uint8" (and remove scale/mean/std).');
  });

  it('checks postprocess against the outputs: name, label count, score index', async () => {
    const b = await onnx('lin', save('lin8.onnx', linearModel(8, [1, 0, 0, 0, 1, 0], [0, 0])));
    expect((await rejection(createTileModel(b, { id: 'lin', preprocess: { size: 8 }, postprocess: { output: 'probs' } }))).message).toBe('Model "lin" has no output named "probs" (postprocess.output); its outputs are "logits" [?, 2]. Set postprocess.output to one of them.');
    expect((await rejection(createTileModel(b, { id: 'lin', preprocess: { size: 8 }, postprocess: { labels: ['a', 'b', 'c'] } }))).message).toBe('Model "lin" output "logits" gives 2 value(s) per tile (declared shape [?, 2]), but postprocess.labels has 3. Give one label per output value.');
    expect((await rejection(createTileModel(b, { id: 'lin', preprocess: { size: 8 }, postprocess: { scoreIndex: 2 } }))).code).toBe('E_MODEL');
  });
});

describe('tile model: preprocessing seen through a probe model', () => {
  const tile = randomTile(4, 3, 7);
  const px = (x: number, y: number, c: number): number => tile.data[(y * 4 + x) * 3 + c]!;

  it('NCHW float32: (v * scale - mean) / std per channel, RGB order', async () => {
    const b = await onnx('p', save('p-nchw.onnx', probeModel(['N', 3, 3, 4])));
    const m = await createTileModel(b, { id: 'p', preprocess: { size: [4, 3], mean: [0.1, 0.2, 0.3], std: [0.5, 0.25, 2] } });
    const [p] = await m.predict([tile]);
    const mean = [0.1, 0.2, 0.3];
    const std = [0.5, 0.25, 2];
    const expected: number[] = [];
    for (let c = 0; c < 3; c++) for (let y = 0; y < 3; y++) for (let x = 0; x < 4; x++) expected.push(Math.fround((px(x, y, c) * (1 / 255) - mean[c]!) / std[c]!));
    expect(p!.values).toEqual(expected);
    expect(p!.score).toBe(expected[expected.length - 1]);
  });

  it('NHWC BGR float32 with scale 1 and the alpha channel of RGBA tiles dropped', async () => {
    const rgba = randomTile(4, 3, 9, 4);
    const b = await onnx('p', save('p-nhwc.onnx', probeModel(['N', 3, 4, 3])));
    const m = await createTileModel(b, { id: 'p', preprocess: { size: [4, 3], layout: 'NHWC', channelOrder: 'BGR', scale: 1 } });
    const [p] = await m.predict([rgba]);
    const expected: number[] = [];
    for (let i = 0; i < 12; i++) expected.push(rgba.data[i * 4 + 2]!, rgba.data[i * 4 + 1]!, rgba.data[i * 4]!);
    expect(p!.values).toEqual(expected);
  });

  it('uint8 NHWC feeds the raw pixels', async () => {
    const b = await onnx('u', save('p-u8.onnx', probeModel([1, 3, 4, 3], 'UINT8')));
    const m = await createTileModel(b, { id: 'u', preprocess: { size: [4, 3], layout: 'NHWC', dtype: 'uint8' } });
    const [p] = await m.predict([tile]);
    expect(p!.values).toEqual(Array.from(tile.data));
  });

  it('resize policies: stretch = resizeArea; center-crop = centred crop then resizeArea; pad centres and fills with padValue', async () => {
    const big = randomTile(12, 8, 3);
    const b = await onnx('p', save('p-4.onnx', probeModel(['N', 3, 4, 4])));
    const nchw = (img: RgbImage): number[] => {
      const out: number[] = [];
      for (let c = 0; c < 3; c++) for (let i = 0; i < img.width * img.height; i++) out.push(img.data[i * img.channels + c]!);
      return out;
    };
    const stretch = await createTileModel(b, { id: 'p', preprocess: { size: 4, scale: 1 } });
    expect((await stretch.predict([big]))[0]!.values).toEqual(nchw(resizeArea(big, 4, 4)));

    const crop = await createTileModel(b, { id: 'p', preprocess: { size: 4, scale: 1, resize: 'center-crop' } });
    const centre = new Uint8Array(8 * 8 * 3);
    for (let y = 0; y < 8; y++) centre.set(big.data.subarray((y * 12 + 2) * 3, (y * 12 + 10) * 3), y * 24);
    expect((await crop.predict([big]))[0]!.values).toEqual(nchw(resizeArea({ data: centre, width: 8, height: 8, channels: 3 }, 4, 4)));

    const pad = await createTileModel(b, { id: 'p', preprocess: { size: 4, scale: 1, resize: 'pad', padValue: 7 } });
    // 12 x 8 fits as 4 x 3 (rounded), centred: row 0 is padding, rows 1-3 the image
    const inner = resizeArea(big, 4, 3);
    const expected: number[] = [];
    for (let c = 0; c < 3; c++) for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) expected.push(y < 0 || y >= 3 ? 7 : inner.data[(y * 4 + x) * 3 + c]!);
    expect((await pad.predict([big]))[0]!.values).toEqual(expected);
  });
});

describe('tile model: postprocessing and batching', () => {
  // logits = W . channel means (scale 1): class k weights
  const W = [0.02, -0.01, 0, -0.02, 0.03, 0.01];
  const B = [0.1, -0.2];
  const tiles = Array.from({ length: 7 }, (_, i) => randomTile(8, 8, 100 + i));
  const means = (t: RgbImage): number[] => [0, 1, 2].map((c) => {
    let s = 0;
    for (let i = 0; i < 64; i++) s += t.data[i * 3 + c]!;
    return s / 64;
  });
  const logits = (t: RgbImage): number[] => {
    const m = means(t);
    return [0, 1].map((k) => W[k * 3]! * m[0]! + W[k * 3 + 1]! * m[1]! + W[k * 3 + 2]! * m[2]! + B[k]!);
  };

  it('softmax and sigmoid match the reference to float32 precision; labels and score index carried', async () => {
    const b = await onnx('lin', save('lin-post.onnx', linearModel(8, W, B)));
    const soft = await createTileModel(b, { id: 'lin', preprocess: { size: 8, scale: 1 }, postprocess: { activation: 'softmax', labels: ['neg', 'pos'] } });
    const sig = await createTileModel(b, { id: 'lin', preprocess: { size: 8, scale: 1 }, postprocess: { activation: 'sigmoid', scoreIndex: 0 } });
    const ps = await soft.predict(tiles);
    const pg = await sig.predict(tiles);
    tiles.forEach((t, i) => {
      const [l0, l1] = logits(t) as [number, number];
      const p1 = 1 / (1 + Math.exp(l0 - l1));
      expect(ps[i]!.values[0]).toBeCloseTo(1 - p1, 6);
      expect(ps[i]!.score).toBeCloseTo(p1, 6);
      expect(ps[i]!.labels).toEqual(['neg', 'pos']);
      expect(pg[i]!.values[1]).toBeCloseTo(1 / (1 + Math.exp(-l1)), 6);
      expect(pg[i]!.score).toBeCloseTo(1 / (1 + Math.exp(-l0)), 6);
    });
  });

  it('batches of 3 give exactly the predictions of one-by-one calls; a fixed batch of 1 works', async () => {
    const b = await onnx('lin', save('lin-batch.onnx', linearModel(8, W, B)));
    const batched = await createTileModel(b, { id: 'lin', preprocess: { size: 8 }, postprocess: { activation: 'softmax' }, batchSize: 3 });
    const all = await batched.predict(tiles);
    const single = await Promise.all(tiles.map(async (t) => (await batched.predict([t]))[0]!));
    expect(all).toEqual(single);
    const fixed = await onnx('fixed', save('lin-fixed1.onnx', linearModel(8, W, B, 1)));
    const one = await createTileModel(fixed, { id: 'fixed', preprocess: { size: 8 }, postprocess: { activation: 'softmax' }, batchSize: 4 });
    const viaFixed = await one.predict(tiles);
    viaFixed.forEach((p, i) => expect(p.values[1]).toBeCloseTo(all[i]!.values[1]!, 6));
  });

  it('a NaN output is a BackendError naming the model and the tile', async () => {
    const b = await onnx('broken', save('nan.onnx', nanModel(8)));
    const m = await createTileModel(b, { id: 'broken', preprocess: { size: 8, mean: [-1, -1, -1] } });
    const e = await rejection(m.predict([tiles[0]!]));
    expect(e.code).toBe('E_BACKEND');
    expect(e.message).toBe('Model "broken" returned NaN for tile 0 of the batch (output "out"). Check the model file and the preprocessing (scale, mean, std) in the config.');
  });

  it('an aborted signal stops prediction with E_ABORTED', async () => {
    const b = await onnx('lin', save('lin-abort.onnx', linearModel(8, W, B)));
    const m = await createTileModel(b, { id: 'lin', preprocess: { size: 8 } });
    const ac = new AbortController();
    ac.abort();
    expect((await rejection(m.predict(tiles, { signal: ac.signal }))).code).toBe('E_ABORTED');
  });
});
