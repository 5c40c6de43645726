/**
 * The committed WebAssembly kernel is the compiled .wat (they never drift), it really uses
 * SIMD, and its memory handling (growth, reuse, unaligned views) keeps results exact.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../src/core/types.js';
import { LV_KERNEL_WASM_BASE64 } from '../src/plugins/estimators/lv-kernel.wasm.js';
import { laplacianStats } from '../src/plugins/estimators/lv.js';
import { buildLvKernelModule, compileWat, outPath, watPath } from '../scripts/build-wasm.js';
import { noise } from './helpers/streams-and-noise.js';


describe('lv WebAssembly kernel', () => {
  it('lv-kernel.wasm.ts equals a fresh compile of lv-kernel.wat', async () => {
    expect(readFileSync(outPath, 'utf8')).toBe(await buildLvKernelModule());
  });

  it('the module needs SIMD: it does not compile with SIMD disabled', async () => {
    const wabt = await (await import('wabt')).default();
    expect(() => wabt.parseWat('lv-kernel.wat', readFileSync(watPath, 'utf8'), { simd: false }).validate()).toThrow();
    const bytes = await compileWat(readFileSync(watPath, 'utf8'));
    expect(Buffer.from(bytes).toString('base64')).toBe(LV_KERNEL_WASM_BASE64);
  });

  it('grows its memory for a large tile and stays exact on smaller ones after', () => {
    const sizes: [number, number][] = [
      [17, 9],
      [1500, 1300],
      [33, 7],
      [512, 512],
      [1, 1],
    ];
    for (const [w, h] of sizes) {
      for (const c of [3, 4] as const) {
        const img = noise(w, h, c, w * 31 + h);
        expect(laplacianStats(img, { kernel: 'wasm' })).toEqual(laplacianStats(img, { kernel: 'js' }));
      }
    }
  });

  it('images beyond one 4 MiB block are summed in row blocks, exactly (incl. one row per block)', () => {
    for (const [w, h, c] of [
      [4000, 401, 3],
      [2049, 600, 4],
      [1_500_000, 3, 3],
    ] as const) {
      const img = noise(w, h, c, w + h);
      expect(laplacianStats(img, { kernel: 'wasm' }), `${String(w)}x${String(h)}x${String(c)}`).toEqual(laplacianStats(img, { kernel: 'js' }));
    }
  });

  it('reads a view at an odd byte offset and ignores bytes beyond the image', () => {
    const base = noise(41, 23, 3, 5);
    const big = new Uint8Array(base.data.length + 101);
    big.set(base.data, 7);
    big.fill(255, 7 + base.data.length);
    const view: RgbImage = { ...base, data: big.subarray(7) };
    expect(laplacianStats(view, { kernel: 'wasm' })).toEqual(laplacianStats(base, { kernel: 'js' }));
  });
});
