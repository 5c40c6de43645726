/**
 * Tile-model throughput: blurmm's TileModel (preprocessing uint8 RGB -> normalised NCHW float32,
 * onnxruntime-node, softmax) on the demo's base model at 256 px, against two peers measured in
 * the same run: (a) a bare onnxruntime-node session.run on a ready-made tensor (the floor: no
 * preprocessing), (b) OpenCV dnn (Debian python3-opencv: blobFromImages + net.forward, one thread).
 * One intra-op thread everywhere. Prints tiles/s and ratios.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { createTileModel } from '../src/core/model.js';
import type { RgbImage } from '../src/core/types.js';
import { createOnnxBackend } from '../src/plugins/backends/onnx.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const modelPath = join(root, 'examples', 'demo', 'models', 'base.onnx');
const SIZE = 256;
const N = 128;
const ROUNDS = 3;

function tiles(n: number): RgbImage[] {
  let s = 12345;
  return Array.from({ length: n }, () => {
    const data = new Uint8Array(SIZE * SIZE * 3);
    for (let i = 0; i < data.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      data[i] = s >>> 24;
    }
    return { data, width: SIZE, height: SIZE, channels: 3 as const };
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  if (!existsSync(modelPath)) {
    process.stdout.write(`models bench: ${modelPath} missing; run npx tsx scripts/make-demo.ts\n`);
    return;
  }
  const input = tiles(N);
  const pre = { size: SIZE, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
  const results: Record<string, number[]> = {};
  const add = (k: string, v: number): void => void (results[k] ??= []).push(v);

  const backend = await createOnnxBackend('base', { path: modelPath, intraOpThreads: 1, interOpThreads: 1 });
  const models = new Map([1, 16].map((b) => [b, createTileModel(backend, { id: 'base', preprocess: pre, postprocess: { activation: 'softmax' }, batchSize: b })]));
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const ready = new Map([1, 16].map((b) => [b, new ort.Tensor('float32', new Float32Array(b * 3 * SIZE * SIZE).fill(0.1), [b, 3, SIZE, SIZE])]));

  // OpenCV dnn peer, in its own process
  const dir = mkdtempSync(join(tmpdir(), 'blurmm-bench-models-'));
  const py = join(dir, 'peer.py');
  writeFileSync(
    py,
    `import sys, time, json, numpy as np, cv2
cv2.setNumThreads(1)
net = cv2.dnn.readNetFromONNX(sys.argv[1])
rng = np.random.default_rng(1)
imgs = [rng.integers(0, 256, (${SIZE}, ${SIZE}, 3), dtype=np.uint8) for _ in range(${N})]
out = {}
for b in (1, 16):
    best = []
    for r in range(${ROUNDS}):
        t = time.perf_counter()
        for i in range(0, ${N}, b):
            blob = cv2.dnn.blobFromImages(imgs[i:i+b], scalefactor=1/(255*0.25), mean=(127.5, 127.5, 127.5), swapRB=False)
            net.setInput(blob)
            net.forward()
        best.append(${N} / (time.perf_counter() - t))
    out[str(b)] = best
print(json.dumps(out))
`,
  );

  for (let r = 0; r < ROUNDS; r++) {
    for (const b of [1, 16]) {
      const model = await models.get(b)!;
      let t = performance.now();
      await model.predict(input);
      add(`blurmm TileModel, batch ${b}`, N / ((performance.now() - t) / 1000));
      const tensor = ready.get(b)!;
      t = performance.now();
      for (let i = 0; i < N; i += b) await session.run({ input: tensor });
      add(`bare ort session.run, batch ${b}`, N / ((performance.now() - t) / 1000));
    }
  }
  const peer = spawnSync('/usr/bin/python3', [py, modelPath], { encoding: 'utf8' });
  let cv: Record<string, number[]> | undefined;
  if (peer.status === 0) cv = JSON.parse(peer.stdout) as Record<string, number[]>;
  else process.stdout.write(`OpenCV dnn peer failed: ${peer.stderr.split('\n').slice(-3).join(' ')}\n`);

  process.stdout.write(`Tile models: demo base CNN, ${SIZE} px RGB tiles, ${N} tiles x ${ROUNDS} rounds, 1 thread, medians (tiles/s)\n`);
  for (const b of [1, 16]) {
    const ours = median(results[`blurmm TileModel, batch ${b}`]!);
    const bare = median(results[`bare ort session.run, batch ${b}`]!);
    const line = [`batch ${String(b).padStart(2)}: blurmm ${ours.toFixed(0)} tiles/s`, `bare ort ${bare.toFixed(0)} (blurmm/bare ${(ours / bare).toFixed(2)}x)`];
    const c = cv?.[String(b)];
    if (c) line.push(`OpenCV dnn ${median(c).toFixed(0)} (blurmm/OpenCV ${(ours / median(c)).toFixed(2)}x)`);
    process.stdout.write(`  ${line.join('; ')}\n`);
  }
  await session.release();
  await backend.close();
}

await main();
