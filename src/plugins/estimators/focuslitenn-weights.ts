/**
 * FocusLiteNN weights: a plain JSON of named tensors, as nested arrays (PyTorch `state_dict`
 * order) or as `{ "dims": [...], "data": [...] }`:
 * - `conv.weight` k x 3 x 7 x 7, `conv.bias` k
 * - when k > 1: `fc.weight` 1 x k x 1 x 1 (or 1 x k), `fc.bias` 1
 * An optional `meta` object says what the output means (written by blurmm's trainer).
 */
import { readFile } from 'node:fs/promises';
import { ModelError, NotFoundError, invalidArgument } from '../../core/errors.js';
import type { EstimatorOutput } from '../../core/types.js';

/** What a weight set's output means. */
export interface FocusLiteNNMeta {
  /** e.g. "relative score", "sigma (px)", "defocus level" */
  readonly unit?: string;
  readonly direction?: EstimatorOutput['direction'];
  /** training target: "sigma", "log1p-sigma", "plcc", "mse" */
  readonly target?: string;
  readonly description?: string;
  /** free-form provenance (trainer settings, data, metrics) */
  readonly [key: string]: unknown;
}

/** Parsed, shape-checked weights (float32, PyTorch layouts flattened row-major). */
export interface FocusLiteNNWeights {
  /** number of conv kernels */
  readonly k: number;
  /** k * 3 * 7 * 7 */
  readonly convWeight: Float32Array;
  /** k */
  readonly convBias: Float32Array;
  /** k, present when k > 1 */
  readonly fcWeight?: Float32Array | undefined;
  /** 1, present when k > 1 */
  readonly fcBias?: Float32Array | undefined;
  readonly meta?: FocusLiteNNMeta | undefined;
}

/** The JSON form of {@link FocusLiteNNWeights} (what the trainer writes and the reference ships). */
export type FocusLiteNNWeightsJson = Record<string, unknown>;

export const FOCUSLITENN_KERNEL = 7;
export const FOCUSLITENN_STRIDE = 5;
export const FOCUSLITENN_PADDING = 1;

interface Flat {
  dims: number[];
  data: number[];
}

function flatten(value: unknown, name: string, source: string): Flat {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as { dims?: unknown; shape?: unknown; data?: unknown };
    const dims = v.dims ?? v.shape;
    if (!Array.isArray(dims) || !Array.isArray(v.data)) {
      throw new ModelError(`Weights ${source}: tensor "${name}" must be a nested array or { "dims": [...], "data": [...] }`, { path: source, pointer: `/${name}` });
    }
    return { dims: dims.map(Number), data: v.data.map(Number) };
  }
  const dims: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    dims.push(probe.length);
    probe = probe[0];
  }
  const data = Array.isArray(value) ? (value as unknown[]).flat(Infinity as 1).map(Number) : [Number(value)];
  if (!Array.isArray(value)) dims.length = 0;
  return { dims, data };
}

function tensor(json: FocusLiteNNWeightsJson, name: string, expected: readonly number[], source: string): Float32Array {
  if (!(name in json)) {
    throw new ModelError(`Weights ${source}: tensor "${name}" is missing (expected shape [${expected.join(', ')}]); a FocusLiteNN weights JSON needs conv.weight and conv.bias, and fc.weight and fc.bias when it has more than one kernel`, {
      path: source,
      pointer: `/${name}`,
    });
  }
  const { dims, data } = flatten(json[name], name, source);
  const size = expected.reduce((a, b) => a * b, 1);
  // fc.weight may come as 1 x k x 1 x 1 or 1 x k; a bias may come as a scalar
  const sameSize = data.length === size && dims.reduce((a, b) => a * b, 1) === size;
  const shapeOk = sameSize && (dims.join() === expected.join() || dims.filter((d) => d !== 1).join() === expected.filter((d) => d !== 1).join());
  if (!shapeOk) {
    throw new ModelError(`Weights ${source}: tensor "${name}" has shape [${dims.join(', ')}] (${data.length} values) but FocusLiteNN needs [${expected.join(', ')}]`, {
      path: source,
      pointer: `/${name}`,
    });
  }
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new ModelError(`Weights ${source}: tensor "${name}" has a non-finite value at flat index ${bad}`, { path: source, pointer: `/${name}` });
  return Float32Array.from(data);
}

/**
 * Validates a weights JSON object and returns typed tensors; the error names the tensor and
 * its shape when one is missing or malformed.
 */
