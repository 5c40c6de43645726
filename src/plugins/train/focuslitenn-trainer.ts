/**
 * Self-supervised FocusLiteNN training in plain TypeScript: sharp tissue tiles are blurred with
 * known Gaussian sigmas (OpenCV-exact kernel) and the network
 * `Conv(3->k, 7x7, stride 5, pad 1) -> min over the map -> [1x1 conv k->1]` is fitted to
 * regress sigma by mini-batch Adam. The min-pool makes back-propagation cheap: the gradient of a
 * kernel is the input window at its arg-min. The forward pass runs through onnxruntime (one
 * thread, weights fed as inputs), the backward pass and Adam in float64 JS; seeded: the same
 * inputs and seed give the same weights.
 */
import { invalidArgument, throwIfAborted } from '../../core/errors.js';
import { loadOnnxRuntime } from '../onnx/load-ort.js';
import { attr, buildOnnxModel, floatTensor, int64Tensor } from '../onnx/onnx-builder.js';
import { FOCUSLITENN_KERNEL, FOCUSLITENN_PADDING, FOCUSLITENN_STRIDE, type FocusLiteNNMeta, type FocusLiteNNWeights } from '../estimators/focuslitenn-weights.js';
import { gaussianBlur, openCvKernelSize } from './gaussian-blur.js';
import type { SelectedTile } from './patch-source.js';
import { gaussianRandom, mean, rmse, seededRandom, shuffle, spearman } from './stats.js';

const K = FOCUSLITENN_KERNEL;
const TAPS = 3 * K * K;

/** One training example: a blurred RGB crop (crop x crop x 3, interleaved) and its sigma. */
export interface TrainingSample {
  readonly crop: Uint8Array;
  readonly sigma: number;
  /** index of the tile it came from (splits are by tile) */
  readonly tile: number;
}

/** The blur margin a patch needs around the crop so that blurring never sees the patch border. */
export function blurMargin(maxSigma: number): number {
  return openCvKernelSize(maxSigma) >> 1;
}

/**
 * Blurs each tile's patch at each sigma and takes the centre crop (the patch must be
 * `crop + 2 * blurMargin(max sigma)` wide). `augment` applies one of the 8 flips/rotations per
 * sample (seeded).
 */
export function makeSamples(
  tiles: readonly SelectedTile[],
  sigmas: readonly number[],
  options: { crop: number; augment?: boolean; seed?: number; signal?: AbortSignal | undefined },
): TrainingSample[] {
  const { crop } = options;
  const rand = seededRandom((options.seed ?? 1) + 7919);
  const need = crop + 2 * blurMargin(Math.max(...sigmas));
  const out: TrainingSample[] = [];
  tiles.forEach((tile, t) => {
    const img = tile.image;
    if (img.width < need || img.height !== img.width) {
      throw invalidArgument('tiles', `square patches of at least ${need} px`, `${img.width} x ${img.height} px`);
    }
    const off = (img.width - crop) >> 1;
    for (const sigma of sigmas) {
      throwIfAborted(options.signal, 'training set preparation');
      const b = gaussianBlur(img, sigma).data;
      const data = new Uint8Array(crop * crop * 3);
      const tf = options.augment ? Math.floor(rand() * 8) : 0;
      for (let y = 0; y < crop; y++)
        for (let x = 0; x < crop; x++) {
          // dihedral transform of the crop coordinates
          let sx = tf & 1 ? crop - 1 - x : x;
          let sy = tf & 2 ? crop - 1 - y : y;
          if (tf & 4) [sx, sy] = [sy, sx];
          const s = ((off + sy) * img.width + off + sx) * 3;
          const d = (y * crop + x) * 3;
          data[d] = b[s]!;
          data[d + 1] = b[s + 1]!;
          data[d + 2] = b[s + 2]!;
        }
      out.push({ crop: data, sigma, tile: t });
    }
  });
  return out;
}

/** Network parameters in float64. */
interface Params {
  k: number;
  convW: Float64Array; // k * 147
  convB: Float64Array; // k
  fcW: Float64Array; // k (unused when k = 1)
  fcB: Float64Array; // 1 (unused when k = 1)
}

/**
 * The training forward graph: uint8 NHWC crops and the conv weights as inputs (so one session
 * serves every step); outputs the min-pooled map per kernel and the arg-min position.
 */
