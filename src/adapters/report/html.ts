/**
 * The self-contained QC page: everything inline (images as data URIs, CSS, one small script),
 * a Content-Security-Policy that forbids any network access.
 */
import type { SlideReport } from '../../core/types.js';
import { toHex, type ClassStyle } from '../geojson/classes.js';
import { BLUR_RAMP, SCORE_RAMP, formatNumber, rampColor, type BlurScale } from '../heatmap/colormap.js';
import type { OverlayPlan } from '../heatmap/overlays.js';
import type { TileTable } from '../heatmap/tile-table.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface ReportImages {
  /** data URI of the thumbnail */
  readonly thumbnail: string;
  readonly width: number;
  readonly height: number;
  /** data URIs of transparent overlays at thumbnail size */
  readonly overlays: { readonly blur: string; readonly route: string; readonly prediction?: string | undefined };
}

const HIST_W = 560;
const HIST_H = 220;
const PAD = { l: 48, r: 12, t: 14, b: 40 };

/** Inline SVG histogram of the primary blur output with the routing thresholds as vertical lines. */
export function histogramSvg(table: TileTable, plan: OverlayPlan, scale: BlurScale, bins = 40): string {
  const values = table.blur[0];
  const f = (v: number): number => (scale.log ? Math.log10(Math.max(v, scale.lo)) : v);
  const a = f(scale.lo), b = f(scale.hi);
  const counts = new Array<number>(bins).fill(0);
  let missing = 0;
  for (let i = 0; i < table.count; i++) {
    const v = values?.[i];
    if (v === undefined || Number.isNaN(v)) {
      missing++;
      continue;
    }
    const k = Math.min(bins - 1, Math.max(0, Math.floor(((f(v) - a) / (b - a)) * bins)));
    counts[k]!++;
  }
  const max = Math.max(1, ...counts);
  const iw = HIST_W - PAD.l - PAD.r, ih = HIST_H - PAD.t - PAD.b;
  const xOf = (v: number): number => PAD.l + ((f(v) - a) / (b - a)) * iw;
  const parts: string[] = [];
  counts.forEach((c, k) => {
    if (c === 0) return;
    const x = PAD.l + (k / bins) * iw;
    const h = (c / max) * ih;
    const centre = scale.log ? Math.pow(10, a + ((k + 0.5) / bins) * (b - a)) : a + ((k + 0.5) / bins) * (b - a);
    parts.push(`<rect class="hbar" x="${x.toFixed(1)}" y="${(PAD.t + ih - h).toFixed(1)}" width="${(iw / bins - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${toHex(rampColor(BLUR_RAMP, scale.t(centre)))}"><title>${c} tiles</title></rect>`);
  });
  parts.push(`<line x1="${PAD.l}" y1="${PAD.t + ih}" x2="${PAD.l + iw}" y2="${PAD.t + ih}" stroke="#333"/>`);
  parts.push(`<line x1="${PAD.l}" y1="${PAD.t}" x2="${PAD.l}" y2="${PAD.t + ih}" stroke="#333"/>`);
  parts.push(`<text x="${PAD.l - 6}" y="${PAD.t + 10}" text-anchor="end" font-size="11">${max}</text><text x="${PAD.l - 6}" y="${PAD.t + ih}" text-anchor="end" font-size="11">0</text>`);
  const ticks = scale.log
    ? Array.from({ length: Math.ceil(b) - Math.floor(a) + 1 }, (_, i) => [1, 2, 5].map((m) => m * Math.pow(10, Math.floor(a) + i)))
        .flat()
        .filter((v) => v >= scale.lo && v <= scale.hi)
    : [scale.lo, (scale.lo + scale.hi) / 2, scale.hi];
  const thresholdXs = plan.thresholds.map(xOf);
  for (const t of ticks) {
    const x = xOf(t);
    if (thresholdXs.some((tx) => Math.abs(tx - x) < 1)) continue; // the threshold line labels it
    parts.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${PAD.t + ih}" y2="${PAD.t + ih + 4}" stroke="#333"/><text x="${x.toFixed(1)}" y="${PAD.t + ih + 16}" text-anchor="middle" font-size="11">${formatNumber(t)}</text>`);
  }
  for (const t of plan.thresholds) {
    const x = xOf(t);
    parts.push(`<line class="threshold" data-value="${t}" x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${PAD.t}" y2="${PAD.t + ih}" stroke="#000" stroke-width="2" stroke-dasharray="5 3"/><text x="${(x + 3).toFixed(1)}" y="${PAD.t + 10}" font-size="11" font-weight="bold">${formatNumber(t)}</text>`);
  }
  const name = plan.primary ? `${plan.primary.name} (${plan.primary.unit}${scale.log ? ', log scale' : ''})` : 'no blur output';
  parts.push(`<text x="${PAD.l + iw / 2}" y="${HIST_H - 6}" text-anchor="middle" font-size="12">${escapeHtml(name)}${missing ? ` - ${missing} tiles without a value` : ''}</text>`);
  return `<svg id="histogram" xmlns="http://www.w3.org/2000/svg" width="${HIST_W}" height="${HIST_H}" viewBox="0 0 ${HIST_W} ${HIST_H}" role="img" aria-label="blur histogram" font-family="sans-serif">${parts.join('')}</svg>`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[], id?: string): string {
  return `<table${id ? ` id="${id}"` : ''}><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function swatch(c: ClassStyle): string {
  return `<span class="swatch" style="background:${toHex(c.color)}"></span>${escapeHtml(c.name)}`;
}

function num(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '&ndash;' : escapeHtml(Number(v.toPrecision(digits)).toString());
}

function gradientCss(ramp: readonly (readonly [number, number, number])[]): string {
  return `linear-gradient(to right, ${ramp.map((c) => toHex(c)).join(', ')})`;
}

/** Builds the page. */
export function renderReportHtml(report: SlideReport, plan: OverlayPlan, tableData: TileTable, scale: BlurScale, images: ReportImages): string {
  const r = report;
  const classes = [...plan.classes.rules.map((c, i) => ({ c, label: c.name, model: r.routing.rules[i]?.model ?? null })), { c: plan.classes.fallback, label: plan.classes.fallback.name, model: r.routing.fallback.model }];
  const seen = new Set<string>();
  const routingRows = classes
    .filter(({ label }) => (seen.has(label) ? false : (seen.add(label), true)))
    .map(({ c, label, model }) => {
      const frac = r.routing.fractions[label] ?? 0;
      return [swatch(c), escapeHtml(model ?? '(none)'), String(r.routing.counts[label] ?? 0), `<span class="fraction" data-label="${escapeHtml(label)}">${(frac * 100).toFixed(1)}%</span><span class="bar" style="width:${(frac * 120).toFixed(1)}px;background:${toHex(c.color)}"></span>`];
    });
  const aggs = [...new Set([...Object.keys(r.scores.overall), ...Object.values(r.scores.perRoute).flatMap((s) => Object.keys(s))])];
  const scoreRows = [['<b>overall</b>', ...aggs.map((a) => num(r.scores.overall[a]))], ...Object.entries(r.scores.perRoute).map(([k, s]) => [escapeHtml(k), ...aggs.map((a) => num(s[a]))])];
  const modelRows = r.models.map((m) => [escapeHtml(m.id), escapeHtml(m.backend), escapeHtml(m.version ?? ''), String(m.tiles)]);
  const countRows = Object.entries(r.counts).map(([k, v]) => [escapeHtml(k), String(v)]);
  const timingRows = Object.entries(r.timings).map(([k, v]) => [escapeHtml(k), `${(v / 1000).toFixed(2)} s`]);
  const warnings = r.warnings.length
    ? `<ul id="warnings">${r.warnings.map((w) => `<li><code>${escapeHtml(w.code)}</code> ${escapeHtml(w.message)}</li>`).join('')}</ul>`
    : '<p id="warnings">None.</p>';
  const failures = r.failures.length
    ? `<details><summary>${r.failures.length} failed tiles</summary>${table(['tile', 'stage', 'code', 'message'], r.failures.slice(0, 200).map((f) => [`(${f.col}, ${f.row})`, f.stage, escapeHtml(f.code), escapeHtml(f.message)]))}</details>`
    : '';
  const hasPrediction = images.overlays.prediction !== undefined;
  const overlayImg = (k: string, src: string | undefined, on: boolean): string =>
    src ? `<img class="overlay" id="overlay-${k}" data-overlay="${k}" src="${src}" alt="${k} overlay" width="${images.width}" height="${images.height}" style="display:${on ? 'block' : 'none'}">` : '';
  const radio = (k: string, label: string, on: boolean, enabled = true): string =>
    `<label><input type="radio" name="overlay" value="${k}"${on ? ' checked' : ''}${enabled ? '' : ' disabled'}> ${label}</label>`;
  const mpp = r.slide.mpp ? `${formatNumber(r.slide.mpp.x)} x ${formatNumber(r.slide.mpp.y)} &micro;m/px` : 'unknown';
  const estimators = r.estimators.map((e) => `${escapeHtml(e.name)} ${escapeHtml(e.version)}`).join(', ') || '(none)';
  const blurLegend = plan.primary
    ? `<div class="legend" data-for="blur"><span>${formatNumber(scale.higherIsSharper ? scale.lo : scale.hi)} blurrier</span><span class="ramp" style="background:${gradientCss(BLUR_RAMP)}"></span><span>${formatNumber(scale.higherIsSharper ? scale.hi : scale.lo)} sharper</span> <small>${escapeHtml(plan.primary.name)}${scale.log ? ', log scale' : ''}</small></div>`
    : '';
  const routeLegend = `<div class="legend" data-for="route">${classes.map(({ c }) => `<span class="item">${swatch(c)}</span>`).join(' ')}</div>`;
  const predLegend = `<div class="legend" data-for="prediction"><span>0</span><span class="ramp" style="background:${gradientCss(SCORE_RAMP)}"></span><span>1</span> <small>prediction score</small></div>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>blurmm QC - ${escapeHtml(r.slide.path)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:16px 24px;color:#222;background:#fafafa}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:22px 0 8px;border-bottom:1px solid #ddd}
.meta{color:#555;font-size:13px}.grid{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
#viewer{position:relative;display:inline-block;line-height:0;border:1px solid #bbb;background:#fff}
#viewer img{display:block}#viewer img.overlay{position:absolute;left:0;top:0;image-rendering:pixelated;opacity:0.55}
.controls{margin:8px 0;font-size:14px}.controls label{margin-right:12px}
table{border-collapse:collapse;font-size:13px;background:#fff}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left}
th{background:#f0f0f0}.swatch{display:inline-block;width:12px;height:12px;margin-right:6px;border:1px solid #555;vertical-align:-2px}
.bar{display:inline-block;height:10px;margin-left:8px;vertical-align:0}.legend{font-size:13px;margin:6px 0;display:none;align-items:center;gap:8px}
.legend.on{display:flex}.ramp{display:inline-block;width:180px;height:12px;border:1px solid #555}.item{margin-right:10px}
.aborted{color:#b00;font-weight:bold}
</style>
</head>
<body>
<h1>blurmm QC report</h1>
<div class="meta" id="slide-meta"><b>${escapeHtml(r.slide.path)}</b> &middot; ${escapeHtml(r.slide.format)} &middot; ${r.slide.width} x ${r.slide.height} px &middot; ${mpp} &middot; ${r.slide.levels.length} levels &middot; estimators: ${estimators} &middot; blurmm ${escapeHtml(r.blurmmVersion)}${r.aborted ? ' &middot; <span class="aborted">run aborted: partial results</span>' : ''}</div>
<div class="grid">
<section>
<h2>Slide and overlays</h2>
<div class="controls" id="controls">${radio('none', 'none', false)}${radio('blur', 'blur', true)}${radio('route', 'route', false)}${radio('prediction', 'prediction', false, hasPrediction)}
<label>opacity <input type="range" id="opacity" min="0" max="100" value="55"></label></div>
<div id="viewer" style="width:${images.width}px;height:${images.height}px"><img id="thumbnail" src="${images.thumbnail}" alt="slide thumbnail" width="${images.width}" height="${images.height}">${overlayImg('blur', images.overlays.blur, true)}${overlayImg('route', images.overlays.route, false)}${overlayImg('prediction', images.overlays.prediction, false)}</div>
${blurLegend.replace('class="legend"', 'class="legend on"')}${routeLegend}${hasPrediction ? predLegend : ''}
${tableData.count === 0 ? '<p><b>No tissue tiles were processed</b>: the overlays are empty.</p>' : ''}
</section>
<section>
<h2>Blur histogram and routing thresholds</h2>
${histogramSvg(tableData, plan, scale)}
<h2>Routing</h2>
${table(['route (blur class)', 'model', 'tiles', 'fraction'], routingRows, 'routing')}
<h2>Slide scores</h2>
${aggs.length ? table(['', ...aggs.map(escapeHtml)], scoreRows, 'scores') : '<p>No scores.</p>'}
<h2>Models</h2>
${modelRows.length ? table(['model', 'backend', 'version', 'tiles'], modelRows, 'models') : '<p>No models ran.</p>'}
</section>
</div>
<div class="grid">
<section><h2>Tiles</h2>${table(['count', 'tiles'], countRows, 'counts')}
<p class="meta">tile ${r.tiling.tileSize} px, overlap ${r.tiling.overlap}, level ${r.tiling.level}${r.tiling.targetMpp ? `, ${r.tiling.targetMpp} &micro;m/px` : ''}, grid ${r.tiling.gridColumns} x ${r.tiling.gridRows}, tissue mask ${r.tiling.tissueMask.enabled ? 'on' : 'off'}</p></section>
<section><h2>Timings</h2>${table(['stage', 'time'], timingRows, 'timings')}</section>
<section><h2>Warnings</h2>${warnings}${failures}</section>
</div>
<script>
(function () {
  var overlays = document.querySelectorAll('#viewer img.overlay');
  var legends = document.querySelectorAll('.legend');
  var opacity = document.getElementById('opacity');
  function show(kind) {
    overlays.forEach(function (img) { img.style.display = img.getAttribute('data-overlay') === kind ? 'block' : 'none'; });
    legends.forEach(function (l) { l.classList.toggle('on', l.getAttribute('data-for') === kind); });
  }
  document.querySelectorAll('input[name=overlay]').forEach(function (r) {
    r.addEventListener('change', function () { if (r.checked) show(r.value); });
  });
  opacity.addEventListener('input', function () {
    overlays.forEach(function (img) { img.style.opacity = String(Number(opacity.value) / 100); });
  });
})();
</script>
</body>
</html>
`;
}
