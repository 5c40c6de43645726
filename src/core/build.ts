import { max, mean, percentile } from './aggregate.js';
import type { BlurmmConfig } from './config.js';
import { ConfigError } from './errors.js';
import { createTileModel } from './model.js';
import { createPipeline, type Pipeline, type PipelineSettings } from './pipeline.js';
import { backendRegistry, estimatorRegistry } from './registries.js';
import { createRouter, deepBlurMMRules } from './router.js';
import type { Aggregator, BlurEstimator, Router, TileModel, Writer } from './types.js';

/** Instantiates the estimators a config names, from the estimator registry. */
export async function createEstimators(specs: BlurmmConfig['estimators']): Promise<BlurEstimator[]> {
  const out: BlurEstimator[] = [];
  for (const [i, spec] of specs.entries()) {
    let factory;
    try {
      factory = estimatorRegistry.get(spec.name);
    } catch (cause) {
      throw new ConfigError(`config /estimators/${i}/name: ${(cause as Error).message}`, [{ pointer: `/estimators/${i}/name`, message: 'unknown estimator' }], { cause });
    }
    out.push(await factory({ ...(spec.options ?? {}), ...(spec.id !== undefined ? { id: spec.id } : {}) }));
  }
  return out;
}

/** The router a config describes. */
export function createRouterFromConfig(routing: BlurmmConfig['routing']): Router {
  if ('preset' in routing) {
    return createRouter({
      rules: deepBlurMMRules({ output: routing.output, sharpAbove: routing.sharpAbove, severeBelow: routing.severeBelow, ...(routing.models ? { models: routing.models } : {}) }),
    });
  }
  return createRouter({ rules: routing.rules, ...(routing.fallback ? { fallback: routing.fallback } : {}) });
}

export function createAggregators(aggregation: BlurmmConfig['aggregation']): Aggregator[] {
  return aggregation.include.map((k) => (k === 'percentile' ? percentile(aggregation.percentile) : k === 'mean' ? mean() : max()));
}

/** Loads every model of the config through its backend and wraps it with its pre/postprocessing. */
export async function createModels(config: BlurmmConfig, router: Router): Promise<Map<string, TileModel>> {
  const models = new Map<string, TileModel>();
  if (config.models.length === 0) return models;
  const ids = new Set(config.models.map((m) => m.id));
  [...router.rules.map((r) => r.model), router.fallback.model].forEach((m, i) => {
    if (m !== null && !ids.has(m)) {
      throw new ConfigError(`config /routing: route ${i} sends tiles to the model "${m}", which /models does not define (defined: ${[...ids].join(', ')}). Add it to /models or set that route's model to null.`, [{ pointer: '/routing', message: `unknown model ${m}` }]);
    }
  });
  try {
    for (const [i, m] of config.models.entries()) {
      let factory;
      try {
        factory = backendRegistry.get(m.backend);
      } catch (cause) {
        throw new ConfigError(`config /models/${i}/backend: ${(cause as Error).message}`, [{ pointer: `/models/${i}/backend`, message: 'unknown backend' }], { cause });
      }
      const backend = await factory(m.id, { ...(m.options ?? {}), ...(m.path !== undefined ? { path: m.path } : {}) });
      const model = await createTileModel(backend, {
        id: m.id,
        preprocess: m.preprocess as unknown as Parameters<typeof createTileModel>[1]['preprocess'],
        ...(m.postprocess ? { postprocess: m.postprocess as unknown as NonNullable<Parameters<typeof createTileModel>[1]['postprocess']> } : {}),
        ...(m.batchSize !== undefined ? { batchSize: m.batchSize } : {}),
      });
      models.set(m.id, model);
    }
  } catch (err) {
    await Promise.all([...models.values()].map((m) => m.close().catch(() => undefined)));
    throw err;
  }
  return models;
}

export interface BuiltPipeline {
  readonly pipeline: Pipeline;
  readonly estimators: readonly BlurEstimator[];
  readonly models: ReadonlyMap<string, TileModel>;
  readonly router: Router;
  /** releases models and estimators */
  dispose(): Promise<void>;
}

/** Builds a ready {@link Pipeline} from a validated config (estimators and backends from the registries). */
export async function buildPipeline(
  config: BlurmmConfig,
  options: { writers?: readonly Writer[]; versions?: Record<string, string>; regions?: PipelineSettings['regions'] } = {},
): Promise<BuiltPipeline> {
  const router = createRouterFromConfig(config.routing);
  const estimators = await createEstimators(config.estimators);
  let models: Map<string, TileModel>;
  try {
    models = await createModels(config, router);
  } catch (err) {
    await Promise.all(estimators.map((e) => e.dispose?.().catch(() => undefined)));
    throw err;
  }
  const dispose = async (): Promise<void> => {
    await Promise.all([...models.values()].map((m) => m.close().catch(() => undefined)));
    await Promise.all(estimators.map((e) => e.dispose?.().catch(() => undefined)));
  };
  try {
    const pipeline = createPipeline(
      { estimators, router, models, aggregators: createAggregators(config.aggregation), ...(options.writers ? { writers: options.writers } : {}), ...(options.versions ? { versions: options.versions } : {}) },
      {
        tiling: config.tiling,
        tissue: config.tissue,
        execution: config.execution,
        includeTilesInReport: config.outputs.includeTilesInReport,
        ...(options.regions ? { regions: options.regions } : {}),
      },
    );
    return { pipeline, estimators, models, router, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
