/**
 * LV throughput, single thread: the JS and WebAssembly kernels of blurmm against OpenCV 4.6
 * (cvtColor + Laplacian(CV_64F) + var, cv2.setNumThreads(1)) measured in the same run through
 * bench/peers/opencv_lv.py, on the full 512 and 598 px tiles of blurmosaic.png, already decoded.
 * Rounds are interleaved; figures are medians. Wall-clock and CPU time are both measured:
 * on a shared machine the CPU-time ratio is the steadier one. Run: npx tsx bench/lv.bench.ts
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { RgbImage } from '../src/core/types.js';
import { varianceOfLaplacian, type LvKernel } from '../src/plugins/estimators/lv.js';
import { hasSharedData, shared } from '../test/helpers/shared-data.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.LV_BENCH_ROUNDS ?? 5);
const TARGET_S = 0.35;
const SIZES = [512, 598];

if (!hasSharedData) {
  process.stdout.write('lv bench skipped: ../shared/data not found\n');
  process.exit(0);
}

const png = shared('slides', 'blurmosaic.png');
const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });

function tilesOf(size: number): RgbImage[] {
  const out: RgbImage[] = [];
  for (let y = 0; y + size <= info.height; y += size) {
    for (let x = 0; x + size <= info.width; x += size) {
      const t = new Uint8Array(size * size * 3);
      for (let r = 0; r < size; r++) {
        const s = ((y + r) * info.width + x) * 3;
        t.set(data.subarray(s, s + size * 3), r * size * 3);
      }
      out.push({ data: t, width: size, height: size, channels: 3 });
    }
  }
  return out;
}
const tiles = new Map(SIZES.map((s) => [s, tilesOf(s)]));

// ---- the OpenCV peer, one long-lived process
const peer = spawn('/usr/bin/python3', [join(here, 'peers', 'opencv_lv.py'), png], {
  env: { ...process.env, MALLOC_MMAP_THRESHOLD_: '268435456', MALLOC_TRIM_THRESHOLD_: '1073741824', OMP_NUM_THREADS: '1' },
  stdio: ['pipe', 'pipe', 'inherit'],
});
const lines = createInterface({ input: peer.stdout })[Symbol.asyncIterator]();
async function nextLine(): Promise<string> {
  const r = await lines.next();
  if (r.done === true) throw new Error('the OpenCV peer exited; is python3-opencv installed?');
  return r.value;
}
const hello = await nextLine();
interface Timing {
  seconds: number;
  cpu: number;
  check: number;
}
async function opencv(size: number, reps: number): Promise<Timing & { count: number }> {
  peer.stdin.write(`${String(size)} ${String(reps)}\n`);
  const [s, cpu, c, n] = (await nextLine()).split(' ');
  return { seconds: Number(s), cpu: Number(cpu), check: Number(c), count: Number(n) };
}

function ours(kernel: LvKernel, list: RgbImage[], reps: number): Timing {
  let check = 0;
  for (const t of list) check += varianceOfLaplacian(t, { kernel });
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let sink = 0;
  for (let r = 0; r < reps; r++) for (const t of list) sink += varianceOfLaplacian(t, { kernel });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  if (reps > 0 && !(sink > 0)) throw new Error('no result');
  return { seconds, cpu: (c.user + c.system) / 1e6, check };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

type Impl = 'js' | 'wasm' | 'opencv';
const impls: Impl[] = ['js', 'wasm', 'opencv'];
const results = new Map<string, number[]>(); // key impl@size -> wall seconds per tile
const cpuResults = new Map<string, number[]>(); // key impl@size -> cpu seconds per tile

// calibrate reps per implementation and size so that each measurement takes ~TARGET_S
const reps = new Map<string, number>();
for (const size of SIZES) {
  const list = tiles.get(size)!;
  for (const impl of impls) {
    const once = impl === 'opencv' ? (await opencv(size, 1)).seconds : ours(impl, list, 1).seconds;
    reps.set(`${impl}@${String(size)}`, Math.max(1, Math.round(TARGET_S / once)));
  }
}

for (let round = 0; round < ROUNDS; round++) {
  for (const size of SIZES) {
    const list = tiles.get(size)!;
    // rotate the order each round so no implementation always runs first
    for (let k = 0; k < impls.length; k++) {
      const impl = impls[(k + round) % impls.length]!;
      const key = `${impl}@${String(size)}`;
      const n = reps.get(key)!;
      let r: Timing;
      if (impl === 'opencv') {
        const cv = await opencv(size, n);
        const mine = ours('wasm', list, 0).check;
        if (Math.abs(cv.check - mine) / mine > 1e-9 || cv.count !== list.length) throw new Error(`OpenCV and blurmm disagree at ${key}`);
        r = cv;
      } else {
        r = ours(impl, list, n);
      }
      const count = n * list.length;
      results.set(key, [...(results.get(key) ?? []), r.seconds / count]);
      cpuResults.set(key, [...(cpuResults.get(key) ?? []), r.cpu / count]);
    }
  }
}
peer.stdin.end();

process.stdout.write(`lv throughput, single thread, ${String(ROUNDS)} interleaved rounds, medians; peer OpenCV ${hello.split(' ')[1] ?? '?'} (setNumThreads(1))\n`);
process.stdout.write('tile  kernel   Mpx/s   tiles/s   vs OpenCV  | cpu-time Mpx/s   vs OpenCV\n');
for (const size of SIZES) {
  const cv = median(results.get(`opencv@${String(size)}`)!);
  const cvCpu = median(cpuResults.get(`opencv@${String(size)}`)!);
  for (const impl of impls) {
    const t = median(results.get(`${impl}@${String(size)}`)!);
    const c = median(cpuResults.get(`${impl}@${String(size)}`)!);
    const mpx = (size * size) / t / 1e6;
    process.stdout.write(
      `${String(size).padEnd(5)} ${impl.padEnd(7)} ${mpx.toFixed(0).padStart(6)} ${(1 / t).toFixed(0).padStart(9)}   ${(cv / t).toFixed(2).padStart(6)}x  | ${((size * size) / c / 1e6).toFixed(0).padStart(14)}   ${(cvCpu / c).toFixed(2).padStart(6)}x\n`,
    );
  }
}
