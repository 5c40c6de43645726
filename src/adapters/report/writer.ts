/**
 * HTML report writer: at close, writes one self-contained report.html (thumbnail and overlays
 * as data URIs, inline SVG histogram, tables; no network, no external script).
 */
import { writeFile } from 'node:fs/promises';
import { OutputError, invalidArgument } from '../../core/errors.js';
import type { SlideReport, TileResult, Writer, WriterContext } from '../../core/types.js';
import { commitOutput, discardOutput, prepareOutput, type PendingOutput } from '../shared/atomic-output.js';
import { overlayImage, planOverlays, scaleFor, type OverlayPlan } from '../heatmap/overlays.js';
import { loadSharp as getSharp } from '../codecs/sharp.js';
import { TileTable } from '../heatmap/tile-table.js';
import { loadThumbnail } from '../heatmap/thumbnail.js';
import { renderReportHtml } from './html.js';

export interface HtmlReportWriterOptions {
  /** target file, e.g. "out/report.html" */
  readonly path: string;
  /** longer side of the embedded thumbnail, px (default 1024) */
  readonly thumbnailMaxSide?: number;
  /** replace an existing file; default false (OutputError naming the path) */
  readonly overwrite?: boolean;
}

/**
 * Creates the QC report writer.
 * @example
 * const writer = createHtmlReportWriter({ path: 'out/report.html', overwrite: true });
 */
export function createHtmlReportWriter(options: HtmlReportWriterOptions): Writer {
  if (typeof options?.path !== 'string' || options.path.length === 0) throw invalidArgument('options.path', 'a non-empty file path', options?.path);
  const maxSide = options.thumbnailMaxSide ?? 1024;
  if (!Number.isInteger(maxSide) || maxSide < 16 || maxSide > 8192) throw invalidArgument('options.thumbnailMaxSide', 'an integer from 16 to 8192 (pixels)', maxSide);
  const overwrite = options.overwrite ?? false;
  let context: WriterContext | undefined;
  let plan: OverlayPlan | undefined;
  let table: TileTable | undefined;
  let pending: PendingOutput | undefined;

  return {
    name: 'report-html',
    async open(ctx: WriterContext): Promise<void> {
      context = ctx;
      plan = planOverlays(ctx.estimators, ctx.router);
      table = new TileTable(plan.outputs);
      await prepareOutput(options.path, overwrite);
    },
    write(tile: TileResult): void {
      if (!table) throw new OutputError(`The report writer for ${options.path} was not opened; call open(context) first.`, { path: options.path });
      table.add(tile);
    },
    async close(report: SlideReport): Promise<void> {
      if (!context || !plan || !table) throw new OutputError(`The report writer for ${options.path} was not opened; call open(context) first.`, { path: options.path });
      const sharp = await getSharp();
      const thumb = await loadThumbnail(context.source, maxSide, context.signal);
      const { width, height } = thumb.image;
      const scale = scaleFor(plan, table);
      const jpeg = await sharp(Buffer.from(thumb.image.data.buffer, thumb.image.data.byteOffset, thumb.image.data.byteLength), { raw: { width, height, channels: thumb.image.channels } })
        .jpeg({ quality: 85 })
        .toBuffer();
      const overlayUri = async (kind: 'blur' | 'route' | 'prediction'): Promise<string> => {
        const rgba = overlayImage(kind, plan!, table!, scale, width, height, thumb.scaleX, thumb.scaleY);
        const png = await sharp(Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength), { raw: { width, height, channels: 4 } }).png({ compressionLevel: 9, palette: false }).toBuffer();
        return `data:image/png;base64,${png.toString('base64')}`;
      };
      const html = renderReportHtml(report, plan, table, scale, {
        thumbnail: `data:image/jpeg;base64,${jpeg.toString('base64')}`,
        width,
        height,
        overlays: {
          blur: await overlayUri('blur'),
          route: await overlayUri('route'),
          prediction: table.hasPredictions() ? await overlayUri('prediction') : undefined,
        },
      });
      pending = await prepareOutput(options.path, overwrite);
      try {
        await writeFile(pending.tmp, html, 'utf8');
      } catch (cause) {
        await discardOutput(pending);
        throw new OutputError(`Could not write ${options.path}: ${(cause as Error).message}. Check free space and permissions.`, { path: options.path, cause });
      }
      await commitOutput(pending);
      pending = undefined;
    },
    async abort(): Promise<void> {
      if (pending) await discardOutput(pending);
      pending = undefined;
      table = undefined;
    },
  };
}
