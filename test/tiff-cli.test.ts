/** `blurmm region` end to end (a child process), against the API read of the same region. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { openTiffSlide } from '../src/adapters/tiff/tiff-source.js';
import { repoRoot } from './helpers/shared-data.js';

const fixture = join(repoRoot, 'test', 'fixtures', 'tiff', 'jpeg-pyramid-tile32.tif');
const tmp = mkdtempSync(join(tmpdir(), 'blurmm-region-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function blurmm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'main.ts'), ...args], { encoding: 'utf8', cwd: repoRoot });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('blurmm region', () => {
  it('writes the PNG of a level-1 region crossing the border, equal to readRegion', async () => {
    const out = join(tmp, 'r.png');
    const r = blurmm('region', fixture, '--level', '1', '--x=-5', '--y', '61', '--width', '40', '--height', '30', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('40 x 30 px of level 1');
    const png = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    expect([png.info.width, png.info.height, png.info.channels]).toEqual([40, 30, 3]);
    const s = await openTiffSlide(fixture);
    const want = await s.readRegion({ level: 1, x: -5, y: 61, width: 40, height: 30 });
    await s.close();
    expect(Buffer.compare(png.data, Buffer.from(want.data))).toBe(0);
  });

  it('exits 2 with the argument message on a bad level and leaves no file', () => {
    const out = join(tmp, 'bad.png');
    const r = blurmm('region', fixture, '--level', '7', '--width', '4', '--height', '4', '--out', out);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Expected an integer level from 0 to 3 for level but received 7 of type number [E_ARGUMENT]');
    expect(existsSync(out)).toBe(false);
  });
});
