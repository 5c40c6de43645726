/**
 * Heatmap writer: at close, renders heatmap-blur.png, heatmap-route.png and (when any tile has
 * a prediction) heatmap-prediction.png as the slide thumbnail with a per-tile colour overlay and
 * a legend, and the raw grid of blur values as blur-grid.tiff (float32) and blur-grid.npy.
 * Tiles are kept in a compact column store (~40 bytes per tile), never as TileResult objects.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { OutputError, invalidArgument } from '../../core/errors.js';
import type { SlideReport, TileResult, Writer, WriterContext } from '../../core/types.js';
import { loadSharp as getSharp } from '../codecs/sharp.js';
import { commitOutput, discardOutput, prepareOutput, type PendingOutput } from '../shared/atomic-output.js';
import { BLUR_RAMP, SCORE_RAMP, formatNumber } from './colormap.js';
import { createGrid, encodeFloatTiff, encodeNpy, type Grid } from './grid-files.js';
import { overlayImage, planOverlays, scaleFor, type OverlayPlan } from './overlays.js';
import { LEGEND_WIDTH, compositeOver, legendSvg } from './render.js';
import { TileTable } from './tile-table.js';
import { loadThumbnail } from './thumbnail.js';
import { writeFile } from 'node:fs/promises';

export interface HeatmapWriterOptions {
  /** output folder */
  readonly dir: string;
  /** longer side of the thumbnail under the overlay, px (default 1024) */
  readonly maxSide?: number;
  /** overlay opacity 0-1 (default 0.55) */
  readonly opacity?: number;
  /** replace existing outputs; default false (OutputError naming the path) */
  readonly overwrite?: boolean;
}

export const HEATMAP_FILES = ['heatmap-blur.png', 'heatmap-route.png', 'heatmap-prediction.png', 'blur-grid.tiff', 'blur-grid.npy'] as const;

/** The per-tile grid (rows x columns x blur outputs) of a table. */
export function gridOf(table: TileTable, rows: number, columns: number): Grid {
  let r = rows, c = columns;
  for (let i = 0; i < table.count; i++) {
    r = Math.max(r, table.row[i]! + 1);
    c = Math.max(c, table.col[i]! + 1);
  }
  const bands = table.outputs;
  const grid = createGrid(r, c, bands);
  const nb = Math.max(1, bands.length);
  for (let i = 0; i < table.count; i++) {
    const row = table.row[i]!, col = table.col[i]!;
    if (row < 0 || col < 0) continue;
    for (let b = 0; b < bands.length; b++) grid.data[(row * c + col) * nb + b] = table.blur[b]![i]!;
  }
  return grid;
}

/**
 * Creates the heatmap writer.
 * @example
 * const writer = createHeatmapWriter({ dir: 'out', maxSide: 1024, overwrite: true });
 */
