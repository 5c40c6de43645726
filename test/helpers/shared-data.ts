import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** the repo root */
export const repoRoot = resolve(here, '..', '..');
/** `../shared/data` beside the checkout (override with BLURMM_SHARED_DATA) */
export const sharedData = process.env.BLURMM_SHARED_DATA ?? resolve(repoRoot, '..', 'shared', 'data');
export const hasSharedData = existsSync(join(sharedData, 'README.md'));

/** path inside ../shared/data */
export function shared(...parts: string[]): string {
  return join(sharedData, ...parts);
}

/** The message a test prints when it skips for want of ../shared/data. */
export const sharedDataSkipMessage = `skipped: shared test data not found at ${sharedData} (set BLURMM_SHARED_DATA or check out ../shared beside the repo)`;

if (!hasSharedData) {
  // vitest shows this once per file that imports the helper
  process.stderr.write(`[blurmm tests] ${sharedDataSkipMessage}\n`);
}
