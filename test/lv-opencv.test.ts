/**
 * Extra oracle: OpenCV itself (Debian's python3-opencv through /usr/bin/python3) on seeded
 * random images, including 1- and 2-px axes and RGBA. Skips with a message when cv2 cannot
 * be imported.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../src/core/types.js';
import { laplacianStats } from '../src/plugins/estimators/lv.js';

const PY = '/usr/bin/python3';
const probe = spawnSync(PY, ['-c', 'import cv2, numpy; print(cv2.__version__)'], { encoding: 'utf8' });
const hasCv2 = probe.status === 0;
if (!hasCv2) process.stderr.write(`[lv-opencv] skipped: ${PY} cannot import cv2 (apt-get install python3-opencv)\n`);

// reads "w h c file" lines; prints "lap_sum lap_sum_sq var exact" per image
const SCRIPT = `
import sys, cv2, numpy as np
from fractions import Fraction
cv2.setNumThreads(1)
for line in sys.stdin:
    w, h, c, path = line.split()
    w, h, c = int(w), int(h), int(c)
    img = np.fromfile(path, dtype=np.uint8).reshape(h, w, c)
    gray = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY if c == 3 else cv2.COLOR_RGBA2GRAY)
    lap = cv2.Laplacian(gray, cv2.CV_64F)
    li = lap.astype(np.int64)
    n, s1, s2 = li.size, int(li.sum()), int((li * li).sum())
    print(s1, s2, repr(float(lap.var())), repr(float(Fraction(n * s2 - s1 * s1, n * n))))
`;

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

describe.skipIf(!hasCv2)(`lv equals cv2.Laplacian(...).var() (OpenCV ${probe.stdout.trim()})`, () => {
  it('seeded random images, RGB and RGBA, 1..300 px a side', () => {
    const r = seeded(4242);
    const dir = mkdtempSync(join(tmpdir(), 'lv-cv2-'));
    try {
      const images: RgbImage[] = [];
      const sizes: [number, number][] = [[1, 1], [1, 9], [9, 1], [2, 7], [7, 2], [2, 2], [300, 3], [3, 300]];
      for (let k = 0; k < 22; k++) sizes.push([1 + Math.floor(r() * 300), 1 + Math.floor(r() * 300)]);
      let input = '';
      sizes.forEach(([w, h], k) => {
        const c: 3 | 4 = k % 3 === 0 ? 4 : 3;
        const data = new Uint8Array(w * h * c);
        const smooth = k % 2 === 0;
        for (let i = 0; i < data.length; i++) data[i] = smooth ? (Math.floor(i / (c * 5)) * 3 + Math.floor(r() * 12)) & 255 : Math.floor(r() * 256);
        images.push({ data, width: w, height: h, channels: c });
        const file = join(dir, `${String(k)}.raw`);
        writeFileSync(file, data);
        input += `${String(w)} ${String(h)} ${String(c)} ${file}\n`;
      });
      const out = spawnSync(PY, ['-c', SCRIPT], { input, encoding: 'utf8' });
      expect(out.stderr).toBe('');
      const rows = out.stdout.trim().split('\n');
      expect(rows.length).toBe(images.length);
      images.forEach((img, k) => {
        const [s1, s2, cvVar, exact] = rows[k]!.split(' ').map(Number) as [number, number, number, number];
        for (const kernel of ['js', 'wasm'] as const) {
          const s = laplacianStats(img, { kernel });
          const where = `${String(img.width)}x${String(img.height)}x${String(img.channels)} ${kernel}`;
          expect({ where, sum: s.sum, sumSq: s.sumSq, lv: s.lv }).toEqual({ where, sum: s1, sumSq: s2, lv: exact });
          if (cvVar !== 0) expect(Math.abs(s.lv - cvVar) / cvVar).toBeLessThan(1e-12);
          else expect(s.lv).toBe(0);
        }
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
