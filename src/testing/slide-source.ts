/**
 * Conformance suite for {@link SlideSource}: structure (levels, downsamples, mpp) and
 * `readRegion` behaviour every source must share (sizes, channels, outside pixels, determinism,
 * abort, close). Only checks that hold for any source; no pixel values of a particular slide.
 */
import type { LevelInfo, RgbImage, SlideSource } from '../core/types.js';
import { blurmmErrorCode, describeError, expectBlurmmRejection, settle, shared, type ExpectLike, type TestApi } from './test-api.js';

export interface SlideSourceExpectations {
  /** level-0 size, when the caller knows it */
  readonly width?: number;
  readonly height?: number;
  /** number of pyramid levels */
  readonly levelCount?: number;
  /** the `format` string */
  readonly format?: string;
  /** true: `mpp` must be set; false: must be undefined; omitted: either */
  readonly hasMpp?: boolean;
  /**
   * What `readRegion` does with an already aborted signal: "rejects" (default, with E_ABORTED)
   * or "resolves" (the source ignores the signal for small reads; the image must still be right).
   */
  readonly abort?: 'rejects' | 'resolves';
  /** pixels inside the image have alpha 255 in 4-channel reads (default true; false for sources with transparency) */
  readonly opaque?: boolean;
  /**
   * non-integer level-0 x/y reject with E_ARGUMENT (default true); false documents a source that
   * accepts them (and rounds), which this suite then does not check
   */
  readonly integerCoordinates?: boolean;
  /** per-case timeout in ms (default the runner's) */
  readonly timeoutMs?: number;
}

const WHITE = 255;

function expectImage(expect: ExpectLike, img: RgbImage, width: number, height: number, channels: 3 | 4, what: string): void {
  expect(img.width, `${what}: width`).toBe(width);
  expect(img.height, `${what}: height`).toBe(height);
  expect(img.channels, `${what}: channels`).toBe(channels);
  expect(img.data instanceof Uint8Array, `${what}: data is a Uint8Array`).toBe(true);
  expect(img.data.length, `${what}: data length = width * height * channels`).toBe(width * height * channels);
}

/** Index of the first pixel of `img` in the given rectangle (level px) that is not `value`; -1 when all are. */
function firstPixelNot(img: RgbImage, value: readonly number[], inRect: (col: number, row: number) => boolean): number {
  const c = img.channels;
  for (let row = 0; row < img.height; row++) {
    for (let col = 0; col < img.width; col++) {
      if (!inRect(col, row)) continue;
      const i = (row * img.width + col) * c;
      for (let k = 0; k < c; k++) if (img.data[i + k] !== value[k]) return row * img.width + col;
    }
  }
  return -1;
}

/** The downsamples a level of `w x h` can have given integer rounding of its size: [lo, hi]. */
function ratioRange(full: number, level: number): [number, number] {
  return [full / (level + 1), full / Math.max(level - 1, 0.5)];
}

