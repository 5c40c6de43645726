/**
 * The FocusLiteNN blur estimator (Wang et al., MICCAI 2020) through onnxruntime-node.
 * Tiles are cut into crops (235 px at stride 128 by default, as the reference protocol), the
 * crops are scored in batches by a graph built from the weights JSON, and each tile's score is
 * the mean (or min / max) of its crop scores.
 */
import { EstimatorError, invalidArgument, throwIfAborted } from '../../core/errors.js';
import type { BlurEstimator, EstimatorOutput, RgbImage } from '../../core/types.js';
import { buildFocusLiteNNModel } from './focuslitenn-graph.js';
import { describeFocusLiteNNOutput, loadFocusLiteNNWeights, parseFocusLiteNNWeights, type FocusLiteNNWeights } from './focuslitenn-weights.js';
import { loadOnnxRuntime } from '../onnx/load-ort.js';

export type { FocusLiteNNWeights } from './focuslitenn-weights.js';

export interface FocusLiteNNOptions {
  /**
   * path to a weights JSON, parsed weights, or "default": blurmm's bundled weights, trained by
   * blurmm's trainer on project-generated synthetic tissue (they rank real H&E tiles by blur;
   * their sigma scale is calibrated on the synthetic tissue only)
   */
  readonly weights: string | FocusLiteNNWeights;
  /** crop side in px, default 235 (the network's training size) */
  readonly crop?: number;
  /** crop stride in px, default 128 (the reference protocol) */
  readonly stride?: number;
  /** how crop scores make a tile score, default "mean" */
  readonly reduction?: 'mean' | 'min' | 'max';
  /** output name, default "focuslitenn" */
  readonly id?: string;
  /** onnxruntime intra-op threads, default 1 */
  readonly threads?: number;
  /** crops per inference call, default 64 */
  readonly batchSize?: number;
  /** tiles smaller than the crop: "error" (default) or "pad" (reflect-101 padding up to the crop) */
  readonly small?: 'error' | 'pad';
}

/** Top-left offsets of the crops along one axis: 0, stride, ... < size - crop (at least [0]). */
export function cropOffsets(size: number, crop: number, stride: number): number[] {
  const out: number[] = [];
  for (let o = 0; o < size - crop; o += stride) out.push(o);
  if (out.length === 0) out.push(0);
  return out;
}

function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
  return i;
}

/** Copies one RGB crop (dropping alpha) into `dst` at `at`, reflecting outside the tile. */
function copyCrop(tile: RgbImage, x0: number, y0: number, crop: number, dst: Uint8Array, at: number): void {
  const ch = tile.channels;
  const inside = x0 + crop <= tile.width && y0 + crop <= tile.height;
  if (inside && ch === 3) {
    for (let y = 0; y < crop; y++) {
      const src = ((y0 + y) * tile.width + x0) * 3;
      dst.set(tile.data.subarray(src, src + crop * 3), at + y * crop * 3);
    }
    return;
  }
  let d = at;
  for (let y = 0; y < crop; y++) {
    const row = reflect101(y0 + y, tile.height) * tile.width;
    for (let x = 0; x < crop; x++) {
      const s = (row + reflect101(x0 + x, tile.width)) * ch;
      dst[d++] = tile.data[s]!;
      dst[d++] = tile.data[s + 1]!;
      dst[d++] = tile.data[s + 2]!;
    }
  }
}

function positiveInt(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw invalidArgument(name, 'a positive integer', value);
  return value;
}

/**
 * Creates the FocusLiteNN estimator.
 *
 * @example
 * ```ts
 * const est = await focusLiteNN({ weights: 'weights.json' });
 * const [r] = await est.estimate([tile]); // r.focuslitenn: higher is blurrier
 * ```
 */
