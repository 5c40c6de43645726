/** The built-in registration: "lv" is an estimator factory that resolves to this estimator. */
import { describe, expect, it } from 'vitest';
import { registerBuiltins } from '../src/builtins.js';
import { estimatorRegistry } from '../src/core/registries.js';

describe('lv registration', () => {
  it('registerBuiltins() registers "lv", and the factory honours its options', async () => {
    registerBuiltins();
    const est = await estimatorRegistry.get('lv')({ id: 'sharpness', kernel: 'js' });
    expect(est.name).toBe('lv');
    expect(est.outputs.map((o) => o.name)).toEqual(['sharpness']);
    // a 3x3 image, black but for a gray (100) centre pixel
    const data = new Uint8Array(27);
    data.fill(100, 12, 15);
    const [rec] = await est.estimate([{ data, width: 3, height: 3, channels: 3 }]);
    // reflect-101 mirrors the centre's neighbours: lap = [0,200,0,200,-400,200,0,200,0] on 3x3
    expect(rec).toEqual({ sharpness: (9 * (4 * 200 ** 2 + 400 ** 2) - 400 ** 2) / 81 });
  });
});
