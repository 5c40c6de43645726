/**
 * TIFF reader throughput and memory. Run: npx tsx bench/tiff.bench.ts
 *
 * Whole-level read of level 0 in 512 px regions (row-major, as a tiler reads), RGB out:
 *  - blurmm (openTiffSlide + readRegion), 1 and 2 threads (UV_THREADPOOL_SIZE and regions in flight);
 *  - OpenSlide 3.4.1 through Debian's python3-openslide (read_region -> RGBA, no conversion to RGB:
 *    the cheaper variant of the peer), on 1 thread and on 2 (a thread pool; ctypes releases the GIL);
 *  - sharp decoding the same JPEG tiles (tables spliced) one call per tile (the straightforward path);
 *  - the floor: all tiles of the level decoded in one native call (libjpeg-turbo via libtiff/libvips).
 * on (a) the JPEG q90 RGB-4:4:4 pyramidal TIFF and (c) the YCbCr 4:2:0 OME-TIFF.
 * Each measurement runs in a fresh process; rounds are interleaved; figures are medians. Wall
 * clock and CPU time are both reported: on a shared machine the CPU-time ratio is steadier.
 * Then: peak RSS while reading a whole 16k x 16k level of a JPEG pyramid made at bench time
 * with vips (libvips-tools) in a temp dir.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasSharedData, shared } from '../test/helpers/shared-data.js';

const self = fileURLToPath(import.meta.url);
const ROUNDS = Number(process.env.TIFF_BENCH_ROUNDS ?? 3);
const REGION = 512;

interface Result {
  mpx: number;
  wall: number;
  cpu: number;
  maxRssMb?: number;
  /** RSS after opening, before reading */
  baseRssMb?: number;
}

// ------------------------------------------------------------------ child: one measurement
async function child(mode: string, file: string, threads: number): Promise<void> {
  const sharp = (await import('sharp')).default;
  sharp.concurrency(1); // libvips threads per call: parallelism comes from calls in flight
  if (process.env.TIFF_BENCH_NOCACHE) sharp.cache(false);
  const { openTiffSlide } = await import('../src/adapters/tiff/tiff-source.js');
  let slide = await openTiffSlide(file, process.env.TIFF_BENCH_CACHE ? { tileCacheBytes: Number(process.env.TIFF_BENCH_CACHE) } : {});
  const baseRssMb = process.memoryUsage().rss / 1048576;
  const regions: [number, number][] = [];
  for (let y = 0; y < slide.height; y += REGION) for (let x = 0; x < slide.width; x += REGION) regions.push([x, y]);
  const mpx = (slide.width * slide.height) / 1e6;
  const measure = async (fn: () => Promise<void>): Promise<Result> => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    const c = process.cpuUsage(c0);
    return { mpx, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
  };
  let result: Result;
  if (mode === 'blurmm' || mode === 'rss') {
    const pass = async (): Promise<void> => {
      let i = 0;
      await Promise.all(
        Array.from({ length: threads }, async () => {
          while (i < regions.length) {
            const [x, y] = regions[i++]!;
            await slide.readRegion({ level: 0, x, y, width: REGION, height: REGION });
          }
        }),
      );
    };
    if (mode === 'blurmm') {
      await pass(); // warm-up: OS page cache, sharp init; then a fresh slide, so no tile comes from the tile cache
      await slide.close();
      slide = await openTiffSlide(file);
    }
    result = await measure(pass);
    if (mode === 'rss') {
      result.maxRssMb = process.resourceUsage().maxRSS / 1024;
      result.baseRssMb = baseRssMb;
    }
  } else {
    // floor: the same tiles, raw sharp decodes, `threads` in flight
    const { parseTiff } = await import('../src/adapters/tiff/ifd.js');
    const { openFileSource } = await import('../src/adapters/tiff/byte-source.js');
    const { describePage } = await import('../src/adapters/tiff/page.js');
    const { prepareJpegTile } = await import('../src/adapters/tiff/decode.js');
    const src = await openFileSource(file);
    const page = describePage(file, (await parseTiff(src)).pages[0]!, src.size);
    const streams: Buffer[] = [];
    for (let i = 0; i < page.offsets.length; i++) {
      const u = prepareJpegTile(page, await src.read(page.offsets[i]!, page.byteCounts[i]!));
      streams.push(Buffer.from(u.buffer, u.byteOffset, u.byteLength));
    }
    let pass = async (): Promise<void> => {
      let i = 0;
      await Promise.all(Array.from({ length: threads }, async () => { while (i < streams.length) await sharp(streams[i++]!).raw().toBuffer(); }));
    };
    if (mode === 'floor-block') {
      // every tile of the level in one native call (the in-memory TIFF of jpeg-block.ts), no crop:
      // libjpeg-turbo through libtiff/libvips with the least per-call overhead
      const { buildTileBlockTiff } = await import('../src/adapters/tiff/jpeg-block.js');
      const raws: Uint8Array[] = [];
      for (let i = 0; i < page.offsets.length; i++) raws.push(await src.read(page.offsets[i]!, page.byteCounts[i]!));
      const tiff = Buffer.from(buildTileBlockTiff(page, raws, page.tilesAcross, page.tilesDown).buffer);
      sharp.concurrency(threads);
      pass = async (): Promise<void> => void (await sharp(tiff).raw().toBuffer());
    }
    await pass();
    result = await measure(pass);
    result.mpx = (streams.length * page.tileWidth * page.tileHeight) / 1e6;
    await src.close();
  }
  await slide.close();
  process.stdout.write(JSON.stringify(result) + '\n');
}

