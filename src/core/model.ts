/**
 * Tile models: a {@link ModelBackend} plus the preprocessing (tiles -> input tensor) and
 * postprocessing (output tensor -> {@link Prediction}) declared in the config. Pure TypeScript:
 * imports nothing from adapters or plugins, so any backend (local ONNX, a JavaScript function,
 * a remote Open Inference Protocol server) serves the same way.
 */
import { ArgumentError, BackendError, BlurmmError, ModelError, invalidArgument, throwIfAborted } from './errors.js';
import { resizeArea } from './resample.js';
import type {
  InferResponse,
  InferTensor,
  ModelBackend,
  ModelMetadata,
  Prediction,
  RgbImage,
  TensorData,
  TensorMetadata,
  TileModel,
} from './types.js';

/** How tiles become the model's input tensor. */
export interface PreprocessConfig {
  /** model input size in pixels: one number for square inputs, or `[width, height]` */
  size: number | [number, number];
  /**
   * How a tile whose size differs from `size` is fitted (area filter in every case):
   * `stretch` (default) resizes to `size` ignoring aspect ratio; `center-crop` crops the largest
   * centred region with the aspect ratio of `size`, then resizes; `pad` resizes to fit inside
   * `size` keeping the aspect ratio and pads the rest with `padValue`.
   */
  resize?: 'stretch' | 'center-crop' | 'pad';
  /** grey level (0-255) of the padding for `resize: "pad"`; default 255 (glass white) */
  padValue?: number;
  /** channel order of the input tensor; default RGB */
  channelOrder?: 'RGB' | 'BGR';
  /** NCHW (default, PyTorch exports) or NHWC (TensorFlow exports) */
  layout?: 'NCHW' | 'NHWC';
  /** float32 (default): `(pixel * scale - mean[c]) / std[c]`; uint8: the raw pixels */
  dtype?: 'float32' | 'uint8';
  /** multiplies each 0-255 pixel before mean/std; default 1/255 */
  scale?: number;
  /** per channel (in `channelOrder`), in scaled units; default 0 */
  mean?: number[];
  /** per channel (in `channelOrder`), in scaled units; default 1 */
  std?: number[];
}

/** How the output tensor becomes a {@link Prediction}. */
export interface PostprocessConfig {
  /** applied to each tile's output values; default none (the model already outputs scores) */
  activation?: 'softmax' | 'sigmoid' | 'none';
  /** output tensor name; default the model's first output */
  output?: string;
  /** one label per output value */
  labels?: string[];
  /** which output value is the tile's score (aggregated to the slide score); default the last */
  scoreIndex?: number;
}

export interface TileModelOptions {
  /** the model's id in the config; named in every error */
  id: string;
  preprocess: PreprocessConfig;
  postprocess?: PostprocessConfig;
  /** tiles per `infer` call; default 16. A model with a fixed batch dimension uses that. */
  batchSize?: number;
}

/** The TypeScript shape of one entry of `schemas/model.schema.json`. */
export interface ModelEntry {
  id: string;
  backend: string;
  /** model file, relative to the config file */
  path?: string;
  batchSize?: number;
  preprocess: PreprocessConfig;
  postprocess?: PostprocessConfig;
  version?: string;
  /** backend options; onnxruntime reads intraOpThreads, interOpThreads, executionProviders, graphOptimizationLevel */
  options?: Record<string, unknown>;
  description?: string;
}

