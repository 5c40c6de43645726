/**
 * Per-tile overlays rendered into raw RGBA buffers at thumbnail size, composited over the
 * thumbnail, with an SVG legend panel (rendered by sharp/librsvg).
 */
import type { Rgb, RouteClasses } from '../geojson/classes.js';
import { toHex } from '../geojson/classes.js';
import { BLUR_RAMP, SCORE_RAMP, formatNumber, rampColor, type BlurScale } from './colormap.js';
import type { TileTable } from './tile-table.js';

export type OverlayKind = 'blur' | 'route' | 'prediction';

/** Colour of tile i for an overlay; undefined leaves it transparent. */
export type TileColor = (i: number) => Rgb | undefined;

export function tileColorFor(kind: OverlayKind, table: TileTable, classes: RouteClasses, scale: BlurScale, output = 0): TileColor {
  if (kind === 'route') {
    return (i) => {
      const r = table.route[i]!;
      return classes.of({ index: r, label: '', model: null }).color;
    };
  }
  if (kind === 'prediction') {
    return (i) => {
      const s = table.score[i]!;
      return Number.isNaN(s) ? undefined : rampColor(SCORE_RAMP, s);
    };
  }
  const col = table.blur[output];
  return (i) => {
    const v = col?.[i];
    return v === undefined || Number.isNaN(v) ? [128, 128, 128] : rampColor(BLUR_RAMP, scale.t(v));
  };
}

/** Paints every tile's rectangle (level-0 extent / scale) in its colour; alpha 255 inside tiles, 0 outside. */
export function renderOverlay(table: TileTable, color: TileColor, width: number, height: number, scaleX: number, scaleY: number): Uint8Array {
  const out = new Uint8Array(width * height * 4);
  for (let i = 0; i < table.count; i++) {
    const c = color(i);
    if (!c) continue;
    const x0 = Math.max(0, Math.round(table.x[i]! / scaleX));
    const y0 = Math.max(0, Math.round(table.y[i]! / scaleY));
    const x1 = Math.min(width, Math.max(x0 + 1, Math.round((table.x[i]! + table.w[i]!) / scaleX)));
    const y1 = Math.min(height, Math.max(y0 + 1, Math.round((table.y[i]! + table.h[i]!) / scaleY)));
    for (let y = y0; y < y1; y++) {
      let o = (y * width + x0) * 4;
      for (let x = x0; x < x1; x++, o += 4) {
        out[o] = c[0];
        out[o + 1] = c[1];
        out[o + 2] = c[2];
        out[o + 3] = 255;
      }
    }
  }
  return out;
}

/** Blends an RGBA overlay (alpha 0 or 255) over an RGB/RGBA image at `opacity`; returns RGB. */
export function compositeOver(base: { data: Uint8Array; width: number; height: number; channels: 3 | 4 }, overlay: Uint8Array, opacity: number): Uint8Array {
  const n = base.width * base.height;
  const out = new Uint8Array(n * 3);
  const a = Math.round(opacity * 256);
  for (let p = 0; p < n; p++) {
    const b = p * base.channels, o = p * 4, d = p * 3;
    const k = overlay[o + 3]! ? a : 0;
    out[d] = (base.data[b]! * (256 - k) + overlay[o]! * k) >> 8;
    out[d + 1] = (base.data[b + 1]! * (256 - k) + overlay[o + 1]! * k) >> 8;
    out[d + 2] = (base.data[b + 2]! * (256 - k) + overlay[o + 2]! * k) >> 8;
  }
  return out;
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export const LEGEND_WIDTH = 240;

export interface LegendEntry {
  readonly color: Rgb;
  readonly label: string;
}

/** A legend panel: title, then either a gradient bar with ticks or a list of swatches. */
export function legendSvg(options: {
  title: string;
  subtitle?: string;
  height: number;
  entries?: readonly LegendEntry[];
  gradient?: { ramp: readonly Rgb[]; top: string; bottom: string; marks?: readonly { t: number; label: string }[] };
  note?: string;
}): { svg: string; height: number } {
  const parts: string[] = [];
  let y = 28;
  parts.push(`<text x="12" y="${y}" font-family="DejaVu Sans, sans-serif" font-size="15" font-weight="bold">${escapeXml(options.title)}</text>`);
  if (options.subtitle) {
    y += 18;
    parts.push(`<text x="12" y="${y}" font-family="DejaVu Sans, sans-serif" font-size="11" fill="#444">${escapeXml(options.subtitle)}</text>`);
  }
  y += 16;
  if (options.entries) {
    for (const e of options.entries) {
      parts.push(`<rect x="12" y="${y}" width="18" height="18" fill="${toHex(e.color)}" stroke="#333" stroke-width="0.5"/>`);
      parts.push(`<text x="38" y="${y + 14}" font-family="DejaVu Sans, sans-serif" font-size="13">${escapeXml(e.label)}</text>`);
      y += 26;
    }
  }
  if (options.gradient) {
    const g = options.gradient;
    const barH = 180;
    // offset 0 (t = 0) at the bottom of the bar, 1 at the top
    const stops = g.ramp.map((c, i) => `<stop offset="${(i / (g.ramp.length - 1)).toFixed(3)}" stop-color="${toHex(c)}"/>`).join('');
    parts.push(`<defs><linearGradient id="g" x1="0" y1="1" x2="0" y2="0">${stops}</linearGradient></defs>`);
    parts.push(`<rect x="12" y="${y}" width="24" height="${barH}" fill="url(#g)" stroke="#333" stroke-width="0.5"/>`);
    parts.push(`<text x="44" y="${y + 10}" font-family="DejaVu Sans, sans-serif" font-size="12">${escapeXml(g.top)}</text>`);
    parts.push(`<text x="44" y="${y + barH}" font-family="DejaVu Sans, sans-serif" font-size="12">${escapeXml(g.bottom)}</text>`);
    for (const m of g.marks ?? []) {
      const my = y + (1 - m.t) * barH;
      // threshold labels in their own column, clear of the end labels
      parts.push(`<line x1="8" x2="128" y1="${my.toFixed(1)}" y2="${my.toFixed(1)}" stroke="#000" stroke-width="1" stroke-dasharray="3 2"/>`);
      parts.push(`<text x="132" y="${(my + 4).toFixed(1)}" font-family="DejaVu Sans, sans-serif" font-size="11">${escapeXml(m.label)}</text>`);
    }
    y += barH + 16;
  }
  if (options.note) {
    y += 14;
    parts.push(`<text x="12" y="${y}" font-family="DejaVu Sans, sans-serif" font-size="11" fill="#444">${escapeXml(options.note)}</text>`);
  }
  const height = Math.max(options.height, y + 12);
  return {
    svg: `<svg xmlns="http://www.w3.org/2000/svg" width="${LEGEND_WIDTH}" height="${height}"><rect width="100%" height="100%" fill="#ffffff"/>${parts.join('')}</svg>`,
    height,
  };
}

export { formatNumber };
