import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** blurmm's version from the nearest package.json named "blurmm" above this module; "unknown" otherwise. */
export function blurmmVersion(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'blurmm' && typeof pkg.version === 'string') return (cached = pkg.version);
    } catch {
      // keep walking up
    }
    dir = dirname(dir);
  }
  return (cached = 'unknown');
}
