export { tiffOpener, isTiffHead } from './opener.js';
export { openTiffSlide, DEFAULT_TILE_CACHE_BYTES, type TiffOpenOptions, type TiffLevel } from './tiff-source.js';
export { parseTiff, type Ifd, type TiffStructure } from './ifd.js';
