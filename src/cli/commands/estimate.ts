import { createWriteStream } from 'node:fs';
import { estimate, type EstimateOptions, type TileEstimate } from '../../api.js';
import { ArgumentError } from '../../core/errors.js';
import type { EdgePolicy } from '../../core/types.js';
import { num, oneOf, str } from '../args.js';
import { EXIT, type CliCommand } from '../command.js';
import { ProgressBar } from '../progress.js';

export const command: CliCommand = {
  name: 'estimate',
  summary: 'Blur per tile (LV, FocusLiteNN, ...) as JSON lines or CSV',
  usage: [
    'blurmm estimate <source> [--estimator lv[,focuslitenn]] [--tile 512] [--mpp M | --level L] [--overlap N]',
    '                [--edge partial|skip|pad] [--no-tissue-mask] [--min-tissue F] [--roi annotations.geojson]',
    '                [--format jsonl|csv] [--out FILE]',
    '                [--weights W.json] [--crop 235] [--stride S]   (focuslitenn options)',
    '  One record per tile: x, y, width, height (level-0 pixels), then one field per estimator output (lv, focuslitenn).',
  ].join('\n'),
  options: {
    estimator: { type: 'string' },
    tile: { type: 'string' },
    mpp: { type: 'string' },
    level: { type: 'string' },
    overlap: { type: 'string' },
    edge: { type: 'string' },
    'no-tissue-mask': { type: 'boolean' },
    roi: { type: 'string' },
    'min-tissue': { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string', short: 'o' },
    weights: { type: 'string' },
    crop: { type: 'string' },
    stride: { type: 'string' },
    'batch-size': { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  },
  async run({ values, positionals }, io) {
    const [target] = positionals;
    if (!target || positionals.length > 1) throw new ArgumentError('blurmm estimate takes exactly one <source>');
    const names = (str(values, 'estimator') ?? 'lv').split(',').map((s) => s.trim()).filter(Boolean);
    const format = oneOf(values, 'format', ['jsonl', 'csv'] as const) ?? 'jsonl';
    const weights = str(values, 'weights');
    const crop = num(values, 'crop', { int: true, min: 1 });
    const stride = num(values, 'stride', { int: true, min: 1 });
    if (names.includes('focuslitenn') && !weights) throw new ArgumentError('--estimator focuslitenn needs --weights <file.json> (FocusLiteNN weights as a JSON of named tensors; make some with `blurmm train-focus`)');
    const estimators = names.map((name) =>
      name === 'focuslitenn'
        ? { name, options: { weights: weights!, ...(crop !== undefined ? { crop } : {}), ...(stride !== undefined ? { stride } : {}) } }
        : { name },
    );
    const mpp = num(values, 'mpp', { min: 0 });
    const level = num(values, 'level', { int: true, min: 0 });
    if (mpp !== undefined && level !== undefined) throw new ArgumentError('Give either --mpp or --level, not both: they are two units of resolution');
    const tileSize = num(values, 'tile', { int: true, min: 1 });
    const overlap = num(values, 'overlap', { int: true, min: 0 });
    const minTissue = num(values, 'min-tissue', { min: 0 });
    const batchSize = num(values, 'batch-size', { int: true, min: 1 });
    const edge = oneOf(values, 'edge', ['partial', 'skip', 'pad'] as const) as EdgePolicy | undefined;
    const outPath = str(values, 'out');
    const out = outPath ? createWriteStream(outPath) : io.stdout;
    const bar = new ProgressBar(io, 'estimate', { quiet: values.quiet === true });
    let header: string[] | undefined;
    const write = (t: TileEstimate): void => {
      if (format === 'jsonl') {
        out.write(JSON.stringify({ x: t.x, y: t.y, width: t.width, height: t.height, col: t.col, row: t.row, tissue: round(t.tissueFraction), ...t.values }) + '\n');
        return;
      }
      if (!header) {
        header = Object.keys(t.values);
        out.write(['x', 'y', 'width', 'height', 'col', 'row', 'tissue', ...header].join(',') + '\n');
      }
      out.write([t.x, t.y, t.width, t.height, t.col, t.row, round(t.tissueFraction), ...header.map((h) => String(t.values[h]))].join(',') + '\n');
    };
    const options: EstimateOptions = {
      estimators,
      ...(tileSize !== undefined ? { tileSize } : {}),
      ...(mpp !== undefined ? { mpp } : {}),
      ...(level !== undefined ? { level } : {}),
      ...(overlap !== undefined ? { overlap } : {}),
      ...(edge !== undefined ? { edge } : {}),
      ...(minTissue !== undefined ? { minTissueFraction: minTissue } : {}),
      ...(batchSize !== undefined ? { batchSize } : {}),
      tissueMask: values['no-tissue-mask'] !== true,
      ...(str(values, 'roi') !== undefined ? { roi: str(values, 'roi')! } : {}),
      signal: io.signal,
      on: { 'slide:progress': (p) => bar.update(p) },
    };
    try {
      const report = await estimate(target, options, write);
      bar.done();
      for (const f of report.failures) io.stderr.write(`blurmm estimate: tile ${f.index} at (${f.x}, ${f.y}) failed at ${f.stage}: ${f.message} [${f.code}]\n`);
      if (io.stderr.isTTY) io.stderr.write(`${report.counts.processed} tiles estimated, ${report.counts.backgroundSkipped} background skipped, ${report.counts.failed} failed in ${(report.timings.totalMs! / 1000).toFixed(1)} s\n`);
      return report.counts.failed > 0 ? EXIT.partial : EXIT.ok;
    } finally {
      bar.done();
      if (outPath) await new Promise<void>((resolve) => (out as NodeJS.WritableStream).end(resolve));
    }
  },
};

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
