/**
 * TIFF reader throughput and memory. Run: npx tsx bench/tiff.bench.ts  (about 2 minutes)
 *
 * Whole-level read of level 0 in 512 px regions (row-major, as a tiler reads), RGB out, of
 * (a) the JPEG q90 RGB-4:4:4 pyramidal TIFF and (c) the YCbCr-4:2:0 OME-TIFF, on 1 and 2 threads:
 *  - blurmm: openTiffSlide + readRegion, default options (JPEG block decoding);
 *  - OpenSlide 3.4.1 through Debian's python3-openslide: read_region -> RGBA, not converted to RGB
 *    (the cheaper variant of the peer); 2 threads = a thread pool (ctypes releases the GIL);
 *  - sharp decoding the same JPEG tiles one call per tile (the straightforward path);
 *  - the floor: every tile of the level decoded in one native call (libjpeg-turbo via libtiff/libvips).
 * Threads: UV_THREADPOOL_SIZE = regions in flight = 1 or 2, sharp.concurrency(1).
 * Each (file, threads) runs in fresh processes per round; rounds are interleaved; figures are
 * medians. Wall clock and CPU time are both reported: on a shared machine the CPU-time ratio is
 * the steadier one. Then the peak RSS while reading a whole 16k x 16k level of a JPEG pyramid made
 * at bench time with vips (libvips-tools) in a temp dir.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasSharedData, shared } from '../test/helpers/shared-data.js';

const self = fileURLToPath(import.meta.url);
const ROUNDS = Number(process.env.TIFF_BENCH_ROUNDS ?? 3);
const REGION = 512;

interface Result {
  kind: string;
  mpx: number;
  wall: number;
  cpu: number;
  maxRssMb?: number;
  /** RSS after opening, before reading */
  baseRssMb?: number;
}

// ------------------------------------------------------------------ child: measurements in one process
async function child(mode: string, file: string, threads: number, round: number): Promise<void> {
  const sharp = (await import('sharp')).default;
  sharp.concurrency(Number(process.env.TIFF_BENCH_VIPS_THREADS ?? 1)); // libvips threads per call
  if (process.env.TIFF_BENCH_SHARP_CACHE === '0') sharp.cache(false);
  const { openTiffSlide } = await import('../src/adapters/tiff/tiff-source.js');
  const baseRssMb = process.memoryUsage().rss / 1048576;
  const measure = async (kind: string, mpx: number, fn: () => Promise<unknown>): Promise<Result> => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    const c = process.cpuUsage(c0);
    return { kind, mpx, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
  };
  const inFlight = async (n: number, job: (i: number) => Promise<unknown>): Promise<void> => {
    let i = 0;
    await Promise.all(Array.from({ length: threads }, async () => { while (i < n) await job(i++); }));
  };
  const readLevel = async (): Promise<void> => {
    // fresh: nothing comes from the tile cache
    const slide = await openTiffSlide(file, process.env.TIFF_BENCH_CACHE ? { tileCacheBytes: Number(process.env.TIFF_BENCH_CACHE) } : {});
    const regions: [number, number][] = [];
    for (let y = 0; y < slide.height; y += REGION) for (let x = 0; x < slide.width; x += REGION) regions.push([x, y]);
    await inFlight(regions.length, (i) => slide.readRegion({ level: 0, x: regions[i]![0], y: regions[i]![1], width: REGION, height: REGION }));
    await slide.close();
  };
  const probe = await openTiffSlide(file);
  const mpx = (probe.width * probe.height) / 1e6;
  await probe.close();
  if (mode === 'rss') {
    const r = await measure('rss', mpx, readLevel);
    process.stdout.write(JSON.stringify({ ...r, maxRssMb: process.resourceUsage().maxRSS / 1024, baseRssMb }) + '\n');
    return;
  }
  // the same tiles, for the two reference decodes
  const { parseTiff } = await import('../src/adapters/tiff/ifd.js');
  const { openFileSource } = await import('../src/adapters/shared/byte-source.js');
  const { describePage } = await import('../src/adapters/tiff/page.js');
  const { prepareJpegTile } = await import('../src/adapters/tiff/decode.js');
  const { buildTileBlockTiff } = await import('../src/adapters/tiff/jpeg-block.js');
  const src = await openFileSource(file);
  const page = describePage(file, (await parseTiff(src)).pages[0]!, src.size);
  const raws: Uint8Array[] = [];
  for (let i = 0; i < page.offsets.length; i++) raws.push(await src.read(page.offsets[i]!, page.byteCounts[i]!));
  await src.close();
  const streams = raws.map((r) => {
    const u = prepareJpegTile(page, r);
    return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  });
  const levelTiff = Buffer.from(buildTileBlockTiff(page, raws, page.tilesAcross, page.tilesDown).buffer);
  const tilePx = (page.tilesAcross * page.tilesDown * page.tileWidth * page.tileHeight) / 1e6;
  const jobs: [string, number, () => Promise<unknown>][] = [
    ['blurmm', mpx, readLevel],
    ['tile-calls', tilePx, () => inFlight(streams.length, (i) => sharp(streams[i]!).raw().toBuffer())],
    ['floor', tilePx, async () => {
      sharp.concurrency(threads); // one call: let libvips use the threads
      await sharp(levelTiff).raw().toBuffer();
      sharp.concurrency(1);
    }],
  ];
  for (const [, , fn] of jobs) await fn(); // warm-up: OS page cache, sharp init
  for (let k = 0; k < jobs.length; k++) {
    const [kind, px, fn] = jobs[(k + round) % jobs.length]!; // rotate the order per round
    process.stdout.write(JSON.stringify(await measure(kind, px, fn)) + '\n');
  }
}

