import { EventEmitter } from 'eventemitter3';
import { aggregateAll } from './aggregate.js';
import { mapSettled } from './concurrency.js';
import { AbortError, BlurmmError, EstimatorError, isBlurmmError } from './errors.js';
import type { PipelineEvents } from './events.js';
import { computeTissueMask, type TissueMask } from './tissue.js';
import { planTileGrid, readTile } from './tiler.js';
import type {
  Aggregator,
  BlurEstimator,
  EdgePolicy,
  Prediction,
  RgbImage,
  Router,
  SlideReport,
  SlideSource,
  SlideWarning,
  TileFailure,
  TileModel,
  TileResult,
  TileSpec,
  TileStage,
  Writer,
} from './types.js';
import { BLURMM_VERSION } from './version.js';

export interface PipelineSettings {
  readonly tiling: { readonly tileSize: number; readonly mpp?: number | undefined; readonly level?: number | undefined; readonly overlap?: number; readonly edge?: EdgePolicy };
  readonly tissue: { readonly enabled: boolean; readonly thumbnailMaxSide?: number; readonly minTissueFraction?: number; readonly threshold?: number | null };
  readonly execution?: { readonly batchSize?: number; readonly readConcurrency?: number; readonly maxFailures?: number | null };
  /** keep every TileResult in the report (default true; turn off for 1M-tile slides and rely on writers) */
  readonly includeTilesInReport?: boolean;
  /** regions of interest: only tiles it accepts (level-0 extent) are analysed; the others are counted */
  readonly regions?: { readonly containsTile: (tile: { x: number; y: number; width: number; height: number }) => boolean };
}

export interface PipelineParts {
  readonly estimators: readonly BlurEstimator[];
  readonly router: Router;
  /** models by id; routes whose model is absent here are recorded without a prediction */
  readonly models?: ReadonlyMap<string, TileModel>;
  readonly aggregators: readonly Aggregator[];
  readonly writers?: readonly Writer[];
  /** extra version strings for the report (backend libraries, ...) */
  readonly versions?: Readonly<Record<string, string>>;
}

interface Loaded {
  spec: TileSpec;
  image: RgbImage;
}

function describeError(err: unknown): { code: string; message: string } {
  if (isBlurmmError(err)) return { code: err.code, message: err.message };
  if (err instanceof Error) return { code: 'E_INTERNAL', message: err.message };
  return { code: 'E_INTERNAL', message: String(err) };
}

/**
 * The blur-aware pipeline: source -> tiler (+ tissue mask) -> estimators -> router -> models ->
 * aggregation -> writers. Emits typed events (see {@link PipelineEvents}); never prints.
 * Tiles are processed in batches; the next batch is read while the current one is estimated and
 * predicted, so at most two batches of pixels are in memory.
 *
 * @example
 * const pipeline = createPipeline(parts, settings);
 * pipeline.on('slide:progress', (p) => update(p.done / p.total));
 * const report = await pipeline.run(source, { signal });
 */
export class Pipeline extends EventEmitter<PipelineEvents> {
  readonly parts: PipelineParts;
  readonly settings: PipelineSettings;

  constructor(parts: PipelineParts, settings: PipelineSettings) {
    super();
    this.parts = parts;
    this.settings = settings;
    const names = new Set<string>();
    for (const est of parts.estimators) {
      for (const o of est.outputs) {
        if (names.has(o.name)) throw new BlurmmError('E_CONFIG', `Two estimators both produce the output "${o.name}"; give one of them another "id"`, { plugin: est.name });
        names.add(o.name);
      }
    }
    parts.router.rules.forEach((r, i) =>
      r.when.forEach((c) => {
        if (!names.has(c.output)) {
          throw new BlurmmError('E_CONFIG', `Routing rule ${i} ("${r.label}") uses the estimator output "${c.output}", which no configured estimator produces (outputs: ${[...names].join(', ') || 'none'})`, { pointer: `/routing/rules/${i}/when` });
        }
      }),
    );
  }

