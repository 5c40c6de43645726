/**
 * The QuPath-style facade in TypeScript: a QuPath script ported with `qp.` in front of each call.
 * Run: npx tsx examples/qupath/facade-example.ts <tiles.geojson> <out.geojson> [class, default severe]
 */
import { createQuPathContext } from '../../src/adapters/qupath/index.js';

const [input, output, className = 'severe'] = process.argv.slice(2);
if (!input || !output) {
  process.stderr.write('usage: facade-example.ts <in.geojson> <out.geojson> [class]\n');
  process.exit(2);
}

const qp = createQuPathContext();
await qp.importObjectsFromFile(input);
for (const w of qp.getImportWarnings()) process.stderr.write(`feature ${w.feature}: ${w.message}\n`);

// QuPath: def severe = getTileObjects().findAll { it.getPathClass() == getPathClass('severe') }
const severe = qp.selectObjectsByClassification(className);

// QuPath: def roi = ROIs.createRectangleROI(...); def ann = PathObjects.createAnnotationObject(roi, getPathClass('Blurry region', getColorRGB(200, 0, 0)))
for (const tile of severe) {
  const r = tile.getROI();
  const ann = qp.createAnnotationObject(qp.createRectangleROI(r.getBoundsX(), r.getBoundsY(), r.getBoundsWidth(), r.getBoundsHeight()), qp.getPathClass('Blurry region', qp.getColorRGB(200, 0, 0)));
  ann.getMeasurements().set('blur.lv', tile.getMeasurements().get('blur.lv') ?? NaN);
  qp.addObject(ann);
}

// QuPath: exportObjectsToGeoJson(getAnnotationObjects(), path, 'FEATURE_COLLECTION')
await qp.exportObjectsToGeoJson(qp.getAnnotationObjects(), output, 'FEATURE_COLLECTION');
process.stdout.write(`${qp.getTileObjects().length} tiles, ${severe.length} ${className} -> ${qp.getAnnotationObjects().length} annotations in ${output}\n`);