function checkLevels(expect: ExpectLike, s: SlideSource): void {
  const levels: readonly LevelInfo[] = s.levels;
  expect(levels.length, 'levels is not empty').toBeGreaterThan(0);
  const l0 = levels[0]!;
  expect(l0.width, 'levels[0].width equals width').toBe(s.width);
  expect(l0.height, 'levels[0].height equals height').toBe(s.height);
  expect(Math.abs(l0.downsample - 1), 'levels[0].downsample is 1').toBeLessThanOrEqual(1e-9);
  levels.forEach((l, i) => {
    const at = `levels[${i}]`;
    expect(l.index, `${at}.index`).toBe(i);
    expect(Number.isInteger(l.width) && l.width > 0 && Number.isInteger(l.height) && l.height > 0, `${at} size ${l.width}x${l.height} is positive integers`).toBe(true);
    expect(Number.isFinite(l.downsample) && l.downsample >= 1, `${at}.downsample ${l.downsample} is finite and >= 1`).toBe(true);
    if (l.tileWidth !== undefined || l.tileHeight !== undefined) {
      expect(Number.isInteger(l.tileWidth) && (l.tileWidth ?? 0) > 0 && Number.isInteger(l.tileHeight) && (l.tileHeight ?? 0) > 0, `${at} tile size ${l.tileWidth}x${l.tileHeight} is positive integers`).toBe(true);
    }
    // the downsample is consistent with the level size (OpenSlide: mean of the x and y ratios)
    const [xlo, xhi] = ratioRange(s.width, l.width);
    const [ylo, yhi] = ratioRange(s.height, l.height);
    const lo = Math.min(xlo, ylo) * (1 - 1e-9);
    const hi = Math.max(xhi, yhi) * (1 + 1e-9);
    expect(l.downsample >= lo && l.downsample <= hi, `${at}.downsample ${l.downsample} fits its size ${l.width}x${l.height} of ${s.width}x${s.height} (between ${lo.toFixed(4)} and ${hi.toFixed(4)})`).toBe(true);
    if (i > 0) {
      const prev = levels[i - 1]!;
      expect(l.downsample, `${at}.downsample increases (finest first)`).toBeGreaterThan(prev.downsample);
      expect(l.width <= prev.width && l.height <= prev.height, `${at} ${l.width}x${l.height} is not larger than levels[${i - 1}] ${prev.width}x${prev.height}`).toBe(true);
    }
  });
}

function checkMpp(expect: ExpectLike, s: SlideSource): void {
  expect(typeof s.mppSource === 'string' && s.mppSource.length > 0, 'mppSource is a non-empty string').toBe(true);
  if (s.mpp === undefined) {
    s.levels.forEach((l, i) => expect(l.mpp, `levels[${i}].mpp is unset when the slide has no mpp`).toBe(undefined));
    return;
  }
  const m0 = s.mpp;
  expect(Number.isFinite(m0.x) && m0.x > 0 && Number.isFinite(m0.y) && m0.y > 0, `mpp ${m0.x} x ${m0.y} is finite and > 0`).toBe(true);
  s.levels.forEach((l, i) => {
    if (l.mpp === undefined) return;
    const at = `levels[${i}].mpp`;
    const rx = l.mpp.x / m0.x;
    const ry = l.mpp.y / m0.y;
    const [xlo, xhi] = ratioRange(s.width, l.width);
    const [ylo, yhi] = ratioRange(s.height, l.height);
    const near = (r: number) => Math.abs(r - l.downsample) <= 0.01 * l.downsample;
    expect((rx >= xlo * (1 - 1e-9) && rx <= xhi * (1 + 1e-9)) || near(rx), `${at}.x ${l.mpp.x} / ${m0.x} = ${rx} fits downsample ${l.downsample} (level width ${l.width} of ${s.width})`).toBe(true);
    expect((ry >= ylo * (1 - 1e-9) && ry <= yhi * (1 + 1e-9)) || near(ry), `${at}.y ${l.mpp.y} / ${m0.y} = ${ry} fits downsample ${l.downsample} (level height ${l.height} of ${s.height})`).toBe(true);
  });
}

/**
 * Registers the SlideSource conformance cases under `describe(name)`.
 *
 * `open` is called once for the shared instance (closed in `afterAll` when given) and once more
 * for each case that closes or aborts, so it must open a fresh source each call.
 *
 * @example
 * ```ts
 * import { describe, it, expect, afterAll } from 'vitest';
 * import { describeSlideSource } from 'blurmm/testing';
 * describeSlideSource({ describe, it, expect, afterAll }, 'my reader', () => openMySlide('a.slide'), { hasMpp: true });
 * ```
 */
