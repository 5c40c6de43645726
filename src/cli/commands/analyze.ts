import { readdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { analyze } from '../../api.js';
import { loadConfig, validateConfig } from '../../core/config.js';
import { ArgumentError } from '../../core/errors.js';
import { str } from '../args.js';
import { EXIT, type CliCommand } from '../command.js';
import { ProgressBar } from '../progress.js';

export const command: CliCommand = {
  name: 'analyze',
  summary: 'Whole pipeline: tissue tiles -> blur -> routing -> models -> slide score; writes report.json, tiles.geojson, heatmaps, report.html',
  usage: [
    'blurmm analyze <source> --out <dir> [--config <file.json>] [--roi annotations.geojson] [--quiet]',
    '  --roi: analyse only tiles whose centre lies in the annotations (e.g. exported from QuPath).',
    '  Without --config: blur QC (LV, DeepBlurMM thresholds 25/2, no models: routes recorded, no predictions).',
    '  The config format is schemas/blurmm.config.schema.json; see examples/.',
  ].join('\n'),
  options: { config: { type: 'string', short: 'c' }, out: { type: 'string', short: 'o' }, roi: { type: 'string' }, quiet: { type: 'boolean', short: 'q' } },
  async run({ values, positionals }, io) {
    const [target] = positionals;
    if (!target || positionals.length > 1) throw new ArgumentError('blurmm analyze takes exactly one <source>');
    const outDir = str(values, 'out');
    if (!outDir) throw new ArgumentError('blurmm analyze needs --out <dir> for report.json, tiles.geojson, heatmaps and report.html');
    const configPath = str(values, 'config');
    const roi = str(values, 'roi');
    const loaded = configPath ? await loadConfig(configPath) : validateConfig({});
    const config = roi ? validateConfig({ ...loaded, regions: { ...loaded.regions, geojson: resolve(roi) } }) : loaded;
    const bar = new ProgressBar(io, 'analyze', { quiet: values.quiet === true });
    const report = await analyze(target, {
      config,
      outDir,
      baseDir: configPath ? dirname(resolve(configPath)) : process.cwd(),
      signal: io.signal,
      on: { 'slide:progress': (p) => bar.update(p) },
    }).finally(() => bar.done());
    const c = report.counts;
    const lines = [
      `slide:    ${report.slide.path} (${report.slide.format}, ${report.slide.width} x ${report.slide.height})`,
      `tiles:    ${c.processed} analysed, ${c.backgroundSkipped} background skipped, ${c.edgeSkipped} edge skipped, ${c.outsideRegionSkipped ? `${c.outsideRegionSkipped} outside the regions, ` : ''}${c.failed} failed (grid ${report.tiling.gridColumns} x ${report.tiling.gridRows}, ${report.tiling.tileSize} px${report.tiling.targetMpp ? ` at ${report.tiling.targetMpp} um/px` : ` at level ${report.tiling.level}`})`,
      'routing:',
      ...Object.entries(report.routing.counts).map(([label, n]) => {
        const rule = report.routing.rules.find((r) => r.label === label);
        const model = rule ? rule.model : report.routing.fallback.model;
        return `  ${label.padEnd(10)} ${String(n).padStart(6)} tiles  ${(100 * (report.routing.fractions[label] ?? 0)).toFixed(1).padStart(5)} %  -> ${model ?? '(no model)'}`;
      }),
      `score:    ${Object.entries(report.scores.overall).map(([k, v]) => `${k} ${v === null ? 'n/a (no predictions)' : v.toFixed(4)}`).join(', ') || 'n/a (no models configured)'}`,
      ...(report.warnings.length ? ['warnings:', ...report.warnings.map((w) => `  ${w.code}: ${w.message}`)] : []),
      `time:     ${((report.timings.totalMs ?? 0) / 1000).toFixed(1)} s`,
      `outputs:  ${resolve(outDir)}: ${(await readdir(outDir)).sort().join(', ')}`,
    ];
    io.stdout.write(lines.join('\n') + '\n');
    for (const f of report.failures.slice(0, 20)) io.stderr.write(`blurmm analyze: tile ${f.index} at (${f.x}, ${f.y}) failed at ${f.stage}: ${f.message} [${f.code}]\n`);
    if (report.failures.length > 20) io.stderr.write(`blurmm analyze: ... and ${report.failures.length - 20} more failures (see report.json)\n`);
    return c.failed > 0 ? EXIT.partial : EXIT.ok;
  },
};
