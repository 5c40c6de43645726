/**
 * 01: blur per tile, streamed. Run: npm run build && npx tsx examples/01-estimate-blur.ts <slide>
 */
import { estimate } from 'blurmm';

const slide = process.argv[2] ?? 'examples/demo/sample-slide.tif';
const report = await estimate(slide, { tileSize: 512, estimators: ['lv'] }, (tile) => {
  process.stdout.write(`${tile.x}\t${tile.y}\t${tile.values.lv!.toFixed(2)}\n`);
});
process.stderr.write(`${report.counts.processed} tiles, ${report.counts.backgroundSkipped} background skipped\n`);
