import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import configSchema from '../../schemas/blurmm.config.schema.json' with { type: 'json' };
import modelSchema from '../../schemas/model.schema.json' with { type: 'json' };
import { ConfigError, NotFoundError } from './errors.js';
import type { EdgePolicy, RouteRule } from './types.js';

/** One model entry (see schemas/model.schema.json). */
export interface ModelConfig {
  readonly id: string;
  readonly backend: string;
  /** model file, resolved against the config file's folder */
  readonly path?: string;
  readonly version?: string;
  readonly preprocess: Readonly<Record<string, unknown>>;
  readonly postprocess?: Readonly<Record<string, unknown>>;
  readonly batchSize?: number;
  /** backend options (threads, execution providers, ...) */
  readonly options?: Readonly<Record<string, unknown>>;
}

export type RoutingConfig =
  | {
      readonly preset: 'deepblurmm';
      readonly output: string;
      readonly sharpAbove: number;
      readonly severeBelow: number;
      readonly models?: { readonly sharp?: string | null; readonly moderate?: string | null; readonly severe?: string | null };
    }
  | {
      readonly rules: readonly RouteRule[];
      readonly fallback?: { readonly label: string; readonly model: string | null; readonly color?: string };
    };

/** A validated configuration with every default filled in (see schemas/blurmm.config.schema.json). */
export interface BlurmmConfig {
  readonly source: {
    readonly tileCacheBytes: number;
    readonly http?: { readonly headers?: Record<string, string>; readonly maxInFlight: number; readonly retries: number; readonly timeoutMs: number };
  };
  readonly tiling: { readonly tileSize: number; readonly mpp?: number; readonly level?: number; readonly overlap: number; readonly edge: EdgePolicy };
  readonly tissue: { readonly enabled: boolean; readonly thumbnailMaxSide: number; readonly minTissueFraction: number; readonly threshold: number | null };
  /** regions of interest (annotations as GeoJSON); absent: the whole slide */
  readonly regions?: { readonly geojson: string; readonly classifications?: readonly (string | null)[]; readonly offsetX: number; readonly offsetY: number };
  readonly estimators: readonly { readonly name: string; readonly id?: string; readonly options?: Readonly<Record<string, unknown>> }[];
  readonly routing: RoutingConfig;
  readonly models: readonly ModelConfig[];
  readonly aggregation: { readonly percentile: number; readonly include: readonly ('percentile' | 'mean' | 'max')[] };
  readonly execution: { readonly batchSize: number; readonly readConcurrency: number; readonly maxFailures: number | null };
  readonly outputs: {
    readonly reportJson: boolean;
    readonly includeTilesInReport: boolean;
    readonly geojson: { readonly enabled: boolean; readonly gzip: boolean; readonly objectType: 'tile' | 'detection' | 'annotation'; readonly classification: 'blur' | 'prediction'; readonly chunkSize: number | null };
    readonly heatmaps: { readonly enabled: boolean; readonly maxSide: number };
    readonly html: { readonly enabled: boolean };
  };
}

let validator: ValidateFunction | undefined;

function getValidator(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv2020({ allErrors: true, useDefaults: true, strict: false });
    ajv.addSchema(modelSchema as object, 'model.schema.json');
    validator = ajv.compile(configSchema as object);
  }
  return validator;
}