function buildTrainingGraph(k: number, crop: number): Uint8Array {
  return buildOnnxModel({
    graph: {
      name: 'focuslitenn-train-forward',
      inputs: [
        { name: 'image', type: 'UINT8', shape: ['batch', crop, crop, 3] },
        { name: 'w', type: 'FLOAT', shape: [k, 3, K, K] },
        { name: 'b', type: 'FLOAT', shape: [k] },
      ],
      outputs: [
        { name: 'pooled', type: 'FLOAT', shape: ['batch', k] },
        { name: 'argmin', type: 'INT64', shape: ['batch', k] },
      ],
      initializers: [floatTensor('scale', [], [255]), int64Tensor('flat', [3], [0, k, -1])],
      nodes: [
        { opType: 'Transpose', inputs: ['image'], outputs: ['nchw_u8'], attributes: { perm: attr.ints([0, 3, 1, 2]) } },
        { opType: 'Cast', inputs: ['nchw_u8'], outputs: ['nchw_f'], attributes: { to: attr.int(1) } },
        { opType: 'Div', inputs: ['nchw_f', 'scale'], outputs: ['x'] },
        {
          opType: 'Conv',
          inputs: ['x', 'w', 'b'],
          outputs: ['conv'],
          attributes: {
            kernel_shape: attr.ints([K, K]),
            strides: attr.ints([FOCUSLITENN_STRIDE, FOCUSLITENN_STRIDE]),
            pads: attr.ints([FOCUSLITENN_PADDING, FOCUSLITENN_PADDING, FOCUSLITENN_PADDING, FOCUSLITENN_PADDING]),
          },
        },
        { opType: 'Reshape', inputs: ['conv', 'flat'], outputs: ['map'] },
        { opType: 'ReduceMin', inputs: ['map'], outputs: ['pooled'], attributes: { axes: attr.ints([2]), keepdims: attr.int(0) } },
        { opType: 'ArgMin', inputs: ['map'], outputs: ['argmin'], attributes: { axis: attr.int(2), keepdims: attr.int(0) } },
      ],
    },
  });
}

type Session = import('onnxruntime-node').InferenceSession;
type Ort = typeof import('onnxruntime-node');

/** Forward pass of a batch through onnxruntime: pooled [n, k] and arg-min [n, k]. */
async function forwardBatch(ort: Ort, session: Session, p: Params, samples: readonly TrainingSample[], idx: readonly number[], crop: number): Promise<{ pooled: Float32Array; argmin: BigInt64Array }> {
  const bytes = crop * crop * 3;
  const buf = new Uint8Array(idx.length * bytes);
  idx.forEach((i, n) => buf.set(samples[i]!.crop, n * bytes));
  const out = await session.run({
    image: new ort.Tensor('uint8', buf, [idx.length, crop, crop, 3]),
    w: new ort.Tensor('float32', Float32Array.from(p.convW), [p.k, 3, K, K]),
    b: new ort.Tensor('float32', Float32Array.from(p.convB), [p.k]),
  });
  return { pooled: out.pooled!.data as Float32Array, argmin: out.argmin!.data as BigInt64Array };
}

function head(p: Params, pooled: Float32Array, n: number): number {
  if (p.k === 1) return pooled[n]!;
  let out = p.fcB[0]!;
  for (let j = 0; j < p.k; j++) out += p.fcW[j]! * pooled[n * p.k + j]!;
  return out;
}

/**
 * Adds the gradient of the mean squared error over `batch` to `grads` ([convW, convB, fcW, fcB])
 * given the forward pass (pooled values and arg-min positions); returns the batch's sum of
 * squared errors. The min-pool routes each kernel's gradient to the window at its arg-min.
 */
function accumulateGradients(
  p: Params,
  samples: readonly TrainingSample[],
  batch: readonly number[],
  pooled: Float32Array,
  argmin: BigInt64Array,
  crop: number,
  grads: readonly Float64Array[],
): number {
  const k = p.k;
  const map = Math.floor((crop + 2 * FOCUSLITENN_PADDING - K) / FOCUSLITENN_STRIDE) + 1;
  const [gw, gb, gfw, gfb] = grads as [Float64Array, Float64Array, Float64Array, Float64Array];
  let sse = 0;
  batch.forEach((i, n) => {
    const s = samples[i]!;
    const err = head(p, pooled, n) - s.sigma;
    sse += err * err;
    const dPred = (2 * err) / batch.length;
    for (let j = 0; j < k; j++) {
      const dPool = k === 1 ? dPred : dPred * p.fcW[j]!;
      if (k > 1) gfw[j]! += dPred * pooled[n * k + j]!;
      gb[j]! += dPool;
      // d pooled / d w = the input window at the arg-min (zero padding outside the crop)
      const pos = Number(argmin[n * k + j]!);
      const oy = Math.floor(pos / map), ox = pos % map;
      const scale = dPool / 255;
      for (let ky = 0; ky < K; ky++) {
        const iy = oy * FOCUSLITENN_STRIDE - FOCUSLITENN_PADDING + ky;
        if (iy < 0 || iy >= crop) continue;
        for (let kx = 0; kx < K; kx++) {
          const ix = ox * FOCUSLITENN_STRIDE - FOCUSLITENN_PADDING + kx;
          if (ix < 0 || ix >= crop) continue;
          const px = (iy * crop + ix) * 3;
          for (let c = 0; c < 3; c++) gw[j * TAPS + (c * K + ky) * K + kx]! += scale * s.crop[px + c]!;
        }
      }
    }
    if (k > 1) gfb[0]! += dPred;
  });
  return sse;
}

