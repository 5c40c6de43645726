/**
 * Small ONNX models built in the tests with the project's onnx-builder, and seeded tiles.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attr, buildOnnxModel, floatTensor } from '../../src/plugins/onnx/onnx-builder.js';
import type { RgbImage } from '../../src/core/types.js';

export const tmp = mkdtempSync(join(tmpdir(), 'blurmm-model-test-'));

/** writes model bytes to a temp file and returns its path */
export function save(name: string, bytes: Uint8Array): string {
  const path = join(tmp, name);
  writeFileSync(path, bytes);
  return path;
}

/** Flatten(input): the output is the input tensor itself, so tests see exactly what preprocessing fed. */
export function probeModel(shape: readonly (number | string)[], type: 'FLOAT' | 'UINT8' = 'FLOAT'): Uint8Array {
  const nodes = type === 'UINT8'
    ? [
        { opType: 'Cast', inputs: ['input'], outputs: ['f'], attributes: { to: attr.int(1) } },
        { opType: 'Flatten', inputs: ['f'], outputs: ['out'], attributes: { axis: attr.int(1) } },
      ]
    : [{ opType: 'Flatten', inputs: ['input'], outputs: ['out'], attributes: { axis: attr.int(1) } }];
  return buildOnnxModel({
    graph: {
      name: 'probe',
      nodes,
      inputs: [{ name: 'input', type, shape }],
      outputs: [{ name: 'out', type: 'FLOAT', shape: ['N', 'K'] }],
    },
  });
}

/**
 * GlobalAveragePool -> Flatten -> Gemm(3 -> k): logits = W . channelMeans + b over an
 * NCHW float input [N, 3, size, size].
 */
export function linearModel(size: number | string, w: readonly number[], b: readonly number[], batch: number | string = 'N'): Uint8Array {
  const k = b.length;
  return buildOnnxModel({
    graph: {
      name: 'linear',
      nodes: [
        { opType: 'GlobalAveragePool', inputs: ['input'], outputs: ['gap'] },
        { opType: 'Flatten', inputs: ['gap'], outputs: ['flat'], attributes: { axis: attr.int(1) } },
        { opType: 'Gemm', inputs: ['flat', 'W', 'B'], outputs: ['logits'], attributes: { transB: attr.int(1) } },
      ],
      inputs: [{ name: 'input', type: 'FLOAT', shape: [batch, 3, size, size] }],
      outputs: [{ name: 'logits', type: 'FLOAT', shape: [batch, k] }],
      initializers: [floatTensor('W', [k, 3], w), floatTensor('B', [k], b)],
    },
  });
}

/** Sqrt(-x): NaN for any positive input */
export function nanModel(size: number): Uint8Array {
  return buildOnnxModel({
    graph: {
      name: 'nan',
      nodes: [
        { opType: 'GlobalAveragePool', inputs: ['input'], outputs: ['gap'] },
        { opType: 'Flatten', inputs: ['gap'], outputs: ['flat'], attributes: { axis: attr.int(1) } },
        { opType: 'Neg', inputs: ['flat'], outputs: ['neg'] },
        { opType: 'Sqrt', inputs: ['neg'], outputs: ['out'] },
      ],
      inputs: [{ name: 'input', type: 'FLOAT', shape: ['N', 3, size, size] }],
      outputs: [{ name: 'out', type: 'FLOAT', shape: ['N', 3] }],
    },
  });
}

/** seeded random RGB tile */
export function randomTile(width: number, height: number, seed: number, channels: 3 | 4 = 3): RgbImage {
  let s = seed >>> 0 || 1;
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    data[i] = s & 255;
  }
  return { data, width, height, channels };
}
