/**
 * JSON Schemas (2020-12) of the `blurmm serve` request bodies. The `config` of /v1/analyze is
 * validated against schemas/blurmm.config.schema.json (through validateConfig), as for the CLI.
 */
const path = { type: 'string', minLength: 1, maxLength: 4096, description: 'slide file or folder, absolute or relative to the first root' } as const;
const format = { enum: ['json', 'geojson'], default: 'json', description: 'response body: JSON report or a GeoJSON FeatureCollection of the tiles' } as const;
const geojson = {
  objectType: { enum: ['tile', 'detection', 'annotation'] },
  classification: { enum: ['blur', 'prediction'] },
} as const;

export const infoRequestSchema = {
  $id: 'blurmm-serve-info',
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: { path },
} as const;

export const estimateRequestSchema = {
  $id: 'blurmm-serve-estimate',
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: {
    path,
    estimators: { type: 'array', minItems: 1, maxItems: 8, items: { type: 'string', minLength: 1, maxLength: 64 } },
    tileSize: { type: 'integer', minimum: 16, maximum: 8192 },
    mpp: { type: 'number', exclusiveMinimum: 0, maximum: 1000 },
    level: { type: 'integer', minimum: 0, maximum: 64 },
    tissueMask: { type: 'boolean' },
    format,
    ...geojson,
  },
} as const;

export const analyzeRequestSchema = {
  $id: 'blurmm-serve-analyze',
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: {
    path,
    config: { type: 'object', description: 'a blurmm config (schemas/blurmm.config.schema.json); relative paths resolve against the first root' },
    outDir: { type: 'string', minLength: 1, maxLength: 4096, description: 'write the standard outputs here (inside a root)' },
    includeTiles: { type: 'boolean', default: true, description: 'JSON format: keep the per-tile results in the report' },
    format,
    ...geojson,
  },
} as const;

export interface InfoRequest {
  readonly path: string;
}
export interface EstimateRequest {
  readonly path: string;
  readonly estimators?: string[];
  readonly tileSize?: number;
  readonly mpp?: number;
  readonly level?: number;
  readonly tissueMask?: boolean;
  readonly format?: 'json' | 'geojson';
  readonly objectType?: 'tile' | 'detection' | 'annotation';
  readonly classification?: 'blur' | 'prediction';
}
export interface AnalyzeRequest {
  readonly path: string;
  readonly config?: Record<string, unknown>;
  readonly outDir?: string;
  readonly includeTiles?: boolean;
  readonly format?: 'json' | 'geojson';
  readonly objectType?: 'tile' | 'detection' | 'annotation';
  readonly classification?: 'blur' | 'prediction';
}
