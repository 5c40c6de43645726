import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { attr, buildOnnxModel, encodeVarint, floatTensor, int64Tensor } from '../src/plugins/onnx/onnx-builder.js';
import { isBlurmmError } from '../src/core/errors.js';

/** deterministic pseudo-random floats in [-1, 1) */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

const N = 3, C = 2, H = 9, W = 8, K = 4, KS = 3, STRIDE = 2, PAD = 1, CLASSES = 3;
const OH = Math.floor((H + 2 * PAD - KS) / STRIDE) + 1;
const OW = Math.floor((W + 2 * PAD - KS) / STRIDE) + 1;

function reference(x: Float32Array, convW: Float32Array, convB: Float32Array, gemmW: Float32Array, gemmB: Float32Array, alpha: number): number[][] {
  const out: number[][] = [];
  for (let n = 0; n < N; n++) {
    const pooled: number[] = [];
    for (let k = 0; k < K; k++) {
      let sum = 0;
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          let acc = convB[k]!;
          for (let c = 0; c < C; c++)
            for (let ky = 0; ky < KS; ky++)
              for (let kx = 0; kx < KS; kx++) {
                const iy = oy * STRIDE - PAD + ky, ix = ox * STRIDE - PAD + kx;
                if (iy < 0 || ix < 0 || iy >= H || ix >= W) continue;
                acc += x[((n * C + c) * H + iy) * W + ix]! * convW[((k * C + c) * KS + ky) * KS + kx]!;
              }
          sum += Math.max(0, acc);
        }
      pooled.push(sum / (OH * OW));
    }
    // Gemm with transB=1: y = alpha * pooled . W^T + b
    const logits: number[] = [];
    for (let j = 0; j < CLASSES; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += pooled[k]! * gemmW[j * K + k]!;
      logits.push(alpha * acc + gemmB[j]!);
    }
    const m = Math.max(...logits);
    const e = logits.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    out.push(e.map((v) => v / s));
  }
  return out;
}

describe('onnx-builder', () => {
  it('encodes varints as protobuf does', () => {
    expect([...encodeVarint(0)]).toEqual([0]);
    expect([...encodeVarint(1)]).toEqual([1]);
    expect([...encodeVarint(300)]).toEqual([0xac, 0x02]);
    expect([...encodeVarint(-1)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect([...encodeVarint(2n ** 35n)]).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
  });

  it('builds a Conv/Relu/GlobalAveragePool/Gemm/Softmax model that onnxruntime runs to the JS result', async () => {
    const rnd = lcg(7);
    const convW = Float32Array.from({ length: K * C * KS * KS }, rnd);
    const convB = Float32Array.from({ length: K }, rnd);
    const gemmW = Float32Array.from({ length: CLASSES * K }, () => 3 * rnd());
    const gemmB = Float32Array.from({ length: CLASSES }, rnd);
    const alpha = 1.5;
    const bytes = buildOnnxModel({
      graph: {
        name: 'test-net',
        inputs: [{ name: 'x', type: 'FLOAT', shape: ['batch', C, H, W] }],
        outputs: [{ name: 'prob', type: 'FLOAT', shape: [-1, CLASSES] }],
        initializers: [
          floatTensor('conv.w', [K, C, KS, KS], convW),
          floatTensor('conv.b', [K], convB),
          floatTensor('fc.w', [CLASSES, K], gemmW),
          floatTensor('fc.b', [CLASSES], [...gemmB]),
          int64Tensor('flat.shape', [2], [0, -1]),
        ],
        nodes: [
          {
            opType: 'Conv',
            inputs: ['x', 'conv.w', 'conv.b'],
            outputs: ['c'],
            attributes: {
              kernel_shape: attr.ints([KS, KS]),
              strides: attr.ints([STRIDE, STRIDE]),
              pads: attr.ints([PAD, PAD, PAD, PAD]),
              auto_pad: attr.string('NOTSET'),
              group: attr.int(1),
            },
          },
          { opType: 'Relu', inputs: ['c'], outputs: ['r'] },
          { opType: 'GlobalAveragePool', inputs: ['r'], outputs: ['g'] },
          { opType: 'Reshape', inputs: ['g', 'flat.shape'], outputs: ['f'] },
          {
            opType: 'Gemm',
            inputs: ['f', 'fc.w', 'fc.b'],
            outputs: ['logits'],
            attributes: { transB: attr.int(1), alpha: attr.float(alpha), beta: attr.float(1) },
          },
          { opType: 'Softmax', inputs: ['logits'], outputs: ['prob'], attributes: { axis: attr.int(-1) } },
        ],
      },
      opsets: [{ domain: '', version: 17 }],
      metadata: { purpose: 'test' },
    });
    const session = await ort.InferenceSession.create(bytes);
    try {
      expect(session.inputNames).toEqual(['x']);
      expect(session.outputNames).toEqual(['prob']);
      const x = Float32Array.from({ length: N * C * H * W }, rnd);
      const result = await session.run({ x: new ort.Tensor('float32', x, [N, C, H, W]) });
      const prob = result.prob!;
      expect(prob.dims).toEqual([N, CLASSES]);
      const got = prob.data as Float32Array;
      const want = reference(x, convW, convB, gemmW, gemmB, alpha).flat();
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(2e-6);
      // the model is not trivially uniform
      expect(Math.max(...want) - Math.min(...want)).toBeGreaterThan(0.05);
    } finally {
      await session.release();
    }
  });

  it('writes float lists and tensor attributes (Constant value_floats / value)', async () => {
    const bytes = buildOnnxModel({
      graph: {
        name: 'consts',
        inputs: [{ name: 'x', type: 'FLOAT', shape: [3] }],
        outputs: [{ name: 'y', type: 'FLOAT', shape: [3] }],
        nodes: [
          { opType: 'Constant', inputs: [], outputs: ['a'], attributes: { value_floats: attr.floats([0.5, -2, 1e-3]) } },
          { opType: 'Constant', inputs: [], outputs: ['b'], attributes: { value: attr.tensor(floatTensor('bv', [3], [10, 20, 30])) } },
          { opType: 'Mul', inputs: ['x', 'a'], outputs: ['m'] },
          { opType: 'Add', inputs: ['m', 'b'], outputs: ['y'] },
        ],
      },
    });
    const session = await ort.InferenceSession.create(bytes);
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([2, 3, 4]), [3]) });
    expect([...(out.y!.data as Float32Array)]).toEqual([11, 14, Math.fround(30 + Math.fround(Math.fround(1e-3) * 4))]);
    await session.release();
  });

  it('rejects data that does not fit the dims, naming the tensor', () => {
    try {
      buildOnnxModel({
        graph: { name: 'bad', inputs: [], outputs: [], nodes: [], initializers: [floatTensor('w', [2, 3], [1, 2, 3])] },
      });
      expect.unreachable();
    } catch (err) {
      expect(isBlurmmError(err, 'E_ARGUMENT')).toBe(true);
      expect((err as Error).message).toBe('Expected 6 values for dims [2, 3] for tensor "w".data but received "3 values" of type string');
    }
  });
});
