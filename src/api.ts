/**
 * The high-level API: `info`, `estimate` and `analyze` on a slide path or URL, with the built-in
 * readers, estimators and backends registered. The CLI and `blurmm serve` are thin layers over it.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildPipeline, createEstimators } from './core/build.js';
import { validateConfig, type BlurmmConfig } from './core/config.js';
import { ConfigError, OutputError, isBlurmmError } from './core/errors.js';
import { writeFileAtomic } from './adapters/shared/atomic-output.js';
import type { RegionsOfInterest } from './adapters/geojson/roi.js';
import type { PipelineEvents } from './core/events.js';
import { openSlide } from './core/open.js';
import { createPipeline, type Pipeline } from './core/pipeline.js';
import { createRouter } from './core/router.js';
import type { EdgePolicy, LevelInfo, Mpp, OpenSourceOptions, SlideReport, SlideSource, SlideWarning, Writer } from './core/types.js';
import { registerBuiltins } from './builtins.js';

export interface SlideInfo {
  readonly path: string;
  readonly format: string;
  readonly width: number;
  readonly height: number;
  readonly mpp: Mpp | null;
  readonly mppSource: string;
  readonly levels: readonly LevelInfo[];
  readonly tileWidth: number | null;
  readonly tileHeight: number | null;
  readonly associatedImages: readonly string[];
  readonly properties: Readonly<Record<string, string>>;
}

type Listeners = { [K in keyof PipelineEvents]?: PipelineEvents[K] };

function sourceOptions(config: BlurmmConfig | undefined, signal: AbortSignal | undefined): OpenSourceOptions {
  return {
    ...(config ? { tileCacheBytes: config.source.tileCacheBytes } : {}),
    ...(config?.source.http ? { http: config.source.http } : {}),
    ...(signal ? { signal } : {}),
  };
}

/** Opens a slide with the built-in readers registered. */
export async function open(target: string, options: OpenSourceOptions = {}): Promise<SlideSource> {
  registerBuiltins();
  return openSlide(target, options);
}

/** Describes a slide: format, level-0 size, levels (size, downsample, mpp), tile size. */
export async function info(target: string, options: OpenSourceOptions = {}): Promise<SlideInfo> {
  const source = await open(target, options);
  try {
    const l0 = source.levels[0];
    return {
      path: source.path,
      format: source.format,
      width: source.width,
      height: source.height,
      mpp: source.mpp ?? null,
      mppSource: source.mppSource,
      levels: source.levels,
      tileWidth: l0?.tileWidth ?? null,
      tileHeight: l0?.tileHeight ?? null,
      associatedImages: source.associatedImages,
      properties: source.properties,
    };
  } finally {
    await source.close();
  }
}

export interface EstimateOptions {
  /** estimator names or specs (default: lv) */
  readonly estimators?: readonly (string | { readonly name: string; readonly id?: string; readonly options?: Record<string, unknown> })[];
  readonly tileSize?: number;
  readonly mpp?: number;
  readonly level?: number;
  readonly overlap?: number;
  readonly edge?: EdgePolicy;
  /** skip background tiles (default true) */
  readonly tissueMask?: boolean;
  readonly minTissueFraction?: number;
  /** regions of interest: a GeoJSON file of annotations (e.g. a QuPath export), level-0 px */
  readonly roi?: string | { readonly geojson: string; readonly classifications?: readonly (string | null)[]; readonly offsetX?: number; readonly offsetY?: number };
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  /** event listeners (slide:progress, tile:error, ...) */
  readonly on?: Listeners;
}

export interface TileEstimate {
  readonly index: number;
  readonly col: number;
  readonly row: number;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly tissueFraction: number;
  /** estimator outputs by name, e.g. { lv: 389.2 } */
  readonly values: Readonly<Record<string, number>>;
}

/**
 * Estimates blur on every tissue tile of a slide. `onTile` receives each tile as soon as it is done
 * (in grid order); the resolved report has the counts, failures and timings.
 *
 * @example
 * await estimate('slide.svs', { tileSize: 512, estimators: ['lv'] }, (t) => console.log(t.x, t.y, t.values.lv));
 */