interface Plan {
  readonly width: number;
  readonly height: number;
  readonly nchw: boolean;
  readonly bgr: boolean;
  readonly uint8: boolean;
  /** float32: value of pixel v in tensor channel c is lut[c * 256 + v] */
  readonly lut: Float32Array;
  readonly resize: 'stretch' | 'center-crop' | 'pad';
  readonly padValue: number;
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.map((d) => (d < 0 ? '?' : String(d))).join(', ')}]`;
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v > 0;
}

function checkPreprocess(id: string, p: PreprocessConfig): { width: number; height: number } {
  const at = (field: string): string => `models[${id}].preprocess.${field}`;
  if (typeof p !== 'object' || p === null) throw invalidArgument(`models[${id}].preprocess`, 'an object', p);
  let width: number;
  let height: number;
  if (Array.isArray(p.size)) {
    const [w, h] = p.size;
    if (p.size.length !== 2 || !isPositiveInt(w) || !isPositiveInt(h)) throw invalidArgument(at('size'), 'a positive integer or [width, height]', p.size);
    width = w;
    height = h;
  } else {
    if (!isPositiveInt(p.size)) throw invalidArgument(at('size'), 'a positive integer or [width, height]', p.size);
    width = height = p.size;
  }
  const oneOf = (field: string, value: unknown, allowed: readonly string[]): void => {
    if (value !== undefined && !allowed.includes(value as string)) throw invalidArgument(at(field), `one of ${allowed.map((a) => `"${a}"`).join(', ')}`, value);
  };
  oneOf('resize', p.resize, ['stretch', 'center-crop', 'pad']);
  oneOf('channelOrder', p.channelOrder, ['RGB', 'BGR']);
  oneOf('layout', p.layout, ['NCHW', 'NHWC']);
  oneOf('dtype', p.dtype, ['float32', 'uint8']);
  if (p.padValue !== undefined && !(Number.isInteger(p.padValue) && p.padValue >= 0 && p.padValue <= 255)) throw invalidArgument(at('padValue'), 'an integer from 0 to 255', p.padValue);
  if (p.scale !== undefined && !(typeof p.scale === 'number' && Number.isFinite(p.scale) && p.scale !== 0)) throw invalidArgument(at('scale'), 'a finite non-zero number', p.scale);
  for (const field of ['mean', 'std'] as const) {
    const v = p[field];
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) throw invalidArgument(at(field), 'an array of 3 finite numbers (one per channel)', v);
    if (field === 'std' && v.some((x) => x === 0)) throw invalidArgument(at(field), 'non-zero standard deviations', v);
  }
  if (p.dtype === 'uint8' && (p.scale !== undefined || p.mean !== undefined || p.std !== undefined)) {
    throw new ArgumentError(`Model "${id}": preprocess.dtype is "uint8", which feeds raw 0-255 pixels, but scale/mean/std are set. Remove them, or use dtype "float32".`, { pointer: at('dtype') });
  }
  return { width, height };
}

function makePlan(p: PreprocessConfig, width: number, height: number): Plan {
  const scale = p.scale ?? 1 / 255;
  const mean = p.mean ?? [0, 0, 0];
  const std = p.std ?? [1, 1, 1];
  const lut = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    const m = mean[c] ?? 0;
    const s = std[c] ?? 1;
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = (v * scale - m) / s;
  }
  return {
    width,
    height,
    nchw: (p.layout ?? 'NCHW') === 'NCHW',
    bgr: p.channelOrder === 'BGR',
    uint8: p.dtype === 'uint8',
    lut,
    resize: p.resize ?? 'stretch',
    padValue: p.padValue ?? 255,
  };
}

/** Checks the backend's declared input against the preprocessing; returns the batch dimension (-1 when dynamic). */
function checkInput(id: string, input: TensorMetadata, plan: Plan, p: PreprocessConfig): number {
  const layout = plan.nchw ? 'NCHW' : 'NHWC';
  const declared = `input "${input.name}" of model "${id}" is declared ${input.datatype} ${shapeText(input.shape)}`;
  const wanted = plan.nchw ? `[N, 3, ${plan.height}, ${plan.width}]` : `[N, ${plan.height}, ${plan.width}, 3]`;
  if (input.shape.length !== 4) {
    throw new ModelError(`The ${declared}, but preprocess (layout ${layout}, size ${JSON.stringify(p.size)}) makes rank-4 tensors ${wanted}. Use a model that takes a batch of images, or re-export it with a 4-D input.`, { plugin: id, data: { input: input.name, shape: input.shape } });
  }
  const [, d1, d2, d3] = input.shape as [number, number, number, number];
  const [c, h, w] = plan.nchw ? [d1, d2, d3] : [d3, d1, d2];
  if (c !== 3 && c !== -1) {
    const other = plan.nchw ? d3 : d1;
    const hint = other === 3 ? ` The channel dimension is where layout ${plan.nchw ? 'NHWC' : 'NCHW'} puts it: set preprocess.layout to "${plan.nchw ? 'NHWC' : 'NCHW'}".` : ' The model must take 3-channel (RGB/BGR) images.';
    throw new ModelError(`The ${declared}, but preprocess.layout "${layout}" expects 3 channels at dimension ${plan.nchw ? 1 : 3} ${wanted}.${hint}`, { plugin: id, data: { input: input.name, shape: input.shape } });
  }
  if ((h !== -1 && h !== plan.height) || (w !== -1 && w !== plan.width)) {
    const fix = h > 0 && w > 0 ? (h === w ? `${h}` : `[${w}, ${h}]`) : undefined;
    throw new ModelError(`The ${declared}, but preprocess.size ${JSON.stringify(p.size)} makes ${plan.width} x ${plan.height} (width x height) inputs ${wanted}.${fix ? ` Set preprocess.size to ${fix}.` : ''}`, { plugin: id, data: { input: input.name, shape: input.shape } });
  }
  const dt = plan.uint8 ? 'UINT8' : 'FP32';
  if (input.datatype !== dt) {
    const fix = input.datatype === 'UINT8' ? 'Set preprocess.dtype to "uint8" (and remove scale/mean/std).' : input.datatype === 'FP32' ? 'Set preprocess.dtype to "float32".' : 'blurmm feeds FP32 or UINT8 images; re-export the model with one of these input types.';
    throw new ModelError(`The ${declared}, but preprocess.dtype "${plan.uint8 ? 'uint8' : 'float32'}" feeds ${dt}. ${fix}`, { plugin: id, data: { input: input.name, datatype: input.datatype } });
  }
  const n = input.shape[0] ?? -1;
  return n > 0 ? n : -1;
}

/** Fits `tile` to the plan's size by the resize policy; returns the tile itself when it already fits. */
function fitTile(tile: RgbImage, plan: Plan): RgbImage {
  const { width: W, height: H } = plan;
  if (tile.width === W && tile.height === H) return tile;
  if (plan.resize === 'stretch') return resizeArea(tile, W, H);
  if (plan.resize === 'center-crop') {
    // largest centred crop with the target aspect ratio
    let cw = tile.width;
    let ch = Math.round((tile.width * H) / W);
    if (ch > tile.height) {
      ch = tile.height;
      cw = Math.round((tile.height * W) / H);
    }
    cw = Math.max(1, Math.min(tile.width, cw));
    ch = Math.max(1, Math.min(tile.height, ch));
    const crop = cropImage(tile, (tile.width - cw) >> 1, (tile.height - ch) >> 1, cw, ch);
    return cw === W && ch === H ? crop : resizeArea(crop, W, H);
  }
  // pad: fit inside, keep aspect, centre
  const s = Math.min(W / tile.width, H / tile.height);
  const rw = Math.max(1, Math.min(W, Math.round(tile.width * s)));
  const rh = Math.max(1, Math.min(H, Math.round(tile.height * s)));
  const inner = rw === tile.width && rh === tile.height ? tile : resizeArea(tile, rw, rh);
  const out = new Uint8Array(W * H * 3).fill(plan.padValue);
  const ox = (W - rw) >> 1;
  const oy = (H - rh) >> 1;
  const ic = inner.channels;
  for (let y = 0; y < rh; y++) {
    let si = y * rw * ic;
    let di = ((oy + y) * W + ox) * 3;
    for (let x = 0; x < rw; x++, si += ic, di += 3) {
      out[di] = inner.data[si]!;
      out[di + 1] = inner.data[si + 1]!;
      out[di + 2] = inner.data[si + 2]!;
    }
  }
  return { data: out, width: W, height: H, channels: 3 };
}

function cropImage(img: RgbImage, x0: number, y0: number, w: number, h: number): RgbImage {
  const c = img.channels;
  const out = new Uint8Array(w * h * c);
  for (let y = 0; y < h; y++) {
    const s = ((y0 + y) * img.width + x0) * c;
    out.set(img.data.subarray(s, s + w * c), y * w * c);
  }
  return { data: out, width: w, height: h, channels: c };
}

/** Writes tile `b` of the batch into `dst` (already sized for the batch). */
function writeTile(img: RgbImage, plan: Plan, dst: Float32Array | Uint8Array, b: number): void {
  const { width: W, height: H, lut } = plan;
  const plane = W * H;
  const base = b * plane * 3;
  const src = img.data;
  const ic = img.channels;
  // tensor channel k reads image channel order[k]
  const r = plan.bgr ? 2 : 0;
  const bl = plan.bgr ? 0 : 2;
  if (dst instanceof Uint8Array) {
    if (plan.nchw) {
      for (let i = 0, s = 0; i < plane; i++, s += ic) {
        dst[base + i] = src[s + r]!;
        dst[base + plane + i] = src[s + 1]!;
        dst[base + 2 * plane + i] = src[s + bl]!;
      }
    } else {
      for (let i = 0, s = 0, d = base; i < plane; i++, s += ic, d += 3) {
        dst[d] = src[s + r]!;
        dst[d + 1] = src[s + 1]!;
        dst[d + 2] = src[s + bl]!;
      }
    }
    return;
  }
  if (plan.nchw) {
    for (let i = 0, s = 0; i < plane; i++, s += ic) {
      dst[base + i] = lut[src[s + r]!]!;
      dst[base + plane + i] = lut[256 + src[s + 1]!]!;
      dst[base + 2 * plane + i] = lut[512 + src[s + bl]!]!;
    }
  } else {
    for (let i = 0, s = 0, d = base; i < plane; i++, s += ic, d += 3) {
      dst[d] = lut[src[s + r]!]!;
      dst[d + 1] = lut[256 + src[s + 1]!]!;
      dst[d + 2] = lut[512 + src[s + bl]!]!;
    }
  }
}

/**
 * Converts a batch of tiles to one input tensor as the plan says (resize, channel order, layout,
 * dtype, scale/mean/std). Exported for backends and tools that want the exact same tensors.
 */
export function tilesToTensor(tiles: readonly RgbImage[], preprocess: PreprocessConfig, inputName = 'input'): InferTensor {
  const { width, height } = checkPreprocess(inputName, preprocess);
  const plan = makePlan(preprocess, width, height);
  return buildTensor(tiles, plan, inputName, tiles.length);
}

function buildTensor(tiles: readonly RgbImage[], plan: Plan, name: string, batch: number): InferTensor {
  const n = tiles.length;
  const per = plan.width * plan.height * 3;
  const data = plan.uint8 ? new Uint8Array(batch * per) : new Float32Array(batch * per);
  for (let b = 0; b < batch; b++) {
    // a fixed batch dimension larger than what is left: repeat the last tile, results are dropped
    const tile = tiles[Math.min(b, n - 1)]!;
    writeTile(fitTile(tile, plan), plan, data, b);
  }
  const shape = plan.nchw ? [batch, 3, plan.height, plan.width] : [batch, plan.height, plan.width, 3];
  return { name, datatype: plan.uint8 ? 'UINT8' : 'FP32', shape, data };
}

function toNumbers(t: TensorData): Float64Array {
  const out = new Float64Array(t.length);
  if (t instanceof BigInt64Array) for (let i = 0; i < t.length; i++) out[i] = Number(t[i]!);
  else out.set(t);
  return out;
}

function activate(values: Float64Array, activation: 'softmax' | 'sigmoid' | 'none'): number[] {
  if (activation === 'sigmoid') return Array.from(values, (v) => 1 / (1 + Math.exp(-v)));
  if (activation === 'softmax') {
    let max = -Infinity;
    for (const v of values) if (v > max) max = v;
    let sum = 0;
    const e = Array.from(values, (v) => {
      const x = Math.exp(v - max);
      sum += x;
      return x;
    });
    return e.map((x) => x / sum);
  }
  return Array.from(values);
}

function validTile(t: unknown): t is RgbImage {
  if (typeof t !== 'object' || t === null) return false;
  const img = t as RgbImage;
  return (
    img.data instanceof Uint8Array &&
    isPositiveInt(img.width) &&
    isPositiveInt(img.height) &&
    (img.channels === 3 || img.channels === 4) &&
    img.data.length >= img.width * img.height * img.channels
  );
}

/**
 * Wraps a backend with preprocessing and postprocessing. At load it reads the backend's metadata
 * and checks it against the preprocessing (rank 4, 3 channels where the layout puts them, fixed
 * spatial dimensions equal to `size`, datatype equal to `dtype`) and the postprocessing (output
 * name, label count, score index); a mismatch throws a {@link ModelError} that names the model,
 * the tensor, its declared shape, what the config says, and what to change.
 *
 * @example
 * const backend = await createOnnxBackend('base', { path: 'models/base.onnx' });
 * const model = await createTileModel(backend, {
 *   id: 'base',
 *   preprocess: { size: 256, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] },
 *   postprocess: { activation: 'softmax', labels: ['smooth', 'granular'] },
 * });
 * const [p] = await model.predict([tile]); // p.score: probability of "granular"
 */
export async function createTileModel(backend: ModelBackend, options: TileModelOptions): Promise<TileModel> {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'an object', options);
  const { id } = options;
  if (typeof id !== 'string' || id.length === 0) throw invalidArgument('options.id', 'a non-empty model id', id);
  const { width, height } = checkPreprocess(id, options.preprocess);
  const plan = makePlan(options.preprocess, width, height);
  const post = options.postprocess ?? {};
  const activation = post.activation ?? 'none';
  if (!['softmax', 'sigmoid', 'none'].includes(activation)) throw invalidArgument(`models[${id}].postprocess.activation`, 'one of "softmax", "sigmoid", "none"', activation);
  if (options.batchSize !== undefined && !isPositiveInt(options.batchSize)) throw invalidArgument(`models[${id}].batchSize`, 'a positive integer', options.batchSize);
  if (post.labels !== undefined && (!Array.isArray(post.labels) || !post.labels.every((l) => typeof l === 'string'))) throw invalidArgument(`models[${id}].postprocess.labels`, 'an array of strings', post.labels);
  if (post.scoreIndex !== undefined && !(Number.isInteger(post.scoreIndex) && post.scoreIndex >= 0)) throw invalidArgument(`models[${id}].postprocess.scoreIndex`, 'a non-negative integer', post.scoreIndex);

  let ready: boolean;
  let meta: ModelMetadata;
  try {
    ready = await backend.ready();
    meta = await backend.metadata();
  } catch (cause) {
    if (cause instanceof BlurmmError) throw cause;
    throw new ModelError(`Model "${id}" (backend ${backend.backend}) could not report its metadata: ${(cause as Error).message}`, { plugin: id, cause });
  }
  if (!ready) throw new ModelError(`Model "${id}" (backend ${backend.backend}) is not ready. Check that the model loaded (or that the inference server serves it).`, { plugin: id });
  if (meta.inputs.length !== 1) {
    throw new ModelError(`Model "${id}" declares ${meta.inputs.length} inputs (${meta.inputs.map((i) => `"${i.name}" ${shapeText(i.shape)}`).join(', ') || 'none'}); blurmm feeds one image tensor. Export the model with a single image input.`, { plugin: id });
  }
  const input = meta.inputs[0]!;
  const fixedBatch = checkInput(id, input, plan, options.preprocess);
  const batchSize = fixedBatch > 0 ? fixedBatch : (options.batchSize ?? 16);

  const output = post.output === undefined ? meta.outputs[0] : meta.outputs.find((o) => o.name === post.output);
  if (!output) {
    const names = meta.outputs.map((o) => `"${o.name}" ${shapeText(o.shape)}`).join(', ') || 'none';
    throw new ModelError(
      post.output === undefined ? `Model "${id}" declares no outputs.` : `Model "${id}" has no output named "${post.output}" (postprocess.output); its outputs are ${names}. Set postprocess.output to one of them.`,
      { plugin: id, pointer: `models[${id}].postprocess.output` },
    );
  }
  // values per tile, when the metadata says
  const tail = output.shape.slice(1);
  const declaredK = tail.length === 0 ? 1 : tail.every((d) => d > 0) ? tail.reduce((a, b) => a * b, 1) : -1;
  const checkK = (k: number, where: string): void => {
    if (post.labels !== undefined && post.labels.length !== k) {
      throw new ModelError(`Model "${id}" output "${output.name}" gives ${k} value(s) per tile ${where}, but postprocess.labels has ${post.labels.length}. Give one label per output value.`, { plugin: id, pointer: `models[${id}].postprocess.labels` });
    }
    if (post.scoreIndex !== undefined && post.scoreIndex >= k) {
      throw new ModelError(`Model "${id}" output "${output.name}" gives ${k} value(s) per tile ${where}, but postprocess.scoreIndex is ${post.scoreIndex}. Use an index from 0 to ${k - 1}.`, { plugin: id, pointer: `models[${id}].postprocess.scoreIndex` });
    }
  };
  if (declaredK > 0) checkK(declaredK, `(declared shape ${shapeText(output.shape)})`);

  const labels = post.labels;
  let closed = false;

  async function runBatch(tiles: readonly RgbImage[], first: number, signal: AbortSignal | undefined): Promise<Prediction[]> {
    const n = tiles.length;
    const rows = fixedBatch > 0 ? fixedBatch : n;
    const tensor = buildTensor(tiles, plan, input.name, rows);
    let response: InferResponse;
    try {
      response = await backend.infer({ inputs: [tensor], outputs: [{ name: output!.name }] }, signal ? { signal } : undefined);
    } catch (cause) {
      if (cause instanceof BlurmmError) throw cause;
      throw new BackendError(`Model "${id}" (backend ${backend.backend}) failed on tiles ${first}-${first + n - 1} of the batch: ${(cause as Error).message}`, { plugin: id, cause });
    }
    const out = response.outputs.find((o) => o.name === output!.name);
    if (!out) {
      throw new BackendError(`Model "${id}" (backend ${backend.backend}) returned no output "${output!.name}" (got ${response.outputs.map((o) => `"${o.name}"`).join(', ') || 'none'}).`, { plugin: id });
    }
    if (out.shape[0] !== rows || out.data.length % rows !== 0 || out.data.length === 0) {
      throw new BackendError(`Model "${id}" output "${out.name}" has shape ${shapeText(out.shape)} (${out.data.length} values) for a batch of ${rows}; expected the batch size first.`, { plugin: id });
    }
    const k = out.data.length / rows;
    if (declaredK < 0) checkK(k, '(at inference)');
    const all = toNumbers(out.data);
    const scoreIndex = post.scoreIndex ?? k - 1;
    const result: Prediction[] = [];
    for (let b = 0; b < n; b++) {
      const raw = all.subarray(b * k, (b + 1) * k);
      for (const v of raw) {
        if (Number.isNaN(v)) {
          throw new BackendError(`Model "${id}" returned NaN for tile ${first + b} of the batch (output "${out.name}"). Check the model file and the preprocessing (scale, mean, std) in the config.`, { plugin: id, location: `tile ${first + b}` });
        }
      }
      const values = activate(raw, activation);
      result.push({ values, labels, score: values[scoreIndex]! });
    }
    return result;
  }

  return {
    id,
    backend,
    async predict(tiles, opts) {
      if (closed) throw new ModelError(`Model "${id}" is closed.`, { plugin: id });
      if (!Array.isArray(tiles)) throw invalidArgument('tiles', 'an array of RGB images', tiles);
      tiles.forEach((t, i) => {
        if (!validTile(t)) throw invalidArgument(`tiles[${i}]`, 'an RgbImage ({ data: Uint8Array, width, height, channels: 3 | 4 })', t);
      });
      const signal = opts?.signal;
      const out: Prediction[] = [];
      for (let i = 0; i < tiles.length; i += batchSize) {
        throwIfAborted(signal, `prediction of model "${id}"`);
        out.push(...(await runBatch(tiles.slice(i, i + batchSize), i, signal)));
      }
      return out;
    },
    async close() {
      if (closed) return;
      closed = true;
      await backend.close();
    },
  };
}
