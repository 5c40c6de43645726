/**
 * OpenSlide 3.4.1 as a test oracle, through Debian's python3-openslide (/usr/bin/python3).
 * One Python process per call: it reads a JSON list of requests from stdin and writes the
 * answers (JSON header line, then raw RGBA bytes) to stdout.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PY = '/usr/bin/python3';

const ORACLE = String.raw`
import sys, json, openslide
reqs = json.load(sys.stdin)
out = sys.stdout.buffer
for r in reqs:
    s = openslide.OpenSlide(r['path'])
    if r['op'] == 'info':
        info = {'levels': [list(d) for d in s.level_dimensions], 'downsamples': list(s.level_downsamples),
                'properties': dict(s.properties), 'associated': {k: list(v.size) for k, v in s.associated_images.items()}}
        b = json.dumps(info).encode()
        out.write(json.dumps({'n': len(b)}).encode() + b'\n'); out.write(b)
    elif r['op'] == 'region':
        img = s.read_region((r['x'], r['y']), r['level'], (r['width'], r['height']))
        b = img.tobytes()
        out.write(json.dumps({'n': len(b)}).encode() + b'\n'); out.write(b)
    elif r['op'] == 'associated':
        img = s.associated_images[r['name']]
        b = img.tobytes()
        out.write(json.dumps({'n': len(b), 'width': img.size[0], 'height': img.size[1]}).encode() + b'\n'); out.write(b)
    s.close()
`;

function probe(): string | undefined {
  if (!existsSync(PY)) return `${PY} not found`;
  const r = spawnSync(PY, ['-c', 'import openslide; print(openslide.__library_version__)'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : 'python3-openslide is not installed (apt-get install -y python3-openslide)';
}

/** why the oracle cannot run, or undefined when it can */
export const openslideMissing = probe();
if (openslideMissing) process.stderr.write(`[blurmm tests] skipped OpenSlide comparisons: ${openslideMissing}\n`);

export type OracleRequest =
  | { op: 'info'; path: string }
  | { op: 'region'; path: string; x: number; y: number; level: number; width: number; height: number }
  | { op: 'associated'; path: string; name: string };

export interface OracleInfo {
  levels: [number, number][];
  downsamples: number[];
  properties: Record<string, string>;
  associated: Record<string, [number, number]>;
}

/** Runs the requests in one Python process; returns each answer's header and bytes. */
export function oracle(requests: OracleRequest[]): { header: Record<string, number>; bytes: Uint8Array }[] {
  const r = spawnSync(PY, ['-c', ORACLE], { input: JSON.stringify(requests), maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`OpenSlide oracle failed: ${r.stderr.toString()}`);
  const buf = r.stdout;
  const res: { header: Record<string, number>; bytes: Uint8Array }[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(10, pos);
    const header = JSON.parse(buf.subarray(pos, nl).toString()) as Record<string, number>;
    const n = header['n']!;
    res.push({ header, bytes: new Uint8Array(buf.buffer, buf.byteOffset + nl + 1, n) });
    pos = nl + 1 + n;
  }
  return res;
}

export function oracleInfo(path: string): OracleInfo {
  return JSON.parse(Buffer.from(oracle([{ op: 'info', path }])[0]!.bytes).toString()) as OracleInfo;
}

/** RGBA -> RGB as OpenSlide callers see it on white: OpenSlide regions are opaque inside, (0,0,0,0) outside */
export function rgbaToRgbWhite(rgba: Uint8Array): Uint8Array {
  const n = rgba.length / 4;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const a = rgba[i * 4 + 3]!;
    for (let c = 0; c < 3; c++) out[i * 3 + c] = a === 0 ? 255 : rgba[i * 4 + c]!;
  }
  return out;
}

/** max abs difference and PSNR (dB, Infinity when equal) of two equal-length byte arrays */
export function compare(a: Uint8Array, b: Uint8Array): { maxDiff: number; psnr: number } {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let max = 0;
  let se = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    const ad = d < 0 ? -d : d;
    if (ad > max) max = ad;
    se += d * d;
  }
  return { maxDiff: max, psnr: se === 0 ? Infinity : 10 * Math.log10((255 * 255 * a.length) / se) };
}

/** box_mean(img, f) of the shared-data README: mean of f x f blocks, rounded half up */
export function boxMean(rgb: Uint8Array, width: number, height: number, f: number): { data: Uint8Array; width: number; height: number } {
  const w = Math.floor(width / f);
  const h = Math.floor(height / f);
  const sums = new Uint32Array(w * 3);
  const out = new Uint8Array(w * h * 3);
  const half = (f * f) >> 1;
  for (let by = 0; by < h; by++) {
    sums.fill(0);
    for (let y = by * f; y < by * f + f; y++) {
      const row = y * width * 3;
      for (let bx = 0; bx < w; bx++) {
        let s0 = 0, s1 = 0, s2 = 0;
        for (let x = bx * f, p = row + x * 3; x < bx * f + f; x++, p += 3) {
          s0 += rgb[p]!;
          s1 += rgb[p + 1]!;
          s2 += rgb[p + 2]!;
        }
        sums[bx * 3] = sums[bx * 3]! + s0;
        sums[bx * 3 + 1] = sums[bx * 3 + 1]! + s1;
        sums[bx * 3 + 2] = sums[bx * 3 + 2]! + s2;
      }
    }
    for (let i = 0; i < w * 3; i++) out[by * w * 3 + i] = Math.floor((sums[i]! + half) / (f * f));
  }
  return { data: out, width: w, height: h };
}

/** crop of an RGB image, white outside */
export function cropWhite(rgb: Uint8Array, width: number, height: number, x: number, y: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 3).fill(255);
  for (let j = 0; j < h; j++) {
    const yy = y + j;
    if (yy < 0 || yy >= height) continue;
    for (let i = 0; i < w; i++) {
      const xx = x + i;
      if (xx < 0 || xx >= width) continue;
      const s = (yy * width + xx) * 3;
      const d = (j * w + i) * 3;
      out[d] = rgb[s]!;
      out[d + 1] = rgb[s + 1]!;
      out[d + 2] = rgb[s + 2]!;
    }
  }
  return out;
}
