import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/shared-data.js';

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []));
}

describe('architecture', () => {
  const core = files(join(repoRoot, 'src', 'core'));

  it('src/core imports nothing from adapters, plugins or the CLI, and no native dependency', () => {
    const offenders: string[] = [];
    for (const f of core) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)) {
        const spec = m[1]!;
        if (/\/(adapters|plugins|cli)\//.test(spec) || /^\.\.\/(adapters|plugins|cli)/.test(spec) || ['sharp', 'onnxruntime-node', 'geotiff'].includes(spec)) {
          offenders.push(`${f.slice(repoRoot.length + 1)} -> ${spec}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('library code never writes to the console', () => {
    const lib = files(join(repoRoot, 'src')).filter((f) => !f.includes(`${join('src', 'cli')}`));
    const code = (f: string) => readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    const offenders = lib.filter((f) => /\bconsole\.(log|error|warn|info|debug)\(|process\.(stdout|stderr)\.write/.test(code(f)));
    expect(offenders.map((f) => f.slice(repoRoot.length + 1))).toEqual([]);
  });
});
