export { tiffOpener } from './opener.js';
export { openTiffSlide, DEFAULT_TILE_CACHE_BYTES, type TiffOpenOptions, type TiffLevel } from './tiff-source.js';
export { parseTiff, isTiffHead, type Ifd, type TiffStructure } from './ifd.js';
