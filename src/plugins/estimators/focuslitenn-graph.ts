/**
 * The FocusLiteNN ONNX graph, built from weights for any k:
 * uint8 NHWC crops -> Transpose(NCHW) -> Cast(float) -> Conv(3->k, 7x7, stride 5, pad 1, weights / 255)
 * -> ReduceMin over H, W (the min-pool over the 47 x 47 map) -> [1x1 Conv(k->1) when k > 1] -> [N, 1].
 * Taking uint8 NHWC and casting inside saves the JS float/CHW conversion (PERFORMANCE.md); the
 * network's x / 255 is folded into the conv weights (one pass over the input less, 10-20 % faster;
 * moves the output by ~2e-7).
 */
import { attr, buildOnnxModel, floatTensor, int64Tensor, type OnnxNode, type OnnxTensor } from '../onnx/onnx-builder.js';
import { FOCUSLITENN_KERNEL, FOCUSLITENN_PADDING, FOCUSLITENN_STRIDE, type FocusLiteNNWeights } from './focuslitenn-weights.js';

export interface FocusLiteNNGraphOptions {
  /** crop side in pixels (the network's input size), default 235 */
  readonly crop?: number;
  /** name of the input, default "image" */
  readonly inputName?: string;
  /** name of the [N, 1] output, default "score" */
  readonly outputName?: string;
}

/**
 * Builds the ONNX model bytes for FocusLiteNN with these weights. Input: uint8 `[N, crop, crop, 3]`
 * (RGB, 0..255); output: float32 `[N, 1]`.
 */
export function buildFocusLiteNNModel(weights: FocusLiteNNWeights, options: FocusLiteNNGraphOptions = {}): Uint8Array {
  const crop = options.crop ?? 235;
  const input = options.inputName ?? 'image';
  const output = options.outputName ?? 'score';
  const k = weights.k;
  const initializers: OnnxTensor[] = [
    floatTensor('conv.weight', [k, 3, FOCUSLITENN_KERNEL, FOCUSLITENN_KERNEL], Float32Array.from(weights.convWeight, (w) => w / 255)),
    floatTensor('conv.bias', [k], weights.convBias),
    int64Tensor('flat.shape', [2], [0, 1]),
  ];
  const nodes: OnnxNode[] = [
    { opType: 'Transpose', inputs: [input], outputs: ['nchw_u8'], attributes: { perm: attr.ints([0, 3, 1, 2]) } },
    { opType: 'Cast', inputs: ['nchw_u8'], outputs: ['x'], attributes: { to: attr.int(1) } },
    {
      opType: 'Conv',
      inputs: ['x', 'conv.weight', 'conv.bias'],
      outputs: ['conv'],
      attributes: {
        kernel_shape: attr.ints([FOCUSLITENN_KERNEL, FOCUSLITENN_KERNEL]),
        strides: attr.ints([FOCUSLITENN_STRIDE, FOCUSLITENN_STRIDE]),
        pads: attr.ints([FOCUSLITENN_PADDING, FOCUSLITENN_PADDING, FOCUSLITENN_PADDING, FOCUSLITENN_PADDING]),
      },
    },
    { opType: 'ReduceMin', inputs: ['conv'], outputs: ['pooled'], attributes: { axes: attr.ints([2, 3]), keepdims: attr.int(1) } },
  ];
  let last = 'pooled';
  if (k > 1) {
    if (!weights.fcWeight || !weights.fcBias) throw new Error('unreachable: parsed weights with k > 1 carry fc tensors');
    initializers.push(floatTensor('fc.weight', [1, k, 1, 1], weights.fcWeight), floatTensor('fc.bias', [1], weights.fcBias));
    nodes.push({ opType: 'Conv', inputs: ['pooled', 'fc.weight', 'fc.bias'], outputs: ['fc'], attributes: { kernel_shape: attr.ints([1, 1]) } });
    last = 'fc';
  }
  nodes.push({ opType: 'Reshape', inputs: [last, 'flat.shape'], outputs: [output] });
  return buildOnnxModel({
    graph: {
      name: `focuslitenn-${k}kernel`,
      inputs: [{ name: input, type: 'UINT8', shape: ['batch', crop, crop, 3] }],
      outputs: [{ name: output, type: 'FLOAT', shape: ['batch', 1] }],
      initializers,
      nodes,
    },
    opsets: [{ domain: '', version: 17 }],
    producerName: 'blurmm focuslitenn',
  });
}

/** Output size of the conv for a crop side: floor((crop + 2 - 7) / 5) + 1 (47 for 235). */
export function focusLiteNNMapSize(crop: number): number {
  return Math.floor((crop + 2 * FOCUSLITENN_PADDING - FOCUSLITENN_KERNEL) / FOCUSLITENN_STRIDE) + 1;
}
