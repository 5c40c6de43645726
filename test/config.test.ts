import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, isBlurmmError } from '../src/core/errors.js';
import { loadConfig, validateConfig } from '../src/core/config.js';
import { createRouterFromConfig } from '../src/core/build.js';

function configError(input: unknown): ConfigError {
  try {
    validateConfig(input);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('config validation', () => {
  it('fills defaults: blur QC with LV, DeepBlurMM thresholds, no models, p75', () => {
    const c = validateConfig({});
    expect(c.tiling).toEqual({ tileSize: 512, overlap: 0, edge: 'partial' });
    expect(c.tissue).toEqual({ enabled: true, thumbnailMaxSide: 1024, minTissueFraction: 0.25, threshold: null });
    expect(c.estimators).toEqual([{ name: 'lv' }]);
    expect(c.routing).toEqual({ preset: 'deepblurmm', output: 'lv', sharpAbove: 25, severeBelow: 2 });
    expect(c.models).toEqual([]);
    expect(c.aggregation).toEqual({ percentile: 75, include: ['percentile', 'mean', 'max'] });
    const r = createRouterFromConfig(c.routing);
    expect(r.rules.map((x) => [x.label, x.model])).toEqual([['sharp', 'base'], ['moderate', 'sigma0.5'], ['severe', 'sigma1.0']]);
  });

  it('names the JSON pointer, the rule broken and the value received', () => {
    const e = configError({ tiling: { tileSize: 4 } });
    expect(e.code).toBe('E_CONFIG');
    expect(e.pointer).toBe('/tiling/tileSize');
    expect(e.message).toContain('config /tiling/tileSize must be >= 8 (got 4)');
    expect(configError({ tiling: { edge: 'wrap' } }).message).toContain('/tiling/edge must be one of "partial", "skip", "pad" (got "wrap")');
    expect(configError({ tiling: { tileSze: 512 } }).message).toContain('/tiling has an unknown property "tileSze"');
    expect(configError({ tiling: { mpp: 0.5, level: 1 } }).message).toContain('must not set both "mpp" and "level"');
  });

  it('reports every problem, each with its pointer', () => {
    const e = configError({ tissue: { minTissueFraction: 2 }, aggregation: { percentile: -1 } });
    expect(e.issues.map((i) => i.pointer).sort()).toEqual(['/aggregation/percentile', '/tissue/minTissueFraction']);
  });

  it('validates model entries through schemas/model.schema.json', () => {
    const e = configError({ models: [{ id: 'base', backend: 'onnxruntime', path: 'm.onnx', preprocess: { size: 224, layout: 'NCWH' } }] });
    expect(e.pointer).toBe('/models/0/preprocess/layout');
    const dup = configError({ models: [
      { id: 'a', backend: 'onnxruntime', path: 'm.onnx', preprocess: { size: 224 } },
      { id: 'a', backend: 'onnxruntime', path: 'n.onnx', preprocess: { size: 224 } },
    ] });
    expect(dup.message).toContain('/models/1/id "a" is used twice');
  });

  it('validates custom routing rules and explicit bounds', () => {
    const ok = validateConfig({ routing: { rules: [{ label: 'sharp', when: [{ output: 'lv', min: { value: 25, inclusive: false } }], model: null }], fallback: { label: 'other' } } });
    expect('rules' in ok.routing && ok.routing.rules[0]!.when[0]!.min).toEqual({ value: 25, inclusive: false });
    const e = configError({ routing: { rules: [{ label: 'x', when: [{ output: 'lv', min: { value: 25 } }], model: null }] } });
    expect(e.issues.some((i) => i.pointer === '/routing/rules/0/when/0/min' && i.message.includes('inclusive'))).toBe(true);
  });

  it('loadConfig resolves relative model paths against the config file and names bad JSON files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blurmm-config-'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ models: [{ id: 'base', backend: 'onnxruntime', path: 'models/base.onnx', preprocess: { size: 64 } }] }));
    const c = await loadConfig(join(dir, 'c.json'));
    expect(c.models[0]!.path).toBe(join(dir, 'models', 'base.onnx'));
    writeFileSync(join(dir, 'bad.json'), '{ "tiling": ');
    await expect(loadConfig(join(dir, 'bad.json'))).rejects.toThrow(/bad\.json is not valid JSON/);
    const missing = await loadConfig(join(dir, 'none.json')).catch((e: unknown) => e);
    expect(isBlurmmError(missing, 'E_NOT_FOUND')).toBe(true);
  });
});