// ------------------------------------------------------------------ the OpenSlide peer
const OPENSLIDE_PEER = String.raw`
import sys, time, json, resource, openslide
from concurrent.futures import ThreadPoolExecutor
path, threads, rgb = sys.argv[1], int(sys.argv[2]), sys.argv[3] == 'rgb'
s = openslide.OpenSlide(path)
W, H = s.dimensions
regs = [(x, y) for y in range(0, H, 512) for x in range(0, W, 512)]
def one(p):
    im = s.read_region(p, 0, (512, 512))
    if rgb: im = im.convert('RGB')
def run():
    if threads == 1:
        for p in regs: one(p)
    else:
        with ThreadPoolExecutor(threads) as ex: list(ex.map(one, regs))
run()
t0 = time.perf_counter(); c0 = time.process_time()
run()
wall = time.perf_counter() - t0; cpu = time.process_time() - c0
print(json.dumps({'mpx': W * H / 1e6, 'wall': wall, 'cpu': cpu, 'maxRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
`;

function run(cmd: string, args: string[], env: Record<string, string>): Result {
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  const line = r.stdout.trim().split('\n').pop()!;
  return JSON.parse(line) as Result;
}

const node = (mode: string, file: string, threads: number): Result =>
  run(process.execPath, ['--import', 'tsx', self, 'child', mode, file, String(threads)], { UV_THREADPOOL_SIZE: String(threads) });