function describeIssue(e: ErrorObject): { pointer: string; message: string } {
  const pointer = e.instancePath === '' ? '/' : e.instancePath;
  const p = e.params as Record<string, unknown>;
  let message = e.message ?? 'is invalid';
  if (e.keyword === 'additionalProperties') message = `has an unknown property "${String(p.additionalProperty)}"`;
  else if (e.keyword === 'enum') message = `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  else if (e.keyword === 'const') message = `must be ${JSON.stringify(p.allowedValue)}`;
  else if (e.keyword === 'required') message = `is missing the required property "${String(p.missingProperty)}"`;
  else if (e.keyword === 'not' && pointer === '/tiling') message = 'must not set both "mpp" and "level": choose one unit of resolution';
  return { pointer, message };
}

function valueAt(doc: unknown, pointer: string): unknown {
  if (pointer === '/') return doc;
  let cur: unknown = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/**
 * Validates a config object against schemas/blurmm.config.schema.json and fills in defaults.
 * Relative model paths resolve against `baseDir`. Throws ConfigError listing every problem with
 * its JSON pointer.
 *
 * @example
 * const config = validateConfig({ tiling: { tileSize: 598, mpp: 0.45 } });
 */
export function validateConfig(input: unknown, options: { baseDir?: string; origin?: string } = {}): BlurmmConfig {
  const doc: unknown = structuredClone(input ?? {});
  const validate = getValidator();
  if (!validate(doc)) {
    const raw = (validate.errors ?? []).filter((e) => e.keyword !== 'if');
    // oneOf failures repeat each branch's errors; keep the most specific (deepest) ones
    const deepest = raw.filter((e) => e.keyword !== 'oneOf' || raw.every((o) => o === e || !o.instancePath.startsWith(e.instancePath)));
    const seen = new Set<string>();
    const issues = deepest.map(describeIssue).filter((i) => {
      const k = `${i.pointer} ${i.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    const first = issues[0]!;
    const got = valueAt(input, first.pointer);
    const where = options.origin ? `${options.origin}: ` : '';
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more: ${issues.slice(1, 4).map((i) => `${i.pointer} ${i.message}`).join('; ')})` : '';
    throw new ConfigError(
      `${where}config ${first.pointer} ${first.message}${got !== undefined && typeof got !== 'object' ? ` (got ${JSON.stringify(got)})` : ''}${more}. See schemas/blurmm.config.schema.json.`,
      issues,
      options.origin ? { path: options.origin } : {},
    );
  }
  const config = doc as BlurmmConfig;
  // ajv fills no defaults inside oneOf branches: complete the preset here
  const routing = config.routing as { preset?: string; output?: string; sharpAbove?: number; severeBelow?: number };
  if (routing.preset !== undefined) {
    routing.output ??= 'lv';
    routing.sharpAbove ??= 25;
    routing.severeBelow ??= 2;
  }
  const ids = new Set<string>();
  config.models.forEach((m, i) => {
    if (ids.has(m.id)) throw new ConfigError(`config /models/${i}/id "${m.id}" is used twice; model ids must be unique`, [{ pointer: `/models/${i}/id`, message: 'duplicate id' }]);
    ids.add(m.id);
  });
  if (options.baseDir) {
    const base = options.baseDir;
    (config as unknown as { models: ModelConfig[] }).models = config.models.map((m) => (m.path && !isAbsolute(m.path) ? { ...m, path: resolve(base, m.path) } : m));
    if (config.regions && !isAbsolute(config.regions.geojson)) {
      (config as unknown as { regions: BlurmmConfig['regions'] }).regions = { ...config.regions, geojson: resolve(base, config.regions.geojson) };
    }
    (config as unknown as { estimators: BlurmmConfig['estimators'] }).estimators = config.estimators.map((e) => {
      const w = e.options?.weights;
      return typeof w === 'string' && !isAbsolute(w) ? { ...e, options: { ...e.options, weights: resolve(base, w) } } : e;
    });
  }
  return config;
}

/** Reads and validates a JSON config file (see {@link validateConfig}). */
export async function loadConfig(path: string): Promise<BlurmmConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new NotFoundError(`Cannot read the config file ${path}: ${(cause as Error).message}`, { path, cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`${path} is not valid JSON: ${(cause as Error).message}`, [{ pointer: '/', message: 'invalid JSON' }], { path, cause });
  }
  return validateConfig(json, { baseDir: dirname(resolve(path)), origin: path });
}