  /** Runs the slide. Rejects with AbortError (carrying the partial report in `data.report`) when aborted. */
  async run(source: SlideSource, options: { signal?: AbortSignal } = {}): Promise<SlideReport> {
    const { parts, settings } = this;
    const signal = options.signal;
    const t0 = performance.now();
    const timings: Record<string, number> = { tissueMs: 0, readMs: 0, estimateMs: 0, predictMs: 0, writeMs: 0 };
    const warnings: SlideWarning[] = [];
    const warn = (code: string, message: string): void => {
      warnings.push({ code, message });
      this.emit('warning', { code, message, slide: source.path });
    };
    const batchSize = settings.execution?.batchSize ?? 16;
    const readConcurrency = settings.execution?.readConcurrency ?? 4;
    const maxFailures = settings.execution?.maxFailures ?? null;
    const includeTiles = settings.includeTilesInReport ?? true;

    const grid = planTileGrid(source, {
      tileSize: settings.tiling.tileSize,
      ...(settings.tiling.mpp !== undefined ? { mpp: settings.tiling.mpp } : {}),
      ...(settings.tiling.level !== undefined ? { level: settings.tiling.level } : {}),
      ...(settings.tiling.overlap !== undefined ? { overlap: settings.tiling.overlap } : {}),
      ...(settings.tiling.edge !== undefined ? { edge: settings.tiling.edge } : {}),
    });

    let mask: TissueMask | undefined;
    const minTissue = settings.tissue.minTissueFraction ?? 0.25;
    if (settings.tissue.enabled) {
      const tm = performance.now();
      mask = await computeTissueMask(source, {
        ...(settings.tissue.thumbnailMaxSide !== undefined ? { thumbnailMaxSide: settings.tissue.thumbnailMaxSide } : {}),
        ...(settings.tissue.threshold !== undefined && settings.tissue.threshold !== null ? { threshold: settings.tissue.threshold } : {}),
        ...(signal ? { signal } : {}),
      });
      timings.tissueMs = performance.now() - tm;
    }
    const selection = grid.tiles(mask, minTissue);
    const { backgroundSkipped, edgeSkipped } = selection;
    const regions = settings.regions;
    const specs = regions ? selection.specs.filter((s) => regions.containsTile(s)) : selection.specs;
    const outsideRegionSkipped = selection.specs.length - specs.length;
    const gridTiles = grid.columns * grid.rows;
    if (specs.length === 0 && regions && selection.specs.length > 0) warn('W_NO_TILE_IN_REGIONS', `None of the ${selection.specs.length} tissue tiles of ${source.path} has its centre inside the regions of interest; check that the annotations belong to this slide and their coordinate origin (QuPath may crop OpenSlide bounds: set regions.offsetX/offsetY).`);
    else if (specs.length === 0) warn('W_NO_TISSUE', `No tile of ${source.path} passed the tissue mask (${gridTiles} grid tiles, ${backgroundSkipped} background); nothing to analyse. Lower tissue.minTissueFraction or disable the mask if the slide has faint tissue.`);

    this.emit('slide:start', { slide: source.path, format: source.format, total: specs.length, gridTiles, backgroundSkipped });

    const writers = parts.writers ?? [];
    const context = { source, estimators: parts.estimators, router: parts.router, signal };
    for (const w of writers) await w.open(context);

    const tiles: TileResult[] = [];
    const failures: TileFailure[] = [];
    const routeCounts: Record<string, number> = {};
    for (const r of parts.router.rules) routeCounts[r.label] = 0;
    routeCounts[parts.router.fallback.label] = 0;
    const scoresAll: number[] = [];
    const scoresByRoute: Record<string, number[]> = {};
    const modelTiles: Record<string, number> = {};
    let processed = 0;
    let aborted = false;
    let fatal: unknown;

    const fail = (spec: TileSpec, stage: TileStage, err: unknown): void => {
      const { code, message } = describeError(err);
      const f: TileFailure = { index: spec.index, col: spec.col, row: spec.row, x: spec.x, y: spec.y, width: spec.width, height: spec.height, stage, code, message };
      failures.push(f);
      this.emit('tile:error', f);
    };

    const readBatch = async (batch: readonly TileSpec[]): Promise<Loaded[]> => {
      const tr = performance.now();
      const settled = await mapSettled(batch, readConcurrency, (spec) => readTile(source, spec, signal ? { signal } : {}));
      timings.readMs! += performance.now() - tr;
      const loaded: Loaded[] = [];
      settled.forEach((s, i) => {
        if (s.ok) loaded.push({ spec: batch[i]!, image: s.value });
        else if (!(signal?.aborted)) fail(batch[i]!, 'read', s.error);
      });
      return loaded;
    };

    const estimate = async (loaded: Loaded[]): Promise<(Record<string, number> | null)[]> => {
      const te = performance.now();
      const merged: (Record<string, number> | null)[] = loaded.map(() => ({}));
      for (const est of parts.estimators) {
        let values: (Record<string, number> | null)[];
        try {
          values = await est.estimate(loaded.map((l) => l.image), signal ? { signal } : {});
          if (values.length !== loaded.length) throw new EstimatorError(`Estimator "${est.name}" returned ${values.length} results for ${loaded.length} tiles`, { plugin: est.name });
        } catch (err) {
          if (signal?.aborted) throw err;
          // isolate: retry tile by tile so one bad tile does not sink the batch
          values = [];
          for (let i = 0; i < loaded.length; i++) {
            if (merged[i] === null) {
              values.push(null);
              continue;
            }
            try {
              values.push((await est.estimate([loaded[i]!.image], signal ? { signal } : {}))[0] ?? null);
            } catch (e) {
              if (signal?.aborted) throw e;
              fail(loaded[i]!.spec, 'estimate', e);
              values.push(null);
            }
          }
        }
        values.forEach((v, i) => {
          const m = merged[i];
          if (m === null || m === undefined) return;
          if (v === null) {
            merged[i] = null;
            return;
          }
          for (const o of est.outputs) {
            const x = v[o.name];
            if (typeof x !== 'number' || !Number.isFinite(x)) {
              fail(loaded[i]!.spec, 'estimate', new EstimatorError(`Estimator "${est.name}" returned ${String(x)} for output "${o.name}" on the tile at (${loaded[i]!.spec.x}, ${loaded[i]!.spec.y}) ${loaded[i]!.spec.width}x${loaded[i]!.spec.height}; the tile is left out of routing`, { plugin: est.name, location: `tile ${loaded[i]!.spec.index}` }));
              merged[i] = null;
              return;
            }
            m[o.name] = x;
          }
        });
      }
      timings.estimateMs! += performance.now() - te;
      return merged;
    };

    const predict = async (model: TileModel, items: Loaded[]): Promise<(Prediction | null)[]> => {
      try {
        const out = await model.predict(items.map((l) => l.image), signal ? { signal } : {});
        if (out.length !== items.length) throw new BlurmmError('E_BACKEND', `Model "${model.id}" returned ${out.length} predictions for ${items.length} tiles`, { plugin: model.id });
        return out;
      } catch (err) {
        if (signal?.aborted) throw err;
        const out: (Prediction | null)[] = [];
        for (const l of items) {
          try {
            out.push((await model.predict([l.image], signal ? { signal } : {}))[0] ?? null);
          } catch (e) {
            if (signal?.aborted) throw e;
            fail(l.spec, 'predict', e);
            out.push(null);
          }
        }
        return out;
      }
    };

    const handle = async (loaded: Loaded[]): Promise<void> => {
      if (loaded.length === 0) return;
      const blurs = await estimate(loaded);
      const routed: { l: Loaded; blur: Record<string, number>; route: ReturnType<Router['route']> }[] = [];
      blurs.forEach((b, i) => {
        if (b) routed.push({ l: loaded[i]!, blur: b, route: parts.router.route(b) });
      });
      const tp = performance.now();
      const predictions = new Map<Loaded, Prediction & { model: string }>();
      const byModel = new Map<string, Loaded[]>();
      for (const r of routed) {
        const id = r.route.model;
        if (id === null || !parts.models?.has(id)) continue;
        let list = byModel.get(id);
        if (!list) byModel.set(id, (list = []));
        list.push(r.l);
      }
      for (const [id, items] of byModel) {
        const preds = await predict(parts.models!.get(id)!, items);
        preds.forEach((p, i) => {
          if (p) predictions.set(items[i]!, { ...p, model: id });
        });
        modelTiles[id] = (modelTiles[id] ?? 0) + items.length;
      }
      timings.predictMs! += performance.now() - tp;
      const tw = performance.now();
      for (const r of routed) {
        const s = r.l.spec;
        const prediction = predictions.get(r.l);
        const result: TileResult = {
          index: s.index, col: s.col, row: s.row, x: s.x, y: s.y, width: s.width, height: s.height, level: s.level,
          tissueFraction: s.tissueFraction, blur: r.blur, route: r.route, ...(prediction ? { prediction } : {}),
        };
        processed++;
        routeCounts[r.route.label] = (routeCounts[r.route.label] ?? 0) + 1;
        if (prediction) {
          scoresAll.push(prediction.score);
          (scoresByRoute[r.route.label] ??= []).push(prediction.score);
        }
        if (includeTiles) tiles.push(result);
        this.emit('tile:done', result);
        for (const w of writers) {
          try {
            await w.write(result);
          } catch (e) {
            fail(s, 'write', e);
          }
        }
      }
      timings.writeMs! += performance.now() - tw;
    };

    const batches: TileSpec[][] = [];
    for (let i = 0; i < specs.length; i += batchSize) batches.push(specs.slice(i, i + batchSize));
    const tLoop = performance.now();
    try {
      let pending = batches.length > 0 ? readBatch(batches[0]!) : undefined;
      for (let b = 0; b < batches.length; b++) {
        if (signal?.aborted) {
          aborted = true;
          break;
        }
        const loaded = await pending!;
        pending = b + 1 < batches.length ? readBatch(batches[b + 1]!) : undefined;
        await handle(loaded);
        const elapsedMs = performance.now() - tLoop;
        const done = processed;
        const attempted = Math.min(specs.length, (b + 1) * batchSize);
        const rate = attempted / Math.max(elapsedMs / 1000, 1e-9);
        this.emit('slide:progress', {
          slide: source.path, done, failed: failures.length, total: specs.length, elapsedMs,
          etaMs: attempted > 0 ? ((specs.length - attempted) / rate) * 1000 : null, tilesPerSecond: rate,
        });
        if (maxFailures !== null && failures.length > maxFailures) {
          throw new BlurmmError('E_ABORTED', `Stopped ${source.path} after ${failures.length} failed tiles (execution.maxFailures = ${maxFailures}); first failure: ${failures[0]?.message ?? ''}`, { path: source.path });
        }
      }
      if (pending) await pending.catch(() => undefined);
    } catch (err) {
      if (signal?.aborted || isBlurmmError(err, 'E_ABORTED')) {
        aborted = true;
        if (!signal?.aborted) fatal = err;
      } else {
        fatal = err;
      }
    }

    const fractions: Record<string, number> = {};
    for (const [k, v] of Object.entries(routeCounts)) fractions[k] = processed > 0 ? v / processed : 0;
    const perRoute: Record<string, Record<string, number | null>> = {};
    for (const label of Object.keys(routeCounts)) perRoute[label] = aggregateAll(parts.aggregators, scoresByRoute[label] ?? []);
    timings.totalMs = performance.now() - t0;
    const report: SlideReport = {
      blurmmVersion: BLURMM_VERSION,
      slide: { path: source.path, format: source.format, width: source.width, height: source.height, mpp: source.mpp ?? null, levels: source.levels },
      tiling: {
        tileSize: grid.tileSize, overlap: grid.overlap, level: grid.level, targetMpp: grid.targetMpp, edge: grid.edge,
        gridColumns: grid.columns, gridRows: grid.rows,
        tissueMask: { enabled: !!mask, threshold: mask?.threshold ?? null, minTissueFraction: minTissue, thumbnailWidth: mask?.width ?? 0, thumbnailHeight: mask?.height ?? 0 },
      },
      estimators: parts.estimators.map((e) => ({ name: e.name, version: e.version, outputs: e.outputs })),
      routing: { rules: parts.router.rules, fallback: parts.router.fallback, counts: routeCounts, fractions },
      models: [...(parts.models?.values() ?? [])].map((m) => ({ id: m.id, backend: m.backend.backend, tiles: modelTiles[m.id] ?? 0 })),
      counts: { gridTiles, backgroundSkipped, edgeSkipped, outsideRegionSkipped, processed, failed: failures.length },
      scores: { overall: aggregateAll(parts.aggregators, scoresAll), perRoute },
      tiles,
      failures,
      warnings,
      timings,
      versions: { blurmm: BLURMM_VERSION, node: process.versions.node, ...parts.versions, ...Object.fromEntries(parts.estimators.map((e) => [`estimator:${e.name}`, e.version])) },
      aborted,
    };

    if (fatal !== undefined && !aborted) {
      for (const w of writers) await w.abort?.(fatal).catch(() => undefined);
      throw fatal;
    }
    for (const w of writers) {
      try {
        await w.close(report);
      } catch (e) {
        warn('W_WRITER', `Writer "${w.name}" failed to finish: ${(e as Error).message}`);
      }
    }
    this.emit('slide:done', report);
    if (aborted) {
      throw new AbortError(fatal instanceof Error ? fatal.message : `Analysis of ${source.path} was aborted after ${processed} of ${specs.length} tiles; the partial report is in error.data.report`, { path: source.path, data: { report }, cause: fatal ?? signal?.reason });
    }
    return report;
  }
}

/** Creates a {@link Pipeline}. */
export function createPipeline(parts: PipelineParts, settings: PipelineSettings): Pipeline {
  return new Pipeline(parts, settings);
}
