/**
 * The "lv" blur estimator: variance of the Laplacian of OpenCV's gray image, exactly as
 * `cv2.Laplacian(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var()` (OpenCV 4.6):
 * gray = (9798 R + 19235 G + 3735 B + 16384) >> 15, kernel [[0,1,0],[1,-4,1],[0,1,0]],
 * BORDER_REFLECT_101 at the tile edge, population variance. Laplacian values are integers,
 * so the sums are exact and the variance is rounded once: the result equals OpenCV's up to
 * numpy's summation order (and the exact rational value to the last bit).
 */
import { EstimatorError, UnsupportedError, invalidArgument, throwIfAborted } from '../../core/errors.js';
import type { BlurEstimator, EstimatorOutput, RgbImage } from '../../core/types.js';
import { exactVariance } from './lv-exact.js';
import { lvSumsJs } from './lv-js.js';
import { loadLvWasmKernel, type LvSums } from './lv-wasm.js';

/** Version of the estimator's definition and kernels (bumped when values could change). */
export const LV_VERSION = '1.0.0';

/** Which implementation computes the sums: WebAssembly SIMD, plain JS, or the best available. */
export type LvKernel = 'auto' | 'wasm' | 'js';

export interface LaplacianVarianceOptions {
  /** the output name (key of the tile records); default "lv" */
  readonly id?: string;
  /** default "auto": WebAssembly SIMD when the runtime supports it, else JS */
  readonly kernel?: LvKernel;
}

/** Exact Laplacian statistics of one tile. */
export interface LaplacianStats {
  /** number of pixels (width * height) */
  readonly n: number;
  /** sum of the Laplacian values (an exact integer) */
  readonly sum: number;
  /** sum of the squared Laplacian values (an exact integer) */
  readonly sumSq: number;
  /** population variance of the Laplacian, (n*sumSq - sum^2) / n^2 rounded once */
  readonly lv: number;
}

const DESCRIPTION =
  'Variance of the Laplacian (OpenCV 4.6 exact: 15-bit RGB2GRAY, 3x3 Laplacian ksize 1, BORDER_REFLECT_101 at the tile edge, population variance)';

const sums = new Float64Array(2);

/** True when `kernel` can run here ("js" always can; "wasm" needs WebAssembly SIMD). */
export function isLvKernelAvailable(kernel: LvKernel): boolean {
  return kernel === 'js' || loadLvWasmKernel() !== undefined;
}

/** The kernel that `kernel` (default "auto") resolves to here: "wasm" or "js". */
export function resolveLvKernel(kernel: LvKernel = 'auto'): 'wasm' | 'js' {
  return resolveKernel(kernel) === lvSumsJs ? 'js' : 'wasm';
}

function resolveKernel(kernel: unknown): LvSums {
  if (kernel === undefined || kernel === 'auto') return loadLvWasmKernel() ?? lvSumsJs;
  if (kernel === 'js') return lvSumsJs;
  if (kernel === 'wasm') {
    const k = loadLvWasmKernel();
    if (k === undefined) {
      throw new UnsupportedError(
        'The "wasm" kernel of the lv estimator needs WebAssembly SIMD, which this runtime does not validate; use kernel "auto" or "js"',
        { plugin: 'lv' },
      );
    }
    return k;
  }
  throw invalidArgument('kernel', '"auto", "wasm" or "js"', kernel);
}

function describeSize(image: RgbImage): string {
  return `${String(image.width)}x${String(image.height)}x${String(image.channels)}`;
}

function checkImage(image: RgbImage, where: string): void {
  if (typeof image !== 'object' || image === null || !(image.data instanceof Uint8Array)) {
    throw new EstimatorError(`lv: ${where} is not an RgbImage with a Uint8Array "data"`, { plugin: 'lv', location: where });
  }
  const { width, height, channels } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new EstimatorError(
      `lv: cannot compute the variance of the Laplacian of ${where} of size ${describeSize(image)}; width and height must be positive finite integers`,
      { plugin: 'lv', location: where, data: { width, height } },
    );
  }
  if (channels !== 3 && channels !== 4) {
    throw new EstimatorError(`lv: ${where} of size ${describeSize(image)} has ${String(channels)} channels; expected 3 (RGB) or 4 (RGBA)`, {
      plugin: 'lv',
      location: where,
    });
  }
  const need = width * height * channels;
  if (image.data.length < need) {
    throw new EstimatorError(
      `lv: ${where} of size ${describeSize(image)} needs ${String(need)} bytes of pixels but its data holds ${String(image.data.length)}; check the stride (width * channels, no padding)`,
      { plugin: 'lv', location: where },
    );
  }
}

function statsWith(kernel: LvSums, image: RgbImage, where: string): LaplacianStats {
  const lv = lvWith(kernel, image, where);
  return { n: image.width * image.height, sum: sums[0]!, sumSq: sums[1]!, lv };
}

/** The hot path: validate, sum with the kernel (into `sums`), finish exactly. */
function lvWith(kernel: LvSums, image: RgbImage, where: string): number {
  checkImage(image, where);
  kernel(image.data, image.width, image.height, image.channels, sums);
  return exactVariance(image.width * image.height, sums[0]!, sums[1]!);
}

/**
 * Exact Laplacian statistics (n, sum, sum of squares, variance) of one RGB or RGBA image.
 * Throws EstimatorError (naming the size) for an empty or malformed image.
 * @example
 * const { lv, n } = laplacianStats({ data, width: 512, height: 512, channels: 3 });
 */
export function laplacianStats(image: RgbImage, options: { readonly kernel?: LvKernel } = {}): LaplacianStats {
  return statsWith(resolveKernel(options.kernel), image, 'image');
}

/**
 * Variance of the Laplacian of one RGB or RGBA image, equal to OpenCV's
 * `cv2.Laplacian(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var()`.
 * @example
 * const lv = varianceOfLaplacian({ data, width: 512, height: 512, channels: 3 }); // 391.71...
 */
export function varianceOfLaplacian(image: RgbImage, options: { readonly kernel?: LvKernel } = {}): number {
  return lvWith(resolveKernel(options.kernel), image, 'image');
}

/**
 * Creates the "lv" blur estimator (higher is sharper). Each tile gives one record
 * `{ [id ?? 'lv']: lv }`.
 * @example
 * const est = laplacianVariance();
 * const [rec] = await est.estimate([tile]); // { lv: 391.71 }
 */
export function laplacianVariance(options: LaplacianVarianceOptions | Readonly<Record<string, unknown>> = {}): BlurEstimator {
  const o = options as Readonly<Record<string, unknown>>;
  const id = o.id ?? 'lv';
  if (typeof id !== 'string' || id.length === 0) throw invalidArgument('id', 'a non-empty string', id);
  const kernel = resolveKernel(o.kernel);
  const outputs: readonly EstimatorOutput[] = [
    { name: id, unit: 'gray level^2', direction: 'higher-is-sharper', description: DESCRIPTION },
  ];
  return {
    name: 'lv',
    version: LV_VERSION,
    outputs,
    estimate(tiles: readonly RgbImage[], opts: { signal?: AbortSignal } = {}): Promise<Record<string, number>[]> {
      try {
        const records: Record<string, number>[] = new Array<Record<string, number>>(tiles.length);
        for (let i = 0; i < tiles.length; i++) {
          throwIfAborted(opts.signal, 'lv estimate');
          records[i] = { [id]: lvWith(kernel, tiles[i]!, `tile ${String(i)} of the batch`) };
        }
        return Promise.resolve(records);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new EstimatorError(String(err), { plugin: 'lv' }));
      }
    },
  };
}