const openslide = (file: string, threads: number, rgb: boolean): Result =>
  run('/usr/bin/python3', ['-c', OPENSLIDE_PEER, file, String(threads), rgb ? 'rgb' : 'rgba'], { OMP_NUM_THREADS: '1' });

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
  const probe = spawnSync('/usr/bin/python3', ['-c', 'import openslide'], { encoding: 'utf8' });
  const havePeer = probe.status === 0;
  if (!havePeer) process.stdout.write('OpenSlide peer unavailable (apt-get install -y python3-openslide); blurmm figures only\n');
  const files = [
    ['(a) JPEG q90 RGB 4:4:4, 256 px tiles', shared('slides', 'blurmosaic-jpeg90-tile256.tif')],
    ['(c) OME JPEG q75 YCbCr 4:2:0, 256 px tiles', shared('slides', 'blurmosaic-ome-subifd-jpeg75-tile256.ome.tif')],
  ] as const;
  const kinds = ['blurmm', 'openslide-rgba', 'floor', 'floor-block'] as const;
  const results = new Map<string, Result[]>();
  const add = (k: string, r: Result): void => void (results.get(k) ?? results.set(k, []).get(k)!).push(r);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [, file] of files) {
      for (const threads of [1, 2]) {
        for (const kind of kinds) {
          if (kind.startsWith('openslide') && !havePeer) continue;
          const key = `${file}|${threads}|${kind}`;
          if (kind === 'blurmm') add(key, node('blurmm', file, threads));
          else if (kind.startsWith('floor')) add(key, node(kind, file, threads));
          else add(key, openslide(file, threads, false));
        }
      }
    }
  }
  const out: string[] = [`tiff: whole level 0 in ${REGION} px regions, RGB; medians of ${ROUNDS} interleaved rounds; Mpx/s by wall clock [and per CPU-second]`];
  for (const [label, file] of files) {
    out.push(`  ${label}`);
    for (const threads of [1, 2]) {
      const fig = (kind: string): { wall: number; cpu: number } | undefined => {
        const rs = results.get(`${file}|${threads}|${kind}`);
        if (!rs?.length) return undefined;
        return { wall: median(rs.map((r) => r.mpx / r.wall)), cpu: median(rs.map((r) => r.mpx / r.cpu)) };
      };
      const b = fig('blurmm')!;
      const line = (name: string, f: { wall: number; cpu: number } | undefined): string =>
        f ? `    ${threads} thread${threads > 1 ? 's' : ' '}  ${name.padEnd(22)} ${f.wall.toFixed(1).padStart(6)} Mpx/s  [${f.cpu.toFixed(1).padStart(6)} /cpu-s]` : '';
      out.push(line('blurmm', b));
      const o = fig('openslide-rgba');
      if (o) out.push(`${line('OpenSlide -> RGBA', o)}   blurmm/OpenSlide ${(b.wall / o.wall).toFixed(2)}x wall, ${(b.cpu / o.cpu).toFixed(2)}x cpu`);
      const f = fig('floor')!;
      out.push(`${line('sharp, 1 call per tile', f)}   blurmm ${(b.wall / f.wall).toFixed(2)}x wall, ${(b.cpu / f.cpu).toFixed(2)}x cpu`);
      const fb = fig('floor-block')!;
      out.push(`${line('floor: 1 call per level', fb)}   blurmm at ${((100 * b.wall) / fb.wall).toFixed(0)}% wall, ${((100 * b.cpu) / fb.cpu).toFixed(0)}% cpu`);
    }
  }
  process.stdout.write(out.join('\n') + '\n');
  rssBench(havePeer);
}

function rssBench(havePeer: boolean): void {
  const vips = spawnSync('vips', ['--version'], { encoding: 'utf8' });
  if (vips.status !== 0) {
    process.stdout.write('  peak RSS: skipped (vips from libvips-tools not found)\n');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'blurmm-tiff-bench-'));
  try {
    const big = join(dir, 'big16k.tif');
    const t0 = performance.now();
    const v = (...a: string[]): void => {
      const r = spawnSync('vips', a, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`vips ${a.join(' ')}: ${r.stderr}`);
    };
    // real tissue content: the mosaic replicated, cropped to 16384 x 16384, JPEG q90 pyramid
    v('replicate', shared('slides', 'blurmosaic.png'), join(dir, 'rep.v'), '4', '6');
    v('crop', join(dir, 'rep.v'), join(dir, 'crop.v'), '0', '0', '16384', '16384');
    v('tiffsave', join(dir, 'crop.v'), big, '--compression', 'jpeg', '--Q', '89', '--tile', '--tile-width', '256', '--tile-height', '256', '--pyramid');
    rmSync(join(dir, 'rep.v'));
    rmSync(join(dir, 'crop.v'));
    const made = (performance.now() - t0) / 1000;
    const b = node('rss', big, 2);
    let line = `  peak RSS reading a whole 16384 x 16384 level (JPEG q89 YCbCr, 256 px tiles, made in ${made.toFixed(0)} s): blurmm ${b.maxRssMb!.toFixed(0)} MB (${b.baseRssMb!.toFixed(0)} MB before reading; ${(b.mpx / b.wall).toFixed(1)} Mpx/s, 2 threads, default 64 MiB tile cache)`;
    if (havePeer && existsSync(big)) {
      const o = openslide(big, 2, false);
      line += `; OpenSlide ${o.maxRssMb!.toFixed(0)} MB (${(o.mpx / o.wall).toFixed(1)} Mpx/s, second pass)`;
    }
    process.stdout.write(line + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'child') await child(process.argv[3]!, process.argv[4]!, Number(process.argv[5]));
else await parent();
