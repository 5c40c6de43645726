export { createQuPathContext, type QuPathContext, type QuPathContextOptions, type GeoJsonExportOption } from './context.js';
export { PathObject, ROI, createPolygonROI, createRectangleROI, getColorRGB, unpackRGB, type PathClass, type PathObjectType, type RoiType } from './objects.js';