export function describeSlideSource(api: TestApi, name: string, open: () => Promise<SlideSource>, expectations: SlideSourceExpectations = {}): void {
  const { describe, it, expect } = api;
  const t = expectations.timeoutMs;
  const source = shared(open);
  describe(name, () => {
    api.afterAll?.(async () => {
      if (source.created()) await (await source.get()).close();
    });

    it('describes itself: format, path, size, properties, associated images', async () => {
      const s = await source.get();
      expect(typeof s.format === 'string' && s.format.length > 0, 'format is a non-empty string').toBe(true);
      expect(typeof s.path === 'string' && s.path.length > 0, 'path is a non-empty string').toBe(true);
      expect(Number.isInteger(s.width) && s.width > 0 && Number.isInteger(s.height) && s.height > 0, `size ${s.width}x${s.height} is positive integers`).toBe(true);
      expect(Object.values(s.properties).every((v) => typeof v === 'string'), 'properties are strings').toBe(true);
      expect(Array.isArray(s.associatedImages) && s.associatedImages.every((n) => typeof n === 'string'), 'associatedImages are names').toBe(true);
      if (expectations.format !== undefined) expect(s.format, 'format').toBe(expectations.format);
      if (expectations.width !== undefined) expect(s.width, 'width').toBe(expectations.width);
      if (expectations.height !== undefined) expect(s.height, 'height').toBe(expectations.height);
      if (expectations.levelCount !== undefined) expect(s.levels.length, 'levels.length').toBe(expectations.levelCount);
    }, t);

    it('levels are finest first: level 0 is width x height at downsample 1, downsamples >= 1, increasing and consistent with level sizes', async () => {
      checkLevels(expect, await source.get());
    }, t);

    it('mpp, when present, is positive and consistent with each level downsample', async () => {
      const s = await source.get();
      if (expectations.hasMpp !== undefined) expect(s.mpp !== undefined, `mpp is ${expectations.hasMpp ? 'set' : 'unset'}`).toBe(expectations.hasMpp);
      checkMpp(expect, s);
    }, t);

    it('readRegion returns exactly width * height * channels bytes, RGB by default, with 3 and 4 channels', async () => {
      const s = await source.get();
      const w = Math.min(37, s.width);
      const h = Math.min(23, s.height);
      const x = Math.floor((s.width - w) / 2);
      const y = Math.floor((s.height - h) / 2);
      const def = await s.readRegion({ x, y, width: w, height: h, level: 0 });
      expectImage(expect, def, w, h, 3, 'default channels');
      const rgb = await s.readRegion({ x, y, width: w, height: h, level: 0, channels: 3 });
      expectImage(expect, rgb, w, h, 3, 'channels 3');
      expect(Buffer.compare(rgb.data, def.data), 'channels 3 equals the default read').toBe(0);
      const rgba = await s.readRegion({ x, y, width: w, height: h, level: 0, channels: 4 });
      expectImage(expect, rgba, w, h, 4, 'channels 4');
      // wherever the RGBA read is opaque, its RGB equals the 3-channel read
      let opaque = 0;
      for (let p = 0; p < w * h; p++) {
        if (rgba.data[p * 4 + 3] !== 255) continue;
        opaque++;
        const same = rgba.data[p * 4] === rgb.data[p * 3] && rgba.data[p * 4 + 1] === rgb.data[p * 3 + 1] && rgba.data[p * 4 + 2] === rgb.data[p * 3 + 2];
        if (!same) expect(same, `pixel ${p % w},${Math.floor(p / w)}: RGBA ${rgba.data.subarray(p * 4, p * 4 + 4).join(',')} vs RGB ${rgb.data.subarray(p * 3, p * 3 + 3).join(',')}`).toBe(true);
      }
      if (expectations.opaque !== false) expect(opaque, 'every pixel inside the image is opaque (alpha 255)').toBe(w * h);
    }, t);

    it('pixels outside the image are white with 3 channels and transparent (0,0,0,0) with 4', async () => {
      const s = await source.get();
      const inW = Math.min(10, s.width);
      const inH = Math.min(8, s.height);
      const req = { x: s.width - inW, y: s.height - inH, width: inW + 14, height: inH + 9, level: 0 };
      const outside = (col: number, row: number) => col >= inW || row >= inH;
      const rgb = await s.readRegion({ ...req, channels: 3 });
      expectImage(expect, rgb, req.width, req.height, 3, 'bottom-right corner, 3 channels');
      expect(firstPixelNot(rgb, [WHITE, WHITE, WHITE], outside), 'first non-white pixel past the bottom-right corner (-1: none)').toBe(-1);
      const rgba = await s.readRegion({ ...req, channels: 4 });
      expectImage(expect, rgba, req.width, req.height, 4, 'bottom-right corner, 4 channels');
      expect(firstPixelNot(rgba, [0, 0, 0, 0], outside), 'first non-transparent pixel past the bottom-right corner (-1: none)').toBe(-1);
      const before = { x: -40, y: -30, width: 16, height: 12, level: 0 };
      const whiteAll = await s.readRegion({ ...before, channels: 3 });
      expectImage(expect, whiteAll, 16, 12, 3, 'above-left of the image, 3 channels');
      expect(firstPixelNot(whiteAll, [WHITE, WHITE, WHITE], () => true), 'first non-white pixel above-left of the image').toBe(-1);
      const clearAll = await s.readRegion({ ...before, channels: 4 });
      expect(firstPixelNot(clearAll, [0, 0, 0, 0], () => true), 'first non-transparent pixel above-left of the image').toBe(-1);
      // straddling the top-left corner: the part at negative coordinates is white
      const straddle = await s.readRegion({ x: -5, y: -3, width: 12, height: 9, level: 0, channels: 3 });
      expect(firstPixelNot(straddle, [WHITE, WHITE, WHITE], (col, row) => col < 5 || row < 3), 'first non-white pixel at negative coordinates').toBe(-1);
    }, t);

    it('every level reads at its size, and past its bottom-right edge it is white', async () => {
      const s = await source.get();
      for (const l of s.levels) {
        const x = Math.round((l.width - 4) * l.downsample);
        const y = Math.round((l.height - 4) * l.downsample);
        const img = await s.readRegion({ x, y, width: 12, height: 12, level: l.index, channels: 3 });
        expectImage(expect, img, 12, 12, 3, `level ${l.index} corner`);
        // columns/rows from 6 on are at least 2 level pixels past the edge
        expect(firstPixelNot(img, [WHITE, WHITE, WHITE], (col, row) => col >= 6 || row >= 6), `level ${l.index}: first non-white pixel past the edge`).toBe(-1);
        const mid = await s.readRegion({ x: Math.floor(s.width / 3), y: Math.floor(s.height / 3), width: Math.min(19, l.width), height: Math.min(11, l.height), level: l.index, channels: 4 });
        expectImage(expect, mid, Math.min(19, l.width), Math.min(11, l.height), 4, `level ${l.index} middle, 4 channels`);
      }
    }, t);

    it('the same region read twice, and concurrently, is identical', async () => {
      const s = await source.get();
      const last = s.levels.length - 1;
      for (const level of new Set([0, last])) {
        const l = s.levels[level]!;
        const req = { x: Math.floor(s.width / 4) + 1, y: Math.floor(s.height / 5) + 2, width: Math.min(53, l.width), height: Math.min(41, l.height), level };
        const a = await s.readRegion(req);
        const b = await s.readRegion(req);
        const [c, d] = await Promise.all([s.readRegion(req), s.readRegion(req)]);
        expect(Buffer.compare(a.data, b.data), `level ${level}: second read equals the first`).toBe(0);
        expect(Buffer.compare(a.data, c.data) === 0 && Buffer.compare(a.data, d.data) === 0, `level ${level}: concurrent reads equal the first`).toBe(true);
      }
    }, t);

    it('a level index that does not exist rejects with a BlurmmError', async () => {
      const s = await source.get();
      for (const level of [s.levels.length, -1]) {
        const r = await settle(() => s.readRegion({ x: 0, y: 0, width: 4, height: 4, level }));
        expect(r.ok, `level ${level} of ${s.levels.length}: rejects`).toBe(false);
        if (!r.ok) expectBlurmmRejection(expect, r, ['E_ARGUMENT'], `level ${level}`);
      }
    }, t);

    it('an empty, negative or fractional size, a fractional level and a bad channel count reject with E_ARGUMENT', async () => {
      const s = await source.get();
      const ok = { x: 0, y: 0, width: 4, height: 4, level: 0 };
      const bad: [string, object][] = [
        ['width 0', { width: 0 }],
        ['height -3', { height: -3 }],
        ['width 4.5', { width: 4.5 }],
        ['level 0.5', { level: 0.5 }],
        ['channels 2', { channels: 2 }],
      ];
      if (expectations.integerCoordinates !== false) bad.push(['x 0.5', { x: 0.5 }], ['y 1.25', { y: 1.25 }]);
      for (const [what, change] of bad) {
        const r = await settle(() => s.readRegion({ ...ok, ...change } as typeof ok));
        const err = expectBlurmmRejection(expect, r, ['E_ARGUMENT'], `readRegion with ${what}`);
        expect(err.message.length, `readRegion with ${what}: the message says what was expected`).toBeGreaterThan(10);
      }
    }, t);

    it('associated images read as whole images; an unknown name rejects with E_NOT_FOUND', async () => {
      const s = await source.get();
      if (s.associatedImages.length > 0) expect(typeof s.readAssociatedImage, 'readAssociatedImage exists when associatedImages is not empty').toBe('function');
      if (!s.readAssociatedImage) return;
      for (const n of s.associatedImages) {
        const img = await s.readAssociatedImage(n);
        expect(Number.isInteger(img.width) && img.width > 0 && Number.isInteger(img.height) && img.height > 0, `associated image "${n}" size ${img.width}x${img.height}`).toBe(true);
        expect(img.channels === 3 || img.channels === 4, `associated image "${n}" channels ${img.channels}`).toBe(true);
        expect(img.data.length, `associated image "${n}" data length`).toBe(img.width * img.height * img.channels);
      }
      const r = await settle(() => s.readAssociatedImage!('conformance-no-such-image'));
      const err = expectBlurmmRejection(expect, r, ['E_NOT_FOUND'], 'unknown associated image');
      expect(err.message, 'the message names the missing image').toContain('conformance-no-such-image');
    }, t);

    const abort = expectations.abort ?? 'rejects';
    it(abort === 'rejects' ? 'an already aborted signal rejects with E_ABORTED' : 'an already aborted signal still resolves with the right image (documented: this source does not check the signal)', async () => {
      const s = await open();
      try {
        const controller = new AbortController();
        controller.abort(new Error('test abort'));
        const req = { x: 0, y: 0, width: Math.min(16, s.width), height: Math.min(16, s.height), level: 0, signal: controller.signal };
        const r = await settle(() => s.readRegion(req));
        if (abort === 'rejects') expectBlurmmRejection(expect, r, ['E_ABORTED'], 'aborted readRegion');
        else {
          expect(r.ok, `aborted readRegion resolves${r.ok ? '' : `, got ${describeError(r.error)}`}`).toBe(true);
          if (r.ok) expectImage(expect, r.value, req.width, req.height, 3, 'aborted read');
        }
      } finally {
        await s.close();
      }
    }, t);

    it('close() resolves and is idempotent (a second close resolves too); readRegion after close rejects with a BlurmmError', async () => {
      const s = await open();
      await s.readRegion({ x: 0, y: 0, width: 4, height: 4, level: 0 });
      const first = await settle(() => s.close());
      expect(first.ok, `first close: ${first.ok ? 'ok' : describeError(first.error)}`).toBe(true);
      const second = await settle(() => s.close());
      expect(second.ok, `second close: ${second.ok ? 'ok' : describeError(second.error)}`).toBe(true);
      const after = await settle(() => s.readRegion({ x: 0, y: 0, width: 4, height: 4, level: 0 }));
      expect(after.ok, 'readRegion after close rejects').toBe(false);
      if (!after.ok) expect(blurmmErrorCode(after.error) !== undefined, `readRegion after close: ${describeError(after.error)} is a BlurmmError`).toBe(true);
    }, t);
  });
}
