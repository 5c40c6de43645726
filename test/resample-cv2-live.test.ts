/**
 * resizeArea against a live cv2.resize(INTER_AREA) (Debian's /usr/bin/python3 + OpenCV) on seeded
 * random sizes: integer factors (2 x 2, k x k, sx != sy), near-2 sizes that are not exact
 * multiples, and fractional shrinks, RGB and RGBA, one-shot and streamed in strips of 3 rows from
 * unaligned views. Skipped when cv2 is not installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAreaResizer, resizeArea } from '../src/core/resample.js';

const PY = '/usr/bin/python3';
const hasCv2 = spawnSync(PY, ['-c', 'import cv2'], { encoding: 'utf8' }).status === 0;

const gen = `
import cv2, numpy as np, json, random, sys, os
cv2.setNumThreads(1)
d = sys.argv[1]; random.seed(11); rng = np.random.default_rng(11); cases = []
for i in range(80):
    cn = random.choice([3, 3, 4])
    kind = random.choice(['int', 'int', 'frac', 'near'])
    if kind == 'int':
        sx, sy = random.choice([(2, 2), (2, 2), (3, 3), (4, 4), (2, 3), (3, 2), (5, 5), (6, 4), (8, 8)])
        ow, oh = random.randint(1, 50), random.randint(1, 20); w, h = ow * sx, oh * sy
    elif kind == 'near':
        ow, oh = random.randint(1, 60), random.randint(1, 20)
        w, h = max(ow, ow * 2 + random.randint(-3, 3)), oh * 2 + random.randint(0, 3)
    else:
        w, h = random.randint(2, 200), random.randint(2, 60); ow, oh = random.randint(1, w), random.randint(1, h)
    img = rng.integers(0, 256, (h, w, cn), dtype=np.uint8)
    if random.random() < 0.5: img = (img // 32 + 100).astype(np.uint8)  # few distinct values: many ties
    img.tofile(os.path.join(d, f'{i}.in'))
    cv2.resize(img, (ow, oh), interpolation=cv2.INTER_AREA).tofile(os.path.join(d, f'{i}.out'))
    cases.append([i, w, h, cn, ow, oh, kind])
print(json.dumps(cases))
`;

describe.skipIf(!hasCv2)('resizeArea equals a live cv2.resize INTER_AREA bit for bit (80 seeded random cases)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'blurmm-resample-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = hasCv2 ? spawnSync(PY, ['-c', gen, dir], { encoding: 'utf8' }) : undefined;
  const cases = run?.status === 0 ? (JSON.parse(run.stdout) as [number, number, number, 3 | 4, number, number, string][]) : [];

  it('generated the cases', () => {
    expect(run?.stderr ?? '').toBe('');
    expect(cases.length).toBe(80);
    expect(new Set(cases.map((c) => c[6]))).toEqual(new Set(['int', 'near', 'frac']));
  });
  it('gives the same bytes one-shot, from an unaligned view, and streamed in 3-row strips', () => {
    for (const [i, w, h, cn, ow, oh, kind] of cases) {
      const raw = new Uint8Array(readFileSync(join(dir, `${i}.in`)));
      const want = new Uint8Array(readFileSync(join(dir, `${i}.out`)));
      const where = `case ${i} (${kind}) ${w}x${h}x${cn} -> ${ow}x${oh}`;
      expect(Buffer.from(resizeArea({ data: raw, width: w, height: h, channels: cn }, ow, oh).data).equals(want), where).toBe(true);
      const shifted = new Uint8Array(raw.length + 1);
      shifted.set(raw, 1);
      expect(Buffer.from(resizeArea({ data: shifted.subarray(1), width: w, height: h, channels: cn }, ow, oh).data).equals(want), `${where}, unaligned`).toBe(true);
      const r = createAreaResizer(w, h, ow, oh, cn);
      const stride = w * cn;
      for (let y = 0; y < h; y += 3) {
        const n = Math.min(3, h - y);
        r.push(shifted.subarray(1 + y * stride, 1 + (y + n) * stride), n);
      }
      expect(Buffer.from(r.finish().data).equals(want), `${where}, streamed`).toBe(true);
    }
  });
});