/**
 * The mean squared error of weights on samples (target sigma) and its gradient, with the forward
 * pass through onnxruntime as in training. For tests and diagnostics.
 */
export async function focusLiteNNLossAndGradient(
  weights: FocusLiteNNWeights,
  samples: readonly TrainingSample[],
  crop = 235,
): Promise<{ loss: number; convWeight: Float64Array; convBias: Float64Array; fcWeight: Float64Array; fcBias: Float64Array }> {
  const k = weights.k;
  const p: Params = {
    k,
    convW: Float64Array.from(weights.convWeight),
    convB: Float64Array.from(weights.convBias),
    fcW: weights.fcWeight ? Float64Array.from(weights.fcWeight) : new Float64Array(k),
    fcB: weights.fcBias ? Float64Array.from(weights.fcBias) : new Float64Array(1),
  };
  const ort = await loadOnnxRuntime();
  const session = await ort.InferenceSession.create(buildTrainingGraph(k, crop), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const idx = samples.map((_, i) => i);
    const { pooled, argmin } = await forwardBatch(ort, session, p, samples, idx, crop);
    const grads = [p.convW, p.convB, p.fcW, p.fcB].map((g) => new Float64Array(g.length));
    const sse = accumulateGradients(p, samples, idx, pooled, argmin, crop, grads);
    return { loss: sse / samples.length, convWeight: grads[0]!, convBias: grads[1]!, fcWeight: grads[2]!, fcBias: grads[3]! };
  } finally {
    await session.release();
  }
}

export interface FitOptions {
  /** conv kernels, default 10 */
  readonly kernels?: number;
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  readonly seed?: number;
  readonly crop?: number;
  readonly signal?: AbortSignal | undefined;
  /** called after each epoch (the library never prints) */
  readonly onEpoch?: (e: EpochStats) => void;
}

export interface EpochStats {
  readonly epoch: number;
  readonly trainRmse: number;
  readonly valRmse: number;
  readonly valSpearman: number;
  readonly elapsedMs: number;
}

export interface SplitMetrics {
  readonly samples: number;
  readonly tiles: number;
  /** root mean squared error in sigma (px) */
  readonly rmse: number;
  /** mean absolute error in sigma (px) */
  readonly mae: number;
  /** Spearman correlation of the prediction with the true sigma (crop level) */
  readonly spearman: number;
}

export interface FitResult {
  readonly weights: FocusLiteNNWeights;
  readonly train: SplitMetrics;
  readonly validation: SplitMetrics;
  readonly history: readonly EpochStats[];
}

async function predictAll(ort: Ort, session: Session, p: Params, samples: readonly TrainingSample[], crop: number): Promise<Float64Array> {
  const out = new Float64Array(samples.length);
  for (let b = 0; b < samples.length; b += 64) {
    const idx = samples.slice(b, b + 64).map((_, i) => b + i);
    const { pooled } = await forwardBatch(ort, session, p, samples, idx, crop);
    idx.forEach((i, n) => (out[i] = head(p, pooled, n)));
  }
  return out;
}

function metrics(pred: Float64Array, samples: readonly TrainingSample[]): SplitMetrics {
  const target = samples.map((s) => s.sigma);
  let mae = 0;
  for (let i = 0; i < pred.length; i++) mae += Math.abs(pred[i]! - target[i]!);
  return {
    samples: samples.length,
    tiles: new Set(samples.map((s) => s.tile)).size,
    rmse: rmse(pred, target),
    mae: mae / Math.max(1, pred.length),
    spearman: samples.length > 1 ? spearman(Array.from(pred), target) : NaN,
  };
}

