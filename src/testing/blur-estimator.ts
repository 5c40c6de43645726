/**
 * Conformance suite for {@link BlurEstimator}: self-description, one finite record per tile,
 * batch/order independence, the declared direction under blur, empty and malformed input.
 */
import type { BlurEstimator, RgbImage } from '../core/types.js';
import { describeError, expectBlurmmRejection, settle, shared, type TestApi } from './test-api.js';
import { seededRandom } from '../plugins/train/stats.js';

export interface BlurEstimatorSuiteOptions {
  /** side of the generated tiles in px (default 256; at least the estimator's minimum tile) */
  readonly tileSize?: number;
  /**
   * sharp, textured RGB tiles to test with (at least 2, of sizes the estimator accepts); default:
   * seeded synthetic texture, two `tileSize` squares and one `tileSize` x (`tileSize` + 37)
   */
  readonly tiles?: () => readonly RgbImage[] | Promise<readonly RgbImage[]>;
  /** box-blur radius used for the direction check (default 3: a 7x7 box) */
  readonly blurRadius?: number;
  /** an RGBA tile with alpha 255 scores as its RGB (default true) */
  readonly rgbaLikeRgb?: boolean;
  /** what `estimate` does with an already aborted signal: "rejects" (default, E_ABORTED) or "resolves" */
  readonly abort?: 'rejects' | 'resolves';
  readonly timeoutMs?: number;
}

const rng = seededRandom;

/**
 * A seeded synthetic sharp tile: tissue-like blobs (pink/purple on light background) with
 * hard edges and fine grain, so any focus measure sees high-frequency content.
 */
export function texturedTile(size: number, seed: number, height = size): RgbImage {
  const r = rng(seed);
  const data = new Uint8Array(size * height * 3);
  const blobs = Array.from({ length: Math.max(8, Math.round((size * height) / 900)) }, () => ({ x: r() * size, y: r() * height, rad: 3 + r() * 12, dark: r() < 0.5 }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < size; x++) {
      let v = [236, 200, 222];
      for (const b of blobs) {
        const dx = x - b.x;
        const dy = y - b.y;
        if (dx * dx + dy * dy <= b.rad * b.rad) v = b.dark ? [70, 40, 120] : [200, 110, 160];
      }
      const i = (y * size + x) * 3;
      const grain = (r() - 0.5) * 40;
      for (let k = 0; k < 3; k++) data[i + k] = Math.max(0, Math.min(255, Math.round(v[k]! + grain)));
    }
  }
  return { data, width: size, height, channels: 3 };
}

/** Box blur of side 2 * radius + 1 with edge clamping (separable, integer rounding). */
export function boxBlur(img: RgbImage, radius: number): RgbImage {
  const { width, height, channels: c } = img;
  const pass = (src: Uint8Array, horizontal: boolean): Uint8Array => {
    const out = new Uint8Array(src.length);
    const n = 2 * radius + 1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let k = 0; k < c; k++) {
          let sum = 0;
          for (let d = -radius; d <= radius; d++) {
            const xx = horizontal ? Math.min(width - 1, Math.max(0, x + d)) : x;
            const yy = horizontal ? y : Math.min(height - 1, Math.max(0, y + d));
            sum += src[(yy * width + xx) * c + k]!;
          }
          out[(y * width + x) * c + k] = Math.round(sum / n);
        }
      }
    }
    return out;
  };
  return { width, height, channels: c, data: pass(pass(img.data, true), false) };
}

function toRgba(img: RgbImage): RgbImage {
  const n = img.width * img.height;
  const data = new Uint8Array(n * 4);
  for (let p = 0; p < n; p++) {
    data[p * 4] = img.data[p * 3]!;
    data[p * 4 + 1] = img.data[p * 3 + 1]!;
    data[p * 4 + 2] = img.data[p * 3 + 2]!;
    data[p * 4 + 3] = 255;
  }
  return { data, width: img.width, height: img.height, channels: 4 };
}

/**
 * Registers the BlurEstimator conformance cases under `describe(name)`. `create` is called once;
 * the estimator is disposed in `afterAll` when given.
 *
 * @example
 * ```ts
 * import { describe, it, expect, afterAll } from 'vitest';
 * import { describeBlurEstimator } from 'blurmm/testing';
 * describeBlurEstimator({ describe, it, expect, afterAll }, 'tenengrad', () => tenengrad({}));
 * ```
 */
