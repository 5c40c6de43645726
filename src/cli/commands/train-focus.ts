import { ArgumentError } from '../../core/errors.js';
import { focusLiteNNWeightsToJson } from '../../plugins/estimators/focuslitenn-weights.js';
import { DEFAULT_SIGMAS, trainFocusLiteNN } from '../../plugins/train/focuslitenn-trainer.js';
import { openPatchSource, type PatchSource } from '../../plugins/train/patch-source.js';
import { num, str } from '../args.js';
import { EXIT, type CliCommand } from '../command.js';
import { writeFileAtomic } from '../../adapters/shared/atomic-output.js';

/** "0,0.5,...,6" or "0:6:0.5" (from:to:step) into a sorted list of sigmas. */
export function parseSigmas(text: string | undefined, fallback: readonly number[]): number[] {
  if (text === undefined) return [...fallback];
  let list: number[];
  const range = /^\s*([\d.]+)\s*:\s*([\d.]+)\s*:\s*([\d.]+)\s*$/.exec(text);
  if (range) {
    const [from, to, step] = [Number(range[1]), Number(range[2]), Number(range[3])];
    if (!(step > 0) || to < from) throw new ArgumentError(`Expected --sigmas from:to:step with step > 0 and to >= from but received "${text}"`);
    list = [];
    for (let i = 0; from + i * step <= to + 1e-9; i++) list.push(Math.round((from + i * step) * 1e6) / 1e6);
  } else {
    list = text.split(',').map((s) => Number(s.trim()));
  }
  if (list.length < 2 || list.some((s) => !Number.isFinite(s) || s < 0)) {
    throw new ArgumentError(`Expected --sigmas as a comma list of at least two sigmas >= 0 (e.g. 0,0.5,1,2,4,6) or from:to:step (e.g. 0:6:0.5) but received "${text}"`);
  }
  return [...new Set(list)].sort((a, b) => a - b);
}

export const command: CliCommand = {
  name: 'train-focus',
  summary: 'Train FocusLiteNN on your own slides (self-supervised: sharp tiles blurred at known sigmas)',
  usage: [
    'blurmm train-focus <source...> --out weights.json [--seed N] [--epochs N] [--tiles N] [--sigmas 0,0.5,...,6] [--kernels K] [--crop 235] [--lr 0.01] [--json]',
    '  <source...>   slides or images with in-focus tissue (level 0 is used)',
    '  --out         weights JSON to write (load it with --estimator focuslitenn --weights)',
    '  --seed        random seed (default 1): the same sources and seed give the same weights',
    '  --epochs      training epochs (default 30)',
    '  --tiles       sharp tissue tiles to pick by LV pre-selection (default 48); a quarter are held out',
    '  --sigmas      blur sigmas in px, comma list or from:to:step (default 0:6:0.5)',
    '  --kernels     conv kernels k (default 10)',
    '  --crop        network input size (default 235)',
    '  --lr          Adam learning rate (default 0.01)',
    '  --lv-fraction LV pre-selection: keep tiles with LV >= this fraction of the 90th percentile (default 0.6)',
    '  --json        print the training report as JSON',
  ].join('\n'),
  options: {
    out: { type: 'string', short: 'o' },
    seed: { type: 'string' },
    epochs: { type: 'string' },
    tiles: { type: 'string' },
    sigmas: { type: 'string' },
    kernels: { type: 'string' },
    crop: { type: 'string' },
    lr: { type: 'string' },
    'lv-fraction': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }, io) {
    if (!positionals.length) throw new ArgumentError('blurmm train-focus needs at least one <source> with in-focus tissue');
    const out = str(values, 'out');
    if (!out) throw new ArgumentError('blurmm train-focus needs --out weights.json');
    const sigmas = parseSigmas(str(values, 'sigmas'), DEFAULT_SIGMAS);
    const opts = {
      sigmas,
      seed: num(values, 'seed', { int: true, min: 0 }) ?? 1,
      epochs: num(values, 'epochs', { int: true, min: 1 }) ?? 30,
      tiles: num(values, 'tiles', { int: true, min: 2 }) ?? 48,
      kernels: num(values, 'kernels', { int: true, min: 1 }) ?? 10,
      crop: num(values, 'crop', { int: true, min: 7 }) ?? 235,
      learningRate: num(values, 'lr', { min: 0 }) ?? 0.01,
      lvFraction: num(values, 'lv-fraction', { min: 0 }) ?? 0.6,
    };
    const sources: PatchSource[] = [];
    try {
      for (const p of positionals) sources.push(await openPatchSource(p, { signal: io.signal }));
      const log = (s: string): void => void io.stderr.write(s + '\n');
      const result = await trainFocusLiteNN(sources, {
        ...opts,
        signal: io.signal,
        onStage: (stage, detail) => log(`[${stage}] ${detail}`),
        onEpoch: (e) =>
          log(`epoch ${String(e.epoch).padStart(3)}  train RMSE ${e.trainRmse.toFixed(3)}  val RMSE ${e.valRmse.toFixed(3)}  val Spearman ${e.valSpearman.toFixed(4)}  ${(e.elapsedMs / 1000).toFixed(1)} s`),
      });
      await writeFileAtomic(out, JSON.stringify(focusLiteNNWeightsToJson(result.weights)) + '\n', true);
      const report = { out, ...opts, train: result.train, validation: result.validation, selected: result.selected };
      if (values.json) io.stdout.write(JSON.stringify(report, null, 2) + '\n');
      else {
        const f = (m: typeof result.train): string => `RMSE ${m.rmse.toFixed(3)} px, MAE ${m.mae.toFixed(3)} px, Spearman ${m.spearman.toFixed(4)} (${m.tiles} tiles, ${m.samples} crops)`;
        io.stdout.write(`wrote ${out}: FocusLiteNN k=${opts.kernels}, output "sigma (px)", higher is blurrier\n  train:      ${f(result.train)}\n  validation: ${f(result.validation)}\n`);
      }
      return EXIT.ok;
    } finally {
      for (const s of sources) await s.close();
    }
  },
};
