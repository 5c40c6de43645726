import { Registry } from './registry.js';
import type { BlurEstimatorFactory, ModelBackendFactory, SourceOpener, Writer } from './types.js';

/** Source openers, tried in priority order by {@link openSlide}. */
export const sourceRegistry = new Registry<SourceOpener>('slide source');
/** Blur estimator factories by name ("lv", "focuslitenn", ...). */
export const estimatorRegistry = new Registry<BlurEstimatorFactory>('blur estimator');
/** Model backend factories by name ("onnxruntime", "function", ...). */
export const backendRegistry = new Registry<ModelBackendFactory>('model backend');
/** Writer factories by name ("report-json", "geojson", ...). */
export const writerRegistry = new Registry<(options: Record<string, unknown>) => Writer>('writer');

export function registerSourceOpener(opener: SourceOpener, priority = 0): void {
  sourceRegistry.register(opener.name, opener, priority);
}
export function registerEstimator(name: string, factory: BlurEstimatorFactory, priority = 0): void {
  estimatorRegistry.register(name, factory, priority);
}
export function registerBackend(name: string, factory: ModelBackendFactory, priority = 0): void {
  backendRegistry.register(name, factory, priority);
}
export function registerWriter(name: string, factory: (options: Record<string, unknown>) => Writer, priority = 0): void {
  writerRegistry.register(name, factory, priority);
}
