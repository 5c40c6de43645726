/**
 * 02: the whole pipeline from a config, with progress events and an abort timeout.
 * Run: npm run build && npx tsx examples/02-analyze-with-events.ts
 */
import { analyze, isBlurmmError } from 'blurmm';

try {
  const report = await analyze('examples/demo/sample-slide.tif', {
    config: { tiling: { tileSize: 256, mpp: 0.5, edge: 'skip' }, outputs: { html: { enabled: false } } },
    outDir: 'demo-output/example-02',
    signal: AbortSignal.timeout(5 * 60_000),
    on: {
      'slide:start': (e) => process.stderr.write(`${e.total} tissue tiles of ${e.gridTiles}\n`),
      'slide:progress': (p) => process.stderr.write(`\r${p.done}/${p.total}`),
      'tile:error': (f) => process.stderr.write(`\ntile ${f.index} failed: ${f.message}\n`),
    },
  });
  process.stderr.write('\n');
  console.log(report.routing.fractions);
} catch (err) {
  if (isBlurmmError(err, 'E_ABORTED')) console.error('timed out; partial report in err.data.report');
  else throw err;
}