export function parseFocusLiteNNWeights(json: unknown, source = '(inline weights)'): FocusLiteNNWeights {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new ModelError(`Weights ${source}: expected a JSON object of named tensors`, { path: source });
  const j = json as FocusLiteNNWeightsJson;
  if (!('conv.weight' in j)) {
    throw new ModelError(`Weights ${source}: tensor "conv.weight" is missing (expected shape [k, 3, 7, 7]); a FocusLiteNN weights JSON needs conv.weight and conv.bias, and fc.weight and fc.bias when it has more than one kernel`, {
      path: source,
      pointer: '/conv.weight',
    });
  }
  const probe = flatten(j['conv.weight'], 'conv.weight', source);
  const k = probe.dims[0] ?? 0;
  if (probe.dims.length !== 4 || k < 1 || probe.dims[1] !== 3 || probe.dims[2] !== FOCUSLITENN_KERNEL || probe.dims[3] !== FOCUSLITENN_KERNEL) {
    throw new ModelError(`Weights ${source}: tensor "conv.weight" has shape [${probe.dims.join(', ')}] but FocusLiteNN needs [k, 3, 7, 7]`, { path: source, pointer: '/conv.weight' });
  }
  const convWeight = tensor(j, 'conv.weight', [k, 3, FOCUSLITENN_KERNEL, FOCUSLITENN_KERNEL], source);
  const convBias = tensor(j, 'conv.bias', [k], source);
  let fcWeight: Float32Array | undefined;
  let fcBias: Float32Array | undefined;
  if (k > 1) {
    fcWeight = tensor(j, 'fc.weight', [1, k, 1, 1], source);
    fcBias = tensor(j, 'fc.bias', [1], source);
  }
  const meta = j.meta && typeof j.meta === 'object' && !Array.isArray(j.meta) ? (j.meta as FocusLiteNNMeta) : undefined;
  return { k, convWeight, convBias, fcWeight, fcBias, meta };
}

/** Reads and validates a weights JSON file. */
export async function loadFocusLiteNNWeights(path: string): Promise<FocusLiteNNWeights> {
  if (typeof path !== 'string' || path.length === 0) throw invalidArgument('weights', 'a path to a weights JSON file', path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new NotFoundError(`Cannot read FocusLiteNN weights ${path}; pass --weights with a JSON file written by "blurmm train-focus" or a converted FocusLiteNN state_dict`, { path, cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ModelError(`Weights ${path} is not valid JSON: ${(cause as Error).message}`, { path, cause });
  }
  return parseFocusLiteNNWeights(json, path);
}

/** Serialises weights to the JSON form (nested arrays, PyTorch layout), with `meta` when given. */
export function focusLiteNNWeightsToJson(w: FocusLiteNNWeights): FocusLiteNNWeightsJson {
  const conv: number[][][][] = [];
  for (let o = 0; o < w.k; o++) {
    const chans: number[][][] = [];
    for (let c = 0; c < 3; c++) {
      const rows: number[][] = [];
      for (let y = 0; y < 7; y++) rows.push(Array.from(w.convWeight.subarray(((o * 3 + c) * 7 + y) * 7, ((o * 3 + c) * 7 + y) * 7 + 7)));
      chans.push(rows);
    }
    conv.push(chans);
  }
  const out: FocusLiteNNWeightsJson = { 'conv.weight': conv, 'conv.bias': Array.from(w.convBias) };
  if (w.k > 1 && w.fcWeight && w.fcBias) {
    out['fc.weight'] = [Array.from(w.fcWeight, (v) => [[v]])];
    out['fc.bias'] = Array.from(w.fcBias);
  }
  if (w.meta) out.meta = w.meta;
  return out;
}

/**
 * What the output of a weight set means. The reference weights: PLCC-trained ones give a
 * relative score, MSE-trained ones (file name contains "mse") regress the absolute defocus
 * level of their training data; in both, higher is blurrier (checked on the TCGA patches).
 */
export function describeFocusLiteNNOutput(w: FocusLiteNNWeights, source: string, name: string): EstimatorOutput {
  const meta = w.meta;
  if (meta?.unit) {
    return {
      name,
      unit: meta.unit,
      direction: meta.direction ?? 'higher-is-blurrier',
      description: meta.description ?? `FocusLiteNN (${w.k} kernel${w.k > 1 ? 's' : ''}) trained by blurmm, target ${meta.target ?? 'unknown'}`,
    };
  }
  const mse = /mse/i.test(source);
  return {
    name,
    unit: mse ? 'defocus level (absolute scale of the training data)' : 'relative score',
    direction: 'higher-is-blurrier',
    description: `FocusLiteNN (${w.k} kernel${w.k > 1 ? 's' : ''}), ${mse ? 'MSE-trained: regresses the absolute defocus level' : 'PLCC-trained: only the order of scores is meaningful'}`,
  };
}
