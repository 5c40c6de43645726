/**
 * blurmm: blur-aware tile-level predictions on whole-slide images.
 *
 * Data flows one way: SlideSource -> tiler (+ tissue mask) -> BlurEstimator(s) -> Router ->
 * TileModel/ModelBackend(s) -> Aggregator -> Writer(s). Built-in readers, estimators and backends are
 * registered on first use of the high-level API (or by calling `registerBuiltins()`); importing this
 * module loads no native dependency.
 */
export * from './core/types.js';
export * from './core/errors.js';
export type { PipelineEvents, ProgressEvent, SlideStartEvent } from './core/events.js';
export { Registry } from './core/registry.js';
export {
  sourceRegistry,
  estimatorRegistry,
  backendRegistry,
  writerRegistry,
  registerSourceOpener,
  registerEstimator,
  registerBackend,
  registerWriter,
} from './core/registries.js';
export { openSlide, isUrl } from './core/open.js';
export { validateConfig, loadConfig, type BlurmmConfig, type ModelConfig, type RoutingConfig } from './core/config.js';
export { createRouter, deepBlurMMRules, type RouterOptions, type DeepBlurMMOptions } from './core/router.js';
export { percentile, mean, max, aggregateAll } from './core/aggregate.js';
export { Pipeline, createPipeline, type PipelineParts, type PipelineSettings } from './core/pipeline.js';
export { buildPipeline, createEstimators, createModels, createRouterFromConfig, createAggregators, type BuiltPipeline } from './core/build.js';
export { BLURMM_VERSION } from './core/version.js';
export { registerBuiltins } from './builtins.js';
export { open, info, estimate, analyze, type SlideInfo, type EstimateOptions, type TileEstimate, type AnalyzeOptions } from './api.js';

// ---- stages (core, pure TypeScript)
export { planTileGrid, readTile, readTiles, type TileGrid, type TileGridOptions, type TileSelection, type TileRead } from './core/tiler.js';
export { readThumbnail, type Thumbnail } from './core/thumbnail.js';
export { computeTissueMask, createTissueMask, otsuThreshold, rgbToGray, type TissueMask } from './core/tissue.js';
export { resizeArea, boxMean } from './core/resample.js';
export { createTileModel, tilesToTensor, type PreprocessConfig, type PostprocessConfig, type TileModelOptions, type ModelEntry } from './core/model.js';

// ---- plugins (native dependencies load on first use, not on import)
export { laplacianVariance, varianceOfLaplacian, laplacianStats, type LaplacianVarianceOptions, type LaplacianStats } from './plugins/estimators/lv.js';
export { focusLiteNN, type FocusLiteNNOptions, type FocusLiteNNWeights } from './plugins/estimators/focuslitenn.js';
export { createOnnxBackend, type OnnxBackendOptions } from './plugins/backends/onnx.js';
export { createFunctionBackend, type FunctionBackendOptions } from './plugins/backends/function.js';

// ---- adapters
export { imageOpener } from './adapters/image/index.js';
export { tiffOpener, openTiffSlide } from './adapters/tiff/index.js';
export { dicomOpener } from './adapters/dicom/opener.js';
export { dicomwebOpener } from './adapters/dicomweb/opener.js';
export { createGeoJsonWriter, readGeoJsonFile, readGeoJsonText, type GeoJsonWriterOptions, type ReadResult } from './adapters/geojson/index.js';
export { readRegionsOfInterest } from './adapters/geojson/roi.js';
export { registerOverlayWriters } from './adapters/report/register-writers.js';
export { createHeatmapWriter, type HeatmapWriterOptions } from './adapters/heatmap/index.js';
export { createHtmlReportWriter, type HtmlReportWriterOptions } from './adapters/report/index.js';
export { createQuPathContext, type QuPathContext, type QuPathContextOptions } from './adapters/qupath/index.js';
export { createBlurmmServer, type BlurmmServer, type BlurmmServerOptions } from './adapters/server/index.js';
