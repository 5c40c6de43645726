import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ArgumentError } from '../../core/errors.js';
import type { BlurEstimator } from '../../core/types.js';
import { loadSharp } from '../../adapters/codecs/sharp.js';
import { registerBuiltins } from '../../builtins.js';
import { estimatorRegistry } from '../../core/registries.js';
import { blurMargin } from '../../plugins/train/focuslitenn-trainer.js';
import { compareEstimators, renderComparisonSvg } from '../../plugins/train/compare.js';
import { openPatchSource, selectSharpTiles } from '../../plugins/train/patch-source.js';
import { num, str } from '../args.js';
import { EXIT, type CliCommand } from '../command.js';
import { parseSigmas } from './train-focus.js';
import { writeFileAtomic } from '../../adapters/shared/atomic-output.js';

export const command: CliCommand = {
  name: 'compare-estimators',
  summary: 'Blur sharp tiles at known sigmas and compare blur estimators (Spearman, monotone range, ms/tile, curves)',
  usage: [
    'blurmm compare-estimators <source> [--sigmas 0:6:0.5] [--estimator lv,focuslitenn] [--weights w.json] [--out dir] [--tiles N] [--tile 512] [--crop 235] [--stride 128] [--seed N] [--json]',
    '  <source>     slide or image with in-focus tissue',
    '  --sigmas     comma list or from:to:step (default 0:6:0.5)',
    '  --estimator  registered estimators to compare (default lv, plus focuslitenn with --weights)',
    '  --weights    FocusLiteNN weights JSON, or "default" for the bundled weights',
    '  --out        folder for comparison.json and comparison.png (default: print only)',
    '  --tiles      sharp tiles to pick by LV pre-selection (default 16)',
    '  --tile       tile size scored by each estimator (default 512)',
    '  --crop, --stride   FocusLiteNN crop protocol (default 235, 128)',
  ].join('\n'),
  options: {
    sigmas: { type: 'string' },
    estimator: { type: 'string' },
    weights: { type: 'string' },
    out: { type: 'string', short: 'o' },
    tiles: { type: 'string' },
    tile: { type: 'string' },
    crop: { type: 'string' },
    stride: { type: 'string' },
    seed: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }, io) {
    const [target] = positionals;
    if (!target || positionals.length > 1) throw new ArgumentError('blurmm compare-estimators takes exactly one <source>');
    const sigmas = parseSigmas(str(values, 'sigmas'), [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6]);
    const tileSize = num(values, 'tile', { int: true, min: 16 }) ?? 512;
    const count = num(values, 'tiles', { int: true, min: 1 }) ?? 16;
    const seed = num(values, 'seed', { int: true, min: 0 }) ?? 1;
    const weights = str(values, 'weights');
    const outDir = str(values, 'out');
    const names = (str(values, 'estimator') ?? (weights ? 'lv,focuslitenn' : 'lv')).split(',').map((n) => n.trim()).filter(Boolean);
    if (names.includes('focuslitenn') && !weights) throw new ArgumentError('--estimator focuslitenn needs --weights <file.json> (or --weights default)');
    registerBuiltins();
    const focusOptions = { weights, crop: num(values, 'crop', { int: true, min: 7 }) ?? 235, stride: num(values, 'stride', { int: true, min: 1 }) ?? 128, small: 'pad' };
    const estimators: BlurEstimator[] = [];
    const source = await openPatchSource(target, { signal: io.signal });
    try {
      for (const name of names) estimators.push(await estimatorRegistry.get(name)(name === 'focuslitenn' ? focusOptions : {}));
      const patch = tileSize + 2 * blurMargin(Math.max(...sigmas));
      io.stderr.write(`[select] ${count} sharp tissue tiles of ${tileSize} px (patches of ${patch} px) from ${target}\n`);
      const tiles = await selectSharpTiles([source], { patch, crop: tileSize, count, seed, signal: io.signal });
      if (!tiles.length) throw new ArgumentError(`No sharp tissue tile of ${patch} px found in ${target}; use a larger image or a smaller --tile`);
      const result = await compareEstimators(tiles, estimators, {
        sigmas,
        tileSize,
        signal: io.signal,
        onSigma: (s) => void io.stderr.write(`[blur] sigma ${s}\n`),
      });
      const report = { source: target, weights: weights ?? null, ...result };
      if (outDir) {
        await mkdir(outDir, { recursive: true });
        await writeFileAtomic(join(outDir, 'comparison.json'), JSON.stringify(report, null, 2) + '\n', true);
        const sharp = await loadSharp();
        const png = await sharp(Buffer.from(renderComparisonSvg(result))).png().toBuffer();
        await writeFileAtomic(join(outDir, 'comparison.png'), png, true);
      }
      if (values.json) io.stdout.write(JSON.stringify(report, null, 2) + '\n');
      else {
        const lines = [`${tiles.length} tiles of ${tileSize} px x ${sigmas.length} sigmas (${sigmas[0]}..${sigmas[sigmas.length - 1]})`];
        for (const e of result.estimators) {
          lines.push(
            `  ${e.output.padEnd(12)} Spearman with sigma ${e.spearman.toFixed(4).padStart(7)} (oriented ${e.spearmanOriented.toFixed(4)})  monotone ${e.monotone.from}..${e.monotone.to}  ${e.msPerTile.toFixed(2)} ms/tile  [${e.unit}, ${e.direction}]`,
          );
        }
        if (outDir) lines.push(`wrote ${join(outDir, 'comparison.json')} and ${join(outDir, 'comparison.png')}`);
        io.stdout.write(lines.join('\n') + '\n');
      }
      return EXIT.ok;
    } finally {
      for (const e of estimators) await e.dispose?.();
      await source.close();
    }
  },
};
