/**
 * kernel "auto" falls back to the JS kernel when WebAssembly SIMD does not validate (or
 * WebAssembly is absent), and kernel "wasm" then fails with E_UNSUPPORTED.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RgbImage } from '../src/core/types.js';

const tile: RgbImage = {
  data: Uint8Array.from({ length: 20 * 10 * 3 }, (_, i) => (i * 97) & 255),
  width: 20,
  height: 10,
  channels: 3,
};

async function freshLv(): Promise<typeof import('../src/plugins/estimators/lv.js')> {
  vi.resetModules();
  return import('../src/plugins/estimators/lv.js');
}

describe('lv kernel selection', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it('auto uses JS when WebAssembly.validate rejects the SIMD module', async () => {
    const real = globalThis.WebAssembly as unknown as Record<string, unknown>;
    const validate = vi.fn(() => false);
    vi.stubGlobal('WebAssembly', { validate, Module: real.Module, Instance: real.Instance });
    const lv = await freshLv();
    expect(lv.isLvKernelAvailable('wasm')).toBe(false);
    expect(lv.resolveLvKernel()).toBe('js');
    expect(validate).toHaveBeenCalledTimes(1);
    const expected = lv.laplacianStats(tile, { kernel: 'js' }).lv;
    expect(await lv.laplacianVariance().estimate([tile])).toEqual([{ lv: expected }]);
    expect(() => lv.laplacianVariance({ kernel: 'wasm' })).toThrow(expect.objectContaining({ code: 'E_UNSUPPORTED' }));
  });

  it('auto uses JS when there is no WebAssembly at all', async () => {
    vi.stubGlobal('WebAssembly', undefined);
    const lv = await freshLv();
    expect(lv.isLvKernelAvailable('wasm')).toBe(false);
    expect(lv.resolveLvKernel('auto')).toBe('js');
    expect(lv.varianceOfLaplacian(tile)).toBe(lv.varianceOfLaplacian(tile, { kernel: 'js' }));
  });

  it('auto uses the WASM kernel where SIMD validates', async () => {
    const lv = await freshLv();
    expect(lv.isLvKernelAvailable('wasm')).toBe(true);
    expect([lv.resolveLvKernel(), lv.resolveLvKernel('js'), lv.resolveLvKernel('wasm')]).toEqual(['wasm', 'js', 'wasm']);
  });
});
