/**
 * The x2 INTER_AREA WebAssembly SIMD kernel: the committed module is the compiled .wat, it needs
 * SIMD, and it gives the same bytes as the JS path ((a + b + c + d + 2) >> 2, OpenCV 4.6) at every
 * width, for RGB and RGBA, one-shot and streamed, across row blocks and for rows wider than a block.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RgbImage } from '../src/core/types.js';
import { createAreaResizer, resizeArea } from '../src/core/resample.js';
import { loadHalf2Kernel } from '../src/core/resample-half2.js';
import { HALF2_KERNEL_WASM_BASE64 } from '../src/core/resample-half2.wasm.js';
import { buildHalf2KernelModule, compileWat, half2OutPath, half2WatPath } from '../scripts/build-wasm.js';
import { noise } from './helpers/streams-and-noise.js';


/** the definition, pixel by pixel */
function half2Reference(img: RgbImage): Uint8Array {
  const w = img.width >> 1;
  const h = img.height >> 1;
  const cn = img.channels;
  const out = new Uint8Array(w * h * cn);
  const at = (y: number, x: number, c: number): number => img.data[(y * img.width + x) * cn + c]!;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < cn; c++) {
        out[(y * w + x) * cn + c] = (at(2 * y, 2 * x, c) + at(2 * y, 2 * x + 1, c) + at(2 * y + 1, 2 * x, c) + at(2 * y + 1, 2 * x + 1, c) + 2) >> 2;
      }
    }
  }
  return out;
}

/** resample.ts loaded with no WebAssembly in the runtime (until the test ends): the JS x2 path */
async function jsResample(): Promise<typeof import('../src/core/resample.js')> {
  vi.resetModules();
  vi.stubGlobal('WebAssembly', undefined);
  const m = await import('../src/core/resample.js');
  const k = await import('../src/core/resample-half2.js');
  expect(k.loadHalf2Kernel()).toBeUndefined();
  return m;
}

// the statically imported kernel is instantiated before any test stubs WebAssembly away
const kernel = loadHalf2Kernel();

afterEach(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
});

describe('x2 WebAssembly kernel', () => {
  it('resample-half2.wasm.ts equals a fresh compile of resample-half2.wat', async () => {
    expect(readFileSync(half2OutPath, 'utf8')).toBe(await buildHalf2KernelModule());
  });

  it('the module needs SIMD and is the one loaded here', async () => {
    const wabt = await (await import('wabt')).default();
    expect(() => wabt.parseWat('resample-half2.wat', readFileSync(half2WatPath, 'utf8'), { simd: false }).validate()).toThrow();
    const bytes = await compileWat(readFileSync(half2WatPath, 'utf8'), 'resample-half2.wat');
    expect(Buffer.from(bytes).toString('base64')).toBe(HALF2_KERNEL_WASM_BASE64);
    expect(kernel).toBeTypeOf('function');
    expect(loadHalf2Kernel()).toBe(kernel);
  });

  it('equals the definition and the JS path at every output width 1..40, heights 1..3, RGB and RGBA', async () => {
    const js = await jsResample();
    for (const cn of [3, 4] as const) {
      for (let w = 1; w <= 40; w++) {
        for (let h = 1; h <= 3; h++) {
          const img = noise(2 * w, 2 * h, cn, w * 97 + h * 5 + cn);
          const got = resizeArea(img, w, h).data;
          const tag = `${String(w)}x${String(h)}x${String(cn)}`;
          expect(Buffer.from(got).equals(Buffer.from(half2Reference(img))), tag).toBe(true);
          expect(Buffer.from(got).equals(Buffer.from(js.resizeArea(img, w, h).data)), tag).toBe(true);
        }
      }
    }
  });

  it('extremes: all 255 stays 255, all 0 stays 0, ties round up (1+1+1+0 -> 1, 1+1+0+0 -> 1, 1+0+0+0 -> 0)', () => {
    for (const cn of [3, 4] as const) {
      for (const v of [0, 255]) {
        const img: RgbImage = { data: new Uint8Array(64 * 6 * cn).fill(v), width: 64, height: 6, channels: cn };
        expect(resizeArea(img, 32, 3).data.every((x) => x === v)).toBe(true);
      }
      for (const [pattern, want] of [
        [[1, 1, 1, 0], 1],
        [[1, 1, 0, 0], 1],
        [[1, 0, 0, 0], 0],
        [[255, 255, 255, 254], 255],
      ] as const) {
        const w = 19;
        const img: RgbImage = { data: new Uint8Array(2 * w * 2 * cn), width: 2 * w, height: 2, channels: cn };
        for (let x = 0; x < w; x++) {
          for (let c = 0; c < cn; c++) {
            img.data[(2 * x) * cn + c] = pattern[0];
            img.data[(2 * x + 1) * cn + c] = pattern[1];
            img.data[(2 * w + 2 * x) * cn + c] = pattern[2];
            img.data[(2 * w + 2 * x + 1) * cn + c] = pattern[3];
          }
        }
        expect([...new Set(resizeArea(img, w, 1).data)]).toEqual([want]);
      }
    }
  });

  it('streams in odd strips, spans several row blocks, handles rows wider than a block and unaligned Buffers', async () => {
    const js = await jsResample();
    for (const [w, h, cn] of [
      [1200, 302, 3],
      [1034, 200, 4],
      [90_002, 6, 3],
      [70_000, 4, 4],
    ] as const) {
      const img = noise(w, h, cn, w + h + cn);
      const want = half2Reference(img);
      const tag = `${String(w)}x${String(h)}x${String(cn)}`;
      expect(Buffer.from(resizeArea(img, w / 2, h / 2).data).equals(Buffer.from(want)), tag).toBe(true);
      expect(Buffer.from(js.resizeArea(img, w / 2, h / 2).data).equals(Buffer.from(want)), tag).toBe(true);
      // strips of 1, 3, 5, ... rows, from an unaligned Buffer
      const r = createAreaResizer(w, h, w / 2, h / 2, cn);
      const stride = w * cn;
      const buf = Buffer.alloc(img.data.length + 1);
      buf.set(img.data, 1);
      for (let y = 0, n = 1; y < h; y += n, n += 2) {
        const rows = Math.min(n, h - y);
        r.push(buf.subarray(1 + y * stride, 1 + (y + rows) * stride), rows);
      }
      expect(Buffer.from(r.finish().data).equals(Buffer.from(want)), `${tag} streamed`).toBe(true);
    }
  });

  it('falls back to the JS path when WebAssembly.validate rejects the SIMD module', async () => {
    const real = globalThis.WebAssembly as unknown as Record<string, unknown>;
    const validate = vi.fn(() => false);
    vi.resetModules();
    vi.stubGlobal('WebAssembly', { validate, Module: real.Module, Instance: real.Instance });
    const k = await import('../src/core/resample-half2.js');
    const m = await import('../src/core/resample.js');
    expect(k.loadHalf2Kernel()).toBeUndefined();
    const img = noise(66, 10, 3, 7);
    expect(Buffer.from(m.resizeArea(img, 33, 5).data).equals(Buffer.from(half2Reference(img)))).toBe(true);
    expect(validate).toHaveBeenCalled();
  });
});