export async function focusLiteNN(options: FocusLiteNNOptions | Record<string, unknown>): Promise<BlurEstimator> {
  const o = options as Partial<FocusLiteNNOptions>;
  if (typeof o.weights !== 'string' && (!o.weights || typeof o.weights !== 'object')) {
    throw invalidArgument('weights', 'a path to a FocusLiteNN weights JSON or parsed weights', o.weights);
  }
  const source = typeof o.weights === 'string' ? o.weights : '(inline weights)';
  const weights =
    o.weights === 'default'
      ? parseFocusLiteNNWeights((await import('./focuslitenn-default.weights.json', { with: { type: 'json' } })).default, 'blurmm default weights')
      : typeof o.weights === 'string'
        ? await loadFocusLiteNNWeights(o.weights)
        : 'convWeight' in o.weights
          ? o.weights
          : parseFocusLiteNNWeights(o.weights);
  const crop = positiveInt('crop', o.crop, 235);
  if (crop < 7) throw invalidArgument('crop', 'a crop of at least 7 px (the conv kernel)', crop);
  const stride = positiveInt('stride', o.stride, 128);
  const batchSize = positiveInt('batchSize', o.batchSize, 64);
  const threads = positiveInt('threads', o.threads, 1);
  const reduction = o.reduction ?? 'mean';
  if (!['mean', 'min', 'max'].includes(reduction)) throw invalidArgument('reduction', '"mean", "min" or "max"', reduction);
  const small = o.small ?? 'error';
  if (small !== 'error' && small !== 'pad') throw invalidArgument('small', '"error" or "pad"', small);
  const id = o.id ?? 'focuslitenn';
  if (typeof id !== 'string' || !id) throw invalidArgument('id', 'a non-empty output name', id);

  const ort = await loadOnnxRuntime();
  const bytes = buildFocusLiteNNModel(weights, { crop, inputName: 'image', outputName: 'score' });
  let session: import('onnxruntime-node').InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    });
  } catch (cause) {
    throw new EstimatorError(`FocusLiteNN (${source}): onnxruntime could not load the graph built from the weights: ${(cause as Error).message}`, {
      plugin: 'focuslitenn',
      path: source,
      cause,
    });
  }
  const output: EstimatorOutput = describeFocusLiteNNOutput(weights, source, id);
  const cropBytes = crop * crop * 3;
  let queue: Promise<unknown> = Promise.resolve();

  async function runBatch(buf: Uint8Array, n: number): Promise<Float32Array> {
    const tensor = new ort.Tensor('uint8', buf.subarray(0, n * cropBytes), [n, crop, crop, 3]);
    let result: Awaited<ReturnType<typeof session.run>>;
    try {
      result = await session.run({ image: tensor });
    } catch (cause) {
      throw new EstimatorError(`FocusLiteNN (${source}): onnxruntime failed on a batch of ${n} crops of ${crop} px: ${(cause as Error).message}`, { plugin: 'focuslitenn', cause });
    }
    const data = result.score?.data;
    if (!(data instanceof Float32Array) || data.length !== n) throw new EstimatorError(`FocusLiteNN (${source}): unexpected output from onnxruntime`, { plugin: 'focuslitenn' });
    return data;
  }

  async function estimateNow(tiles: readonly RgbImage[], signal: AbortSignal | undefined): Promise<Record<string, number>[]> {
    // plan crops per tile
    const plans = tiles.map((tile, t) => {
      if (!tile || !(tile.data instanceof Uint8Array) || (tile.channels !== 3 && tile.channels !== 4) || tile.data.length !== tile.width * tile.height * tile.channels) {
        throw new EstimatorError(`FocusLiteNN: tile ${t} is not an RgbImage (Uint8Array data of width * height * channels bytes, 3 or 4 channels)`, { plugin: 'focuslitenn', location: `tile ${t}` });
      }
      if ((tile.width < crop || tile.height < crop) && small === 'error') {
        throw new EstimatorError(
          `FocusLiteNN: tile ${t} is ${tile.width} x ${tile.height} px, smaller than the ${crop} px crop; use tiles of at least ${crop} px, a smaller --crop, or small: "pad"`,
          { plugin: 'focuslitenn', location: `tile ${t}`, data: { width: tile.width, height: tile.height, crop } },
        );
      }
      const xs = cropOffsets(tile.width, crop, stride);
      const ys = cropOffsets(tile.height, crop, stride);
      return { xs, ys };
    });
    const total = plans.reduce((a, p) => a + p.xs.length * p.ys.length, 0);
    const scores = new Float32Array(total);
    const buf = new Uint8Array(Math.min(batchSize, Math.max(total, 1)) * cropBytes);
    let filled = 0;
    let done = 0;
    for (let t = 0; t < tiles.length; t++) {
      const tile = tiles[t]!;
      const { xs, ys } = plans[t]!;
      for (const y of ys)
        for (const x of xs) {
          copyCrop(tile, x, y, crop, buf, filled * cropBytes);
          if (++filled === batchSize) {
            throwIfAborted(signal, 'FocusLiteNN estimate');
            scores.set(await runBatch(buf, filled), done);
            done += filled;
            filled = 0;
          }
        }
    }
    if (filled > 0) {
      throwIfAborted(signal, 'FocusLiteNN estimate');
      scores.set(await runBatch(buf, filled), done);
    }
    const out: Record<string, number>[] = [];
    let at = 0;
    for (let t = 0; t < tiles.length; t++) {
      const n = plans[t]!.xs.length * plans[t]!.ys.length;
      let acc = reduction === 'min' ? Infinity : reduction === 'max' ? -Infinity : 0;
      for (let i = 0; i < n; i++) {
        const v = scores[at + i]!;
        acc = reduction === 'min' ? Math.min(acc, v) : reduction === 'max' ? Math.max(acc, v) : acc + v;
      }
      at += n;
      const value = reduction === 'mean' ? acc / n : acc;
      if (!Number.isFinite(value)) {
        throw new EstimatorError(`FocusLiteNN (${source}): tile ${t} (${tiles[t]!.width} x ${tiles[t]!.height} px) scored ${value}; check the weights for extreme values`, {
          plugin: 'focuslitenn',
          location: `tile ${t}`,
        });
      }
      out.push({ [id]: value });
    }
    return out;
  }

  return {
    name: 'focuslitenn',
    version: `1.0.0 (k=${weights.k}, crop ${crop}, stride ${stride}, ${reduction})`,
    outputs: [output],
    estimate(tiles, opts) {
      throwIfAborted(opts?.signal, 'FocusLiteNN estimate');
      // one inference at a time per session: calls queue up rather than interleave buffers
      const run = queue.then(() => estimateNow(tiles, opts?.signal));
      queue = run.catch(() => undefined);
      return run;
    },
    async dispose() {
      await session.release();
    },
  };
}
