export { createHeatmapWriter, gridOf, HEATMAP_FILES, type HeatmapWriterOptions } from './writer.js';
export { encodeFloatTiff, encodeNpy, createGrid, type Grid } from './grid-files.js';
export { loadThumbnail, type Thumbnail } from './thumbnail.js';
export { TileTable } from './tile-table.js';
export { blurScale, rampColor, BLUR_RAMP, SCORE_RAMP, type BlurScale } from './colormap.js';
