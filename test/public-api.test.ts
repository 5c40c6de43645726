import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as blurmm from '../src/index.js';
import { repoRoot } from './helpers/shared-data.js';

describe('public API', () => {
  it('exports the documented names (snapshot: a change here is an API change)', () => {
    expect(Object.keys(blurmm).sort()).toMatchSnapshot();
  });

  it('core functions are typed', () => {
    const r = blurmm.createRouter({ rules: blurmm.deepBlurMMRules() });
    expect(r.route({ lv: 30 }).model).toBe('base');
    expect(blurmm.isBlurmmError(new blurmm.ConfigError('x', []), 'E_CONFIG')).toBe(true);
  });

  const dist = join(repoRoot, 'dist');
  it.runIf(existsSync(join(dist, 'index.js')))('importing the built package (ESM and CJS) loads no native addon until a plugin needs one', () => {
    const probe = (code: string) =>
      spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', cwd: repoRoot });
    const watch = `const loaded = []; const dl = process.dlopen; process.dlopen = function (m, f, ...r) { loaded.push(f); return dl.call(this, m, f, ...r); };`;
    const esm = probe(`${watch} await import(${JSON.stringify(join(dist, 'index.js'))}); console.log(JSON.stringify(loaded));`);
    expect(esm.stderr).toBe('');
    expect(JSON.parse(esm.stdout)).toEqual([]);
    const cjs = probe(`${watch} const { createRequire } = await import('node:module'); createRequire(import.meta.url)(${JSON.stringify(join(dist, 'index.cjs'))}); console.log(JSON.stringify(loaded));`);
    expect(JSON.parse(cjs.stdout)).toEqual([]);
    // and a plugin that needs sharp does load it
    const used = probe(`${watch} const m = await import(${JSON.stringify(join(dist, 'index.js'))}); const s = await m.open(${JSON.stringify(join(repoRoot, 'test', 'fixtures', 'tiff', 'jpeg-pyramid-tile32.tif'))}); await s.readRegion({ x: 0, y: 0, width: 16, height: 16, level: 0 }); console.log(JSON.stringify(loaded.map((f) => f.split('/').pop())));`);
    expect(used.stderr).toBe('');
    expect((JSON.parse(used.stdout) as string[]).some((f) => /sharp/.test(f))).toBe(true);
  });
});