/**
 * Fits FocusLiteNN to regress sigma on `train` by mini-batch Adam (forward through
 * onnxruntime, backward in JS), reporting error and Spearman on `validation` (held-out tiles).
 * Deterministic for a seed (onnxruntime runs single-threaded).
 */
export async function fitFocusLiteNN(train: readonly TrainingSample[], validation: readonly TrainingSample[], options: FitOptions = {}): Promise<FitResult> {
  const k = options.kernels ?? 10;
  if (!Number.isInteger(k) || k < 1 || k > 64) throw invalidArgument('kernels', 'an integer from 1 to 64', k);
  const epochs = options.epochs ?? 30;
  const batchSize = options.batchSize ?? 16;
  const lr0 = options.learningRate ?? 0.01;
  const crop = options.crop ?? 235;
  if (train.length === 0) throw invalidArgument('train', 'at least one training sample', train.length);
  const rand = seededRandom(options.seed ?? 1);
  const normal = gaussianRandom(rand);
  const sigmaMean = mean(train.map((s) => s.sigma));
  const ort = await loadOnnxRuntime();
  const session = await ort.InferenceSession.create(buildTrainingGraph(k, crop), { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });

  try {
    // init: small random kernels; the output starts at the mean sigma
    const p: Params = {
      k,
      convW: Float64Array.from({ length: k * TAPS }, () => normal() * 0.1),
      convB: new Float64Array(k),
      fcW: Float64Array.from({ length: k }, () => 1 / k),
      fcB: Float64Array.of(0),
    };
    if (k === 1) p.convB[0] = sigmaMean;
    else p.fcB[0] = sigmaMean;
    const groups = [p.convW, p.convB, p.fcW, p.fcB];
    const m1 = groups.map((g) => new Float64Array(g.length));
    const m2 = groups.map((g) => new Float64Array(g.length));
    const grads = groups.map((g) => new Float64Array(g.length));
    const beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    let step = 0;
    const order = train.map((_, i) => i);
    const history: EpochStats[] = [];
    const t0 = Date.now();

    for (let epoch = 1; epoch <= epochs; epoch++) {
      shuffle(order, rand);
      // cosine decay to 5 % of the initial rate
      const lr = lr0 * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * (epoch - 1)) / Math.max(1, epochs))));
      let sse = 0;
      for (let b = 0; b < order.length; b += batchSize) {
        throwIfAborted(options.signal, 'FocusLiteNN training');
        const batch = order.slice(b, b + batchSize);
        const { pooled, argmin } = await forwardBatch(ort, session, p, train, batch, crop);
        for (const g of grads) g.fill(0);
        sse += accumulateGradients(p, train, batch, pooled, argmin, crop, grads);
        step++;
        const c1 = 1 - beta1 ** step, c2 = 1 - beta2 ** step;
        groups.forEach((g, gi) => {
          if (k === 1 && gi >= 2) return;
          const gr = grads[gi]!, a = m1[gi]!, v = m2[gi]!;
          for (let i = 0; i < g.length; i++) {
            a[i] = beta1 * a[i]! + (1 - beta1) * gr[i]!;
            v[i] = beta2 * v[i]! + (1 - beta2) * gr[i]! * gr[i]!;
            g[i]! -= (lr * (a[i]! / c1)) / (Math.sqrt(v[i]! / c2) + eps);
          }
        });
      }
      const valPred = validation.length ? await predictAll(ort, session, p, validation, crop) : new Float64Array(0);
      const stats: EpochStats = {
        epoch,
        trainRmse: Math.sqrt(sse / order.length),
        valRmse: validation.length ? rmse(valPred, validation.map((s) => s.sigma)) : NaN,
        valSpearman: validation.length > 1 ? spearman(Array.from(valPred), validation.map((s) => s.sigma)) : NaN,
        elapsedMs: Date.now() - t0,
      };
      history.push(stats);
      options.onEpoch?.(stats);
    }

    const weights: FocusLiteNNWeights = {
      k,
      convWeight: Float32Array.from(p.convW),
      convBias: Float32Array.from(p.convB),
      fcWeight: k > 1 ? Float32Array.from(p.fcW) : undefined,
      fcBias: k > 1 ? Float32Array.from(p.fcB) : undefined,
    };
    return {
      weights,
      train: metrics(await predictAll(ort, session, p, train, crop), train),
      validation: metrics(validation.length ? await predictAll(ort, session, p, validation, crop) : new Float64Array(0), validation),
      history,
    };
  } finally {
    await session.release();
  }
}