// ------------------------------------------------------------------ the OpenSlide peer
const OPENSLIDE_PEER = String.raw`
import sys, time, json, resource, openslide
from concurrent.futures import ThreadPoolExecutor
path, threads, passes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = openslide.OpenSlide(path)
W, H = s.dimensions
regs = [(x, y) for y in range(0, H, 512) for x in range(0, W, 512)]
def one(p):
    s.read_region(p, 0, (512, 512))
def run():
    if threads == 1:
        for p in regs: one(p)
    else:
        with ThreadPoolExecutor(threads) as ex: list(ex.map(one, regs))
for _ in range(passes - 1): run()
t0 = time.perf_counter(); c0 = time.process_time()
run()
wall = time.perf_counter() - t0; cpu = time.process_time() - c0
print(json.dumps({'kind': 'openslide', 'mpx': W * H / 1e6, 'wall': wall, 'cpu': cpu, 'maxRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
`;

function run(cmd: string, args: string[], env: Record<string, string>): Result[] {
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Result);
}
const node = (mode: string, file: string, threads: number, round: number): Result[] =>
  run(process.execPath, ['--import', 'tsx', self, 'child', mode, file, String(threads), String(round)], { UV_THREADPOOL_SIZE: String(threads) });
const openslide = (file: string, threads: number, passes: number): Result =>
  run('/usr/bin/python3', ['-c', OPENSLIDE_PEER, file, String(threads), String(passes)], { OMP_NUM_THREADS: '1' })[0]!;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function parent(): Promise<void> {
  if (!hasSharedData) {
    process.stdout.write('tiff bench skipped: ../shared/data not found\n');
    return;
  }
  const havePeer = spawnSync('/usr/bin/python3', ['-c', 'import openslide'], { encoding: 'utf8' }).status === 0;
  if (!havePeer) process.stdout.write('OpenSlide peer unavailable (apt-get install -y python3-openslide); blurmm figures only\n');
  const files = [
    ['(a) JPEG q90 RGB 4:4:4, 256 px tiles', shared('slides', 'blurmosaic-jpeg90-tile256.tif')],
    ['(c) OME JPEG q75 YCbCr 4:2:0, 256 px tiles', shared('slides', 'blurmosaic-ome-subifd-jpeg75-tile256.ome.tif')],
  ] as const;
  const results = new Map<string, Result[]>();
  const add = (k: string, r: Result): void => void (results.get(k) ?? results.set(k, []).get(k)!).push(r);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [, file] of files) {
      for (const threads of [1, 2]) {
        const pair = [() => node('all', file, threads, round).forEach((r) => add(`${file}|${threads}|${r.kind}`, r)), () => havePeer && add(`${file}|${threads}|openslide`, openslide(file, threads, 2))];
        if (round % 2) pair.reverse();
        pair.forEach((f) => f());
      }
    }
  }
  const out: string[] = [`tiff: whole level 0 in ${REGION} px regions; medians of ${ROUNDS} interleaved rounds; Mpx/s by wall clock [and per CPU-second]`];
  for (const [label, file] of files) {
    out.push(`  ${label}`);
    for (const threads of [1, 2]) {
      const fig = (kind: string): { wall: number; cpu: number } | undefined => {
        const rs = results.get(`${file}|${threads}|${kind}`);
        if (!rs?.length) return undefined;
        return { wall: median(rs.map((r) => r.mpx / r.wall)), cpu: median(rs.map((r) => r.mpx / r.cpu)) };
      };
      const line = (name: string, f: { wall: number; cpu: number }): string =>
        `    ${threads} thread${threads > 1 ? 's' : ' '}  ${name.padEnd(24)} ${f.wall.toFixed(1).padStart(6)} Mpx/s  [${f.cpu.toFixed(1).padStart(6)} /cpu-s]`;
      const b = fig('blurmm')!;
      out.push(line('blurmm (RGB)', b));
      const o = fig('openslide');
      if (o) out.push(`${line('OpenSlide (RGBA)', o)}   blurmm/OpenSlide ${(b.wall / o.wall).toFixed(2)}x wall, ${(b.cpu / o.cpu).toFixed(2)}x cpu`);
      const t = fig('tile-calls')!;
      out.push(`${line('sharp, 1 call per tile', t)}   blurmm ${(b.wall / t.wall).toFixed(2)}x wall, ${(b.cpu / t.cpu).toFixed(2)}x cpu`);
      const f = fig('floor')!;
      out.push(`${line('floor: 1 call per level', f)}   blurmm at ${((100 * b.wall) / f.wall).toFixed(0)}% wall, ${((100 * b.cpu) / f.cpu).toFixed(0)}% cpu`);
    }
  }
  process.stdout.write(out.join('\n') + '\n');
  rssBench(havePeer);
}

