export { createGeoJsonWriter, type GeoJsonWriter, type GeoJsonWriterOptions, type GeoJsonWriteSummary } from './writer.js';
export { readGeoJsonFile, readGeoJsonText, readGeoJsonValue, parseTolerantJson, parseColor, ringSelfIntersects, type ReadObject, type ReadResult, type ReadWarning, type ReadGeometry, type ReadObjectType } from './reader.js';
export { tileToFeature, tileMeasurements, rectangleRing, putMeasurement, type TileFeature, type FeatureStyle, type QuPathObjectType } from './feature.js';
export { routeClasses, predictedClass, colorForLabel, parseHexColor, toHex, type ClassStyle, type RouteClasses, type Rgb } from './classes.js';
export { prepareOutput, commitOutput, discardOutput, writeFileAtomic, type PendingOutput } from '../shared/atomic-output.js';
export { readRegionsOfInterest, regionsOfInterest, type RegionsOfInterest, type RoiOptions } from './roi.js';
export { createFeatureEncoder } from './feature.js';
