/**
 * Registers the overlay writers by name in the writer registry ("geojson", "heatmap",
 * "report-html"). Each factory returns a thin proxy that imports its module on open(), so
 * registering loads no writer code. Options are those of createGeoJsonWriter,
 * createHeatmapWriter and createHtmlReportWriter.
 */
import { OutputError } from '../../core/errors.js';
import { registerWriter } from '../../core/registries.js';
import type { Writer } from '../../core/types.js';

function lazyWriter(name: string, load: () => Promise<Writer>): Writer {
  let inner: Writer | undefined;
  const opened = (): Writer => {
    if (!inner) throw new OutputError(`The ${name} writer was not opened; call open(context) first.`);
    return inner;
  };
  return {
    name,
    async open(context) {
      inner = await load();
      await inner.open(context);
    },
    write: (tile) => opened().write(tile),
    close: (report) => opened().close(report),
    async abort(reason) {
      await inner?.abort?.(reason);
    },
  };
}

/** Registers "geojson", "heatmap" and "report-html". */
export function registerOverlayWriters(): void {
  registerWriter('geojson', (o) => lazyWriter('geojson', async () => (await import('../geojson/writer.js')).createGeoJsonWriter(o as unknown as import('../geojson/writer.js').GeoJsonWriterOptions)));
  registerWriter('heatmap', (o) => lazyWriter('heatmap', async () => (await import('../heatmap/writer.js')).createHeatmapWriter(o as unknown as import('../heatmap/writer.js').HeatmapWriterOptions)));
  registerWriter('report-html', (o) => lazyWriter('report-html', async () => (await import('./writer.js')).createHtmlReportWriter(o as unknown as import('./writer.js').HtmlReportWriterOptions)));
}