export async function estimate(target: string | SlideSource, options: EstimateOptions = {}, onTile?: (tile: TileEstimate) => void): Promise<SlideReport> {
  registerBuiltins();
  const config = validateConfig({
    tiling: {
      tileSize: options.tileSize ?? 512,
      ...(options.mpp !== undefined ? { mpp: options.mpp } : {}),
      ...(options.level !== undefined ? { level: options.level } : {}),
      ...(options.overlap !== undefined ? { overlap: options.overlap } : {}),
      ...(options.edge !== undefined ? { edge: options.edge } : {}),
    },
    tissue: { enabled: options.tissueMask ?? true, ...(options.minTissueFraction !== undefined ? { minTissueFraction: options.minTissueFraction } : {}) },
    ...(options.roi !== undefined ? { regions: typeof options.roi === 'string' ? { geojson: options.roi } : options.roi } : {}),
    estimators: (options.estimators ?? ['lv']).map((e) => (typeof e === 'string' ? { name: e } : e)),
    execution: { ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}) },
  });
  const regions = await loadRegions(config);
  const estimators = await createEstimators(config.estimators);
  const source = typeof target === 'string' ? await openSlide(target, sourceOptions(config, options.signal)) : target;
  try {
    const pipeline = createPipeline(
      { estimators, router: createRouter({ rules: [], fallback: { label: 'estimated', model: null } }), aggregators: [] },
      { tiling: config.tiling, tissue: config.tissue, execution: config.execution, includeTilesInReport: false, ...(regions ? { regions } : {}) },
    );
    attach(pipeline, options.on);
    if (onTile) {
      pipeline.on('tile:done', (t) =>
        onTile({ index: t.index, col: t.col, row: t.row, x: t.x, y: t.y, width: t.width, height: t.height, tissueFraction: t.tissueFraction, values: t.blur }),
      );
    }
    return await pipeline.run(source, options.signal ? { signal: options.signal } : {});
  } finally {
    if (typeof target === 'string') await source.close();
    await Promise.all(estimators.map((e) => e.dispose?.().catch(() => undefined)));
  }
}

/** The regions of interest a config names (annotations read with the tolerant GeoJSON reader). */
async function loadRegions(config: BlurmmConfig): Promise<RegionsOfInterest | undefined> {
  if (!config.regions) return undefined;
  const { readRegionsOfInterest } = await import('./adapters/geojson/roi.js');
  const r = config.regions;
  const roi = await readRegionsOfInterest(r.geojson, { offsetX: r.offsetX, offsetY: r.offsetY, ...(r.classifications ? { classifications: r.classifications } : {}) });
  if (roi.polygons.length === 0) {
    throw new ConfigError(`config /regions/geojson: ${r.geojson} holds no annotation polygon${r.classifications ? ` of the classes ${JSON.stringify(r.classifications)}` : ''}; draw the regions as annotations (not detections) or remove /regions`, [{ pointer: '/regions/geojson', message: 'no polygons' }], { path: r.geojson });
  }
  return roi;
}

function attach(pipeline: Pipeline, on: Listeners | undefined): void {
  if (!on) return;
  for (const [name, fn] of Object.entries(on)) if (fn) pipeline.on(name as 'warning', fn as PipelineEvents['warning']);
}

export interface AnalyzeOptions {
  /** a config object (validated here) or an already validated one; default: blur QC (LV, DeepBlurMM thresholds, no models) */
  readonly config?: unknown;
  /** folder for report.json, tiles.geojson(.gz), heatmaps and report.html; nothing is written without it */
  readonly outDir?: string;
  /** replace existing outputs in outDir (default true: outDir belongs to this run) */
  readonly overwrite?: boolean;
  readonly signal?: AbortSignal;
  readonly on?: Listeners;
  /** extra writers */
  readonly writers?: readonly Writer[];
  /** base folder for relative paths in `config` (default: the working directory) */
  readonly baseDir?: string;
}

function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 1), true);
}