export interface TrainFocusOptions extends FitOptions {
  /** sigmas to blur with, default 0, 0.5, ..., 6 */
  readonly sigmas?: readonly number[];
  /** sharp tiles to select, default 48 */
  readonly tiles?: number;
  /** fraction of tiles held out for validation, default 0.25 */
  readonly validationFraction?: number;
  /** LV pre-selection: keep tiles with LV >= this fraction of the 90th percentile, default 0.6 */
  readonly lvFraction?: number;
  /** random flips/rotations of training crops, default true */
  readonly augment?: boolean;
  /** called as the stages progress */
  readonly onStage?: (stage: 'select' | 'blur' | 'fit', detail: string) => void;
}

export interface TrainFocusResult extends FitResult {
  /** the weights with `meta` (what the output means, settings, metrics), ready for JSON */
  readonly weights: FocusLiteNNWeights & { readonly meta: FocusLiteNNMeta };
  readonly selected: readonly { source: string; x: number; y: number; lv: number; split: 'train' | 'validation' }[];
}

export const DEFAULT_SIGMAS: readonly number[] = [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6];

/**
 * The whole self-supervised recipe on already opened sources: LV pre-selection of sharp tissue
 * tiles, blur at known sigmas, split by tile, fit, and a weights object with `meta`.
 */
export async function trainFocusLiteNN(
  sources: readonly import('./patch-source.js').PatchSource[],
  options: TrainFocusOptions = {},
): Promise<TrainFocusResult> {
  const { selectSharpTiles } = await import('./patch-source.js');
  const sigmas = options.sigmas ?? DEFAULT_SIGMAS;
  if (!sigmas.length || sigmas.some((s) => !Number.isFinite(s) || s < 0)) throw invalidArgument('sigmas', 'a non-empty list of sigmas >= 0', sigmas);
  const crop = options.crop ?? 235;
  const count = options.tiles ?? 48;
  const seed = options.seed ?? 1;
  const valFraction = options.validationFraction ?? 0.25;
  const patch = crop + 2 * blurMargin(Math.max(...sigmas));
  options.onStage?.('select', `reading ${patch} px patches, LV pre-selection of ${count} sharp tissue tiles`);
  const tiles = await selectSharpTiles(sources, { patch, crop, count, seed, signal: options.signal, ...(options.lvFraction !== undefined ? { lvFraction: options.lvFraction } : {}) });
  if (tiles.length < 2) {
    throw invalidArgument('sources', `images with at least 2 sharp tissue patches of ${patch} px`, `${tiles.length} found in ${sources.map((s) => s.name).join(', ')}`);
  }
  const nVal = Math.max(1, Math.round(tiles.length * valFraction));
  const valTiles = tiles.slice(0, nVal);
  const trainTiles = tiles.slice(nVal);
  options.onStage?.('blur', `${trainTiles.length} training + ${valTiles.length} validation tiles x ${sigmas.length} sigmas`);
  const train = makeSamples(trainTiles, sigmas, { crop, augment: options.augment ?? true, seed, signal: options.signal });
  const validation = makeSamples(valTiles, sigmas, { crop, augment: false, seed, signal: options.signal });
  options.onStage?.('fit', `${train.length} training samples, ${validation.length} validation samples`);
  const fit = await fitFocusLiteNN(train, validation, { ...options, seed, crop });
  const meta: FocusLiteNNMeta = {
    unit: 'sigma (px)',
    direction: 'higher-is-blurrier',
    target: 'sigma',
    description: `FocusLiteNN (${fit.weights.k} kernels) trained by blurmm train-focus to regress the Gaussian blur sigma (level-0 px of its training images, OpenCV-exact kernel)`,
    trainer: {
      seed,
      sigmas: [...sigmas],
      tiles: tiles.length,
      lvFraction: options.lvFraction ?? 0.6,
      validationTiles: valTiles.length,
      epochs: fit.history.length,
      crop,
      sources: sources.map((s) => s.name),
      /** level-0 um/px of each source (null when unknown): sigma is in these pixels */
      mpp: sources.map((s) => s.mpp ?? null),
    },
    metrics: { train: fit.train, validation: fit.validation },
  };
  return {
    ...fit,
    weights: { ...fit.weights, meta },
    selected: tiles.map((t, i) => ({ source: t.source, x: t.x, y: t.y, lv: t.lv, split: i < nVal ? 'validation' : 'train' })),
  };
}