export function describeBlurEstimator(api: TestApi, name: string, create: () => Promise<BlurEstimator> | BlurEstimator, options: BlurEstimatorSuiteOptions = {}): void {
  const { describe, it, expect } = api;
  const t = options.timeoutMs;
  const size = options.tileSize ?? 256;
  const radius = options.blurRadius ?? 3;
  const estimator = shared(create);
  const tiles = shared(async () => {
    const list = options.tiles ? await options.tiles() : [texturedTile(size, 1), texturedTile(size, 2), texturedTile(size, 3, size + 37)];
    if (list.length < 2) throw new Error('describeBlurEstimator: options.tiles must give at least 2 tiles');
    return list;
  });

  const finiteRecord = (e: BlurEstimator, rec: Record<string, number> | undefined, what: string): void => {
    expect(typeof rec === 'object' && rec !== null, `${what}: is a record`).toBe(true);
    for (const o of e.outputs) {
      const v = rec?.[o.name];
      expect(typeof v === 'number' && Number.isFinite(v), `${what}: output "${o.name}" is a finite number (got ${String(v)})`).toBe(true);
    }
  };

  describe(name, () => {
    api.afterAll?.(async () => {
      if (estimator.created()) await (await estimator.get()).dispose?.();
    });

    it('has a name, a version and declared outputs with unique names, units and a direction', async () => {
      const e = await estimator.get();
      expect(typeof e.name === 'string' && e.name.length > 0, 'name is a non-empty string').toBe(true);
      expect(typeof e.version === 'string' && e.version.length > 0, 'version is a non-empty string').toBe(true);
      expect(Array.isArray(e.outputs) && e.outputs.length > 0, 'outputs is a non-empty array').toBe(true);
      const names = e.outputs.map((o) => o.name);
      expect(new Set(names).size, `output names are unique: ${names.join(', ')}`).toBe(names.length);
      for (const o of e.outputs) {
        expect(typeof o.name === 'string' && o.name.length > 0, 'output name is non-empty').toBe(true);
        expect(typeof o.unit, `output "${o.name}" unit`).toBe('string');
        expect(['higher-is-sharper', 'higher-is-blurrier'].includes(o.direction), `output "${o.name}" direction "${o.direction}"`).toBe(true);
      }
    }, t);

    it('returns one record per tile with every declared output finite, and leaves the tiles untouched', async () => {
      const e = await estimator.get();
      const list = await tiles.get();
      const copies = list.map((x) => Uint8Array.from(x.data));
      const out = await e.estimate(list);
      expect(Array.isArray(out), 'estimate resolves to an array').toBe(true);
      expect(out.length, 'one record per tile').toBe(list.length);
      out.forEach((rec, i) => finiteRecord(e, rec, `tile ${i}`));
      list.forEach((x, i) => expect(Buffer.compare(x.data, copies[i]!), `tile ${i} pixels unchanged`).toBe(0));
    }, t);

    it('a batch gives exactly the records of one-by-one calls, in order, and reordering the batch reorders the records', async () => {
      const e = await estimator.get();
      const list = await tiles.get();
      const batch = await e.estimate(list);
      const singles = [];
      for (const x of list) singles.push((await e.estimate([x]))[0]);
      expect(batch, 'batch records equal one-by-one records').toEqual(singles);
      const reversed = await e.estimate([...list].reverse());
      expect(reversed, 'records of the reversed batch are the batch records reversed').toEqual([...batch].reverse());
    }, t);

    it(`a box blur (radius ${radius}) of a textured tile moves every output in its declared direction`, async () => {
      const e = await estimator.get();
      const list = await tiles.get();
      const sharp = list[0]!;
      const [a, b] = await e.estimate([sharp, boxBlur(sharp, radius)]);
      finiteRecord(e, a, 'sharp tile');
      finiteRecord(e, b, 'blurred tile');
      for (const o of e.outputs) {
        const before = a![o.name]!;
        const after = b![o.name]!;
        if (o.direction === 'higher-is-sharper') expect(after, `"${o.name}" (higher is sharper): blurred ${after} < sharp ${before}`).toBeLessThan(before);
        else expect(after, `"${o.name}" (higher is blurrier): blurred ${after} > sharp ${before}`).toBeGreaterThan(before);
      }
    }, t);

    if (options.rgbaLikeRgb !== false) {
      it('an opaque RGBA tile scores as its RGB', async () => {
        const e = await estimator.get();
        const sharp = (await tiles.get())[0]!;
        const [rgb, rgba] = await e.estimate([sharp, toRgba(sharp)]);
        expect(rgba, 'RGBA (alpha 255) record equals the RGB record').toEqual(rgb);
      }, t);
    }

    it('an empty batch resolves to []', async () => {
      const e = await estimator.get();
      expect(await e.estimate([]), 'estimate([])').toEqual([]);
    }, t);

    it('a 0x0 tile, a tile whose data is too short and an unsupported channel count reject with E_ESTIMATOR or E_ARGUMENT', async () => {
      const e = await estimator.get();
      const sharp = (await tiles.get())[0]!;
      const bad: [string, RgbImage][] = [
        ['0x0 tile', { data: new Uint8Array(0), width: 0, height: 0, channels: 3 }],
        ['data shorter than width * height * channels', { data: sharp.data.subarray(0, sharp.data.length - 7), width: sharp.width, height: sharp.height, channels: 3 }],
        ['channels 2', { data: sharp.data.subarray(0, sharp.width * sharp.height * 2), width: sharp.width, height: sharp.height, channels: 2 as 3 }],
      ];
      for (const [what, tile] of bad) {
        const r = await settle(() => e.estimate([tile]));
        const err = expectBlurmmRejection(expect, r, ['E_ESTIMATOR', 'E_ARGUMENT'], what);
        expect(err.message.length, `${what}: the message says what is wrong (${describeError(err)})`).toBeGreaterThan(10);
      }
    }, t);

    const abort = options.abort ?? 'rejects';
    it(abort === 'rejects' ? 'an already aborted signal rejects with E_ABORTED' : 'an already aborted signal still resolves with the same records (documented: this estimator does not check the signal)', async () => {
      const e = await estimator.get();
      const list = await tiles.get();
      const controller = new AbortController();
      controller.abort(new Error('test abort'));
      const r = await settle(() => e.estimate(list, { signal: controller.signal }));
      if (abort === 'rejects') expectBlurmmRejection(expect, r, ['E_ABORTED'], 'aborted estimate');
      else {
        expect(r.ok, `aborted estimate resolves${r.ok ? '' : `, got ${describeError(r.error)}`}`).toBe(true);
        if (r.ok) expect(r.value, 'records of the aborted call').toEqual(await e.estimate(list));
      }
    }, t);

    it('concurrent calls give the same records as sequential ones', async () => {
      const e = await estimator.get();
      const list = await tiles.get();
      const sequential = [];
      for (const x of list) sequential.push(await e.estimate([x, x]));
      const concurrent = await Promise.all(list.map((x) => e.estimate([x, x])));
      expect(concurrent, 'concurrent records').toEqual(sequential);
    }, t);
  });
}
