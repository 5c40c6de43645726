/**
 * DICOM-WSI read speed: level 0 of the shared TILED_FULL series (221 JPEG frames of 256 px),
 * read whole as 512 px regions from local files and through DICOMweb from a real Orthanc started
 * here, next to the floor: sharp decoding the same frame bytes (1 and 2 calls in flight).
 * 3 interleaved rounds, medians; ratios against the floor of the same run.
 *
 *   npx tsx bench/dicom.bench.ts
 */
import sharp from 'sharp';
import { openFileSource } from '../src/adapters/shared/byte-source.js';
import { indexFrames } from '../src/adapters/dicom/frame-index.js';
import { openDicomSeries } from '../src/adapters/dicom/open-local.js';
import { readPart10Header } from '../src/adapters/dicom/part10.js';
import type { DicomWsiSource } from '../src/adapters/dicom/wsi-source.js';
import { openDicomwebSeries } from '../src/adapters/dicomweb/open-dicomweb.js';
import { hasOrthanc, startOrthanc, type OrthancServer } from '../test/helpers/orthanc.js';
import { hasSharedData, shared } from '../test/helpers/shared-data.js';

const STUDY = '2.25.158078963828814097053604605049103837732';
const SERIES = '2.25.28615303371472510279235540832700753311';
const ROUNDS = 3;

if (!hasSharedData) {
  process.stdout.write('dicom bench skipped: ../shared/data not found\n');
  process.exit(0);
}

const folder = shared('slides', 'dicom', 'tiled-full');
const frameCount = 221;
const framePixels = 256 * 256;
const levelPixels = 4100 * 3090;

async function frameBytes(): Promise<Uint8Array[]> {
  const src = await openFileSource(shared('slides', 'dicom', 'tiled-full', 'level-0.dcm'));
  const frames = await indexFrames(src, await readPart10Header(src), 'level-0.dcm');
  const out: Uint8Array[] = [];
  for (let f = 1; f <= frames.numberOfFrames; f++) out.push(await frames.readFrame(f));
  await src.close();
  return out;
}

async function sharpFloor(frames: Uint8Array[], inFlight: number): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < frames.length) {
      const bytes = frames[next++]!;
      await sharp(bytes).raw().toBuffer();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return performance.now() - t0;
}

/** reads level 0 whole as 512 px regions, 2 regions at a time (as a tiler would) */
async function readLevel0(slide: DicomWsiSource): Promise<number> {
  const t0 = performance.now();
  const jobs: [number, number][] = [];
  for (let y = 0; y < 3090; y += 512) for (let x = 0; x < 4100; x += 512) jobs.push([x, y]);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const [x, y] = jobs[next++]!;
      await slide.readRegion({ x, y, width: 512, height: 512, level: 0 });
    }
  };
  await Promise.all([worker(), worker()]);
  return performance.now() - t0;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const frames = await frameBytes();
  let orthanc: OrthancServer | undefined;
  if (hasOrthanc) orthanc = await startOrthanc([folder]);
  else process.stdout.write('DICOMweb rows skipped: install orthanc orthanc-dicomweb\n');
  const results = new Map<string, number[]>();
  const add = (k: string, ms: number): void => void results.set(k, [...(results.get(k) ?? []), ms]);
  try {
    // warm-up (codec load, Orthanc's first reads)
    await sharpFloor(frames.slice(0, 20), 1);
    for (let round = 0; round < ROUNDS; round++) {
      add('sharp decode, 1 in flight (floor)', await sharpFloor(frames, 1));
      add('sharp decode, 2 in flight', await sharpFloor(frames, 2));
      const local = await openDicomSeries(folder, { tileCacheBytes: 0 });
      add('blurmm local files', await readLevel0(local));
      await local.close();
      if (orthanc) {
        for (const per of [1, 8]) {
          const web = await openDicomwebSeries(orthanc.seriesUrl(STUDY, SERIES), { tileCacheBytes: 0, framesPerRequest: per });
          add(`blurmm DICOMweb (Orthanc), ${per} frame${per > 1 ? 's' : ''}/request`, await readLevel0(web));
          await web.close();
        }
      }
    }
  } finally {
    await orthanc?.stop();
  }
  const floor = median(results.get('sharp decode, 1 in flight (floor)')!);
  process.stdout.write(`DICOM-WSI level 0: ${frameCount} JPEG frames of 256x256 (RGB 4:4:4 q90), ${ROUNDS} rounds, medians\n`);
  process.stdout.write(`${'reader'.padEnd(46)} ${'ms'.padStart(8)} ${'frames/s'.padStart(9)} ${'Mpx/s'.padStart(7)} ${'vs floor'.padStart(9)}\n`);
  for (const [name, times] of results) {
    const ms = median(times);
    // the floor decodes full frames; region reads deliver the level's pixels
    const px = name.startsWith('sharp') ? frameCount * framePixels : levelPixels;
    process.stdout.write(
      `${name.padEnd(46)} ${ms.toFixed(0).padStart(8)} ${((frameCount / ms) * 1000).toFixed(0).padStart(9)} ${(px / ms / 1000).toFixed(1).padStart(7)} ${(floor / ms).toFixed(2).padStart(8)}x\n`,
    );
  }
}

await main();