/** Writers for the standard outputs in `outDir` (GeoJSON, heatmaps, HTML report). */
async function outputWriters(config: BlurmmConfig, outDir: string, overwrite: boolean): Promise<Writer[]> {
  const writers: Writer[] = [];
  const out = config.outputs;
  if (out.geojson.enabled) {
    const { createGeoJsonWriter } = await import('./adapters/geojson/index.js');
    const common = { objectType: out.geojson.objectType, classification: out.geojson.classification, overwrite, ...(out.geojson.chunkSize !== null ? { chunkSize: out.geojson.chunkSize } : {}) };
    writers.push(createGeoJsonWriter({ path: join(outDir, 'tiles.geojson'), ...common }));
    if (out.geojson.gzip) writers.push(createGeoJsonWriter({ path: join(outDir, 'tiles.geojson.gz'), gzip: true, ...common }));
  }
  if (out.heatmaps.enabled) {
    const { createHeatmapWriter } = await import('./adapters/heatmap/index.js');
    writers.push(createHeatmapWriter({ dir: outDir, maxSide: out.heatmaps.maxSide, overwrite }));
  }
  if (out.html.enabled) {
    const { createHtmlReportWriter } = await import('./adapters/report/index.js');
    writers.push(createHtmlReportWriter({ path: join(outDir, 'report.html'), overwrite }));
  }
  return writers;
}

/**
 * Runs the whole blur-aware pipeline on a slide and, with `outDir`, writes report.json,
 * tiles.geojson(.gz), heatmap-*.png and report.html there.
 *
 * @example
 * const report = await analyze('slide.tif', { config: { tiling: { tileSize: 598, mpp: 0.45 } }, outDir: 'out' });
 * console.log(report.routing.fractions, report.scores.overall);
 */
export async function analyze(target: string, options: AnalyzeOptions = {}): Promise<SlideReport> {
  registerBuiltins();
  const config = validateConfig(options.config ?? {}, { baseDir: options.baseDir ?? process.cwd() });
  const overwrite = options.overwrite ?? true;
  const writers: Writer[] = [...(options.writers ?? [])];
  if (options.outDir) {
    await mkdir(options.outDir, { recursive: true }).catch((cause: unknown) => {
      throw new OutputError(`Cannot create the output folder ${options.outDir}: ${(cause as Error).message}`, { path: options.outDir!, cause });
    });
    writers.push(...(await outputWriters(config, options.outDir, overwrite)));
  }
  const regions = await loadRegions(config);
  const built = await buildPipeline(config, { writers, ...(regions ? { regions } : {}) });
  let source: SlideSource | undefined;
  try {
    source = await openSlide(target, sourceOptions(config, options.signal));
    attach(built.pipeline, options.on);
    let report: SlideReport;
    try {
      report = await built.pipeline.run(source, options.signal ? { signal: options.signal } : {});
    } catch (err) {
      // an aborted run still leaves its partial report behind
      const partial = isBlurmmError(err, 'E_ABORTED') ? (err.data?.report as SlideReport | undefined) : undefined;
      if (partial && options.outDir && config.outputs.reportJson) await writeJsonAtomic(join(options.outDir, 'report.json'), partial);
      throw err;
    }
    // what the GeoJSON writers had to leave out becomes a warning in the report
    for (const w of writers) {
      const summary = (w as { summary?: { skippedTiles?: number; droppedValues?: number; files?: string[] } }).summary;
      if (summary && (summary.skippedTiles || summary.droppedValues)) {
        (report.warnings as SlideWarning[]).push({
          code: 'W_GEOJSON_DROPPED',
          message: `${w.name} (${summary.files?.join(', ') ?? ''}) left out ${summary.skippedTiles ?? 0} tiles and ${summary.droppedValues ?? 0} non-finite measurement values (GeoJSON has no NaN/Infinity)`,
        });
      }
    }
    if (options.outDir && config.outputs.reportJson) await writeJsonAtomic(join(options.outDir, 'report.json'), report);
    return report;
  } finally {
    await source?.close();
    await built.dispose();
  }
}