function rssBench(havePeer: boolean): void {
  if (spawnSync('vips', ['--version'], { encoding: 'utf8' }).status !== 0) {
    process.stdout.write('  peak RSS: skipped (vips from libvips-tools not found)\n');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'blurmm-tiff-bench-'));
  try {
    const big = join(dir, 'big16k.tif');
    const v = (...a: string[]): void => {
      const r = spawnSync('vips', a, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`vips ${a.join(' ')}: ${r.stderr}`);
    };
    // real tissue content: the mosaic replicated, cropped to 16384 x 16384, JPEG q89 (YCbCr) pyramid
    v('replicate', shared('slides', 'blurmosaic.png'), join(dir, 'rep.v'), '4', '6');
    v('crop', join(dir, 'rep.v'), join(dir, 'crop.v'), '0', '0', '16384', '16384');
    v('tiffsave', join(dir, 'crop.v'), big, '--compression', 'jpeg', '--Q', '89', '--tile', '--tile-width', '256', '--tile-height', '256', '--pyramid');
    rmSync(join(dir, 'rep.v'));
    rmSync(join(dir, 'crop.v'));
    const b = node('rss', big, 2, 0)[0]!;
    let line = `  peak RSS, whole 16384 x 16384 level (JPEG q89 4:2:0, 256 px tiles), 2 threads: blurmm ${b.maxRssMb!.toFixed(0)} MB (${b.baseRssMb!.toFixed(0)} MB before reading; default 64 MiB tile cache; ${(b.mpx / b.wall).toFixed(1)} Mpx/s, ${(b.mpx / b.cpu).toFixed(1)} /cpu-s)`;
    if (havePeer) {
      const o = openslide(big, 2, 1);
      line += `; OpenSlide ${o.maxRssMb!.toFixed(0)} MB (${(o.mpx / o.wall).toFixed(1)} Mpx/s, ${(o.mpx / o.cpu).toFixed(1)} /cpu-s)`;
    }
    process.stdout.write(line + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'child') await child(process.argv[3]!, process.argv[4]!, Number(process.argv[5]), Number(process.argv[6] ?? 0));
else await parent();