export function createHeatmapWriter(options: HeatmapWriterOptions): Writer {
  if (typeof options?.dir !== 'string' || options.dir.length === 0) throw invalidArgument('options.dir', 'a non-empty folder path', options?.dir);
  const maxSide = options.maxSide ?? 1024;
  if (!Number.isInteger(maxSide) || maxSide < 16 || maxSide > 16384) throw invalidArgument('options.maxSide', 'an integer from 16 to 16384 (pixels)', maxSide);
  const opacity = options.opacity ?? 0.55;
  if (!(opacity >= 0 && opacity <= 1)) throw invalidArgument('options.opacity', 'a number from 0 to 1', opacity);
  const overwrite = options.overwrite ?? false;
  let context: WriterContext | undefined;
  let plan: OverlayPlan | undefined;
  let table: TileTable | undefined;
  const pending: PendingOutput[] = [];

  async function writePending(name: string, data: Uint8Array): Promise<void> {
    const out = await prepareOutput(join(options.dir, name), overwrite);
    pending.push(out);
    try {
      await writeFile(out.tmp, data);
    } catch (cause) {
      throw new OutputError(`Could not write ${out.path}: ${(cause as Error).message}. Check free space and permissions.`, { path: out.path, cause });
    }
  }

  async function discardAll(): Promise<void> {
    await Promise.all(pending.map((p) => discardOutput(p)));
    pending.length = 0;
  }

  return {
    name: 'heatmap',
    async open(ctx: WriterContext): Promise<void> {
      context = ctx;
      plan = planOverlays(ctx.estimators, ctx.router);
      table = new TileTable(plan.outputs);
      // fail early on outputs that exist
      for (const f of HEATMAP_FILES) await prepareOutput(join(options.dir, f), overwrite);
    },
    write(tile: TileResult): void {
      if (!table) throw new OutputError(`The heatmap writer for ${options.dir} was not opened; call open(context) first.`, { path: options.dir });
      table.add(tile);
    },
    async close(report: SlideReport): Promise<void> {
      if (!context || !plan || !table) throw new OutputError(`The heatmap writer for ${options.dir} was not opened; call open(context) first.`, { path: options.dir });
      try {
        const sharp = await getSharp();
        const thumb = await loadThumbnail(context.source, maxSide, context.signal);
        const { width, height } = thumb.image;
        const scale = scaleFor(plan, table);
        const empty = table.count === 0 ? 'No tissue tiles: nothing to overlay' : undefined;
        const primary = plan.primary;
        const render = async (kind: 'blur' | 'route' | 'prediction', legend: ReturnType<typeof legendSvg>): Promise<Uint8Array> => {
          const overlay = overlayImage(kind, plan!, table!, scale, width, height, thumb.scaleX, thumb.scaleY);
          const rgb = compositeOver(thumb.image, overlay, opacity);
          const png = await sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width, height, channels: 3 } })
            .extend({ right: LEGEND_WIDTH, bottom: Math.max(0, legend.height - height), background: '#ffffff' })
            .composite([{ input: Buffer.from(legend.svg), left: width, top: 0 }])
            .png({ compressionLevel: 6 })
            .toBuffer();
          return png;
        };
        const unit = primary ? ` (${primary.unit})` : '';
        const blurLegend = legendSvg({
          title: `Blur: ${primary?.name ?? 'none'}`,
          subtitle: `${primary?.unit ?? ''}${scale.log ? ', log scale' : ''}`,
          height,
          gradient: {
            ramp: BLUR_RAMP,
            top: `${formatNumber(scale.higherIsSharper ? scale.hi : scale.lo)} sharper`,
            bottom: `${formatNumber(scale.higherIsSharper ? scale.lo : scale.hi)} blurrier`,
            marks: plan.thresholds.map((v) => ({ t: scale.t(v), label: `route at ${formatNumber(v)}` })),
          },
          note: empty ?? `${table.count} tiles; grey = no value${unit ? '' : ''}`,
        });
        await writePending('heatmap-blur.png', await render('blur', blurLegend));
        const routeCounts = new Map<number, number>();
        for (let i = 0; i < table.count; i++) routeCounts.set(table.route[i]!, (routeCounts.get(table.route[i]!) ?? 0) + 1);
        const entries = [...plan.classes.rules.map((c, i) => ({ c, i })), { c: plan.classes.fallback, i: -1 }]
          .filter(({ i }) => i >= 0 || routeCounts.has(-1))
          .map(({ c, i }) => ({ color: c.color, label: `${c.name}: ${routeCounts.get(i) ?? 0} tiles` }));
        await writePending('heatmap-route.png', await render('route', legendSvg({ title: 'Route (blur class)', height, entries, ...(empty ? { note: empty } : {}) })));
        if (table.hasPredictions()) {
          const predLegend = legendSvg({ title: 'Prediction score', subtitle: 'per tile, 0 to 1', height, gradient: { ramp: SCORE_RAMP, top: '1', bottom: '0' }, note: 'no overlay = no model on the route' });
          await writePending('heatmap-prediction.png', await render('prediction', predLegend));
        } else if (overwrite) {
          await rm(join(options.dir, 'heatmap-prediction.png'), { force: true });
        }
        const grid = gridOf(table, report.tiling.gridRows, report.tiling.gridColumns);
        const description = JSON.stringify({
          blurmm: 'per-tile blur grid', bands: grid.bands, nodata: 'NaN', slide: report.slide.path,
          tileSize: report.tiling.tileSize, overlap: report.tiling.overlap, level: report.tiling.level,
          note: 'cell (row, col) = tile at grid position (col, row); level-0 extents in tiles.geojson',
        });
        await writePending('blur-grid.tiff', encodeFloatTiff(grid, description));
        await writePending('blur-grid.npy', encodeNpy(grid));
        for (const p of pending) await commitOutput(p);
        pending.length = 0;
      } catch (e) {
        await discardAll();
        throw e;
      }
    },
    async abort(): Promise<void> {
      await discardAll();
      table = undefined;
    },
  };
}
