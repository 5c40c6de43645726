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
