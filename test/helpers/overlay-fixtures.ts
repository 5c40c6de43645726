/**
 * Synthetic inputs for the overlay writers (GeoJSON, heatmap, report, serve, QuPath facade):
 * a small in-memory SlideSource, a three-class router, tile results with known blur and
 * predictions, and the SlideReport that goes with them. No reader or estimator is involved.
 */
import type { BlurEstimator, RgbImage, RouteDecision, Router, RouteRule, SlideReport, SlideSource, TileResult, WriterContext } from '../../src/core/types.js';

export const SLIDE_W = 2000;
export const SLIDE_H = 1500;
export const TILE = 256;
export const COLS = Math.ceil(SLIDE_W / TILE); // 8
export const ROWS = Math.ceil(SLIDE_H / TILE); // 6

/** Level-0 pixel colour: a light pink "tissue" everywhere with a darker band, deterministic. */
function pixel(x: number, y: number): [number, number, number] {
  const band = Math.floor(x / 100) % 2 === 0 ? 0 : 30;
  return [230 - band, 200 - band, 220 - (y % 50 < 25 ? 0 : 10)];
}

/** A two-level synthetic slide (2000x1500 and 500x375), pixels computed on demand. */
export function createSyntheticSource(path = '/synthetic/slide.tif'): SlideSource {
  const levels = [
    { index: 0, width: SLIDE_W, height: SLIDE_H, downsample: 1 },
    { index: 1, width: SLIDE_W / 4, height: SLIDE_H / 4, downsample: 4 },
  ];
  return {
    format: 'synthetic',
    path,
    width: SLIDE_W,
    height: SLIDE_H,
    levels,
    mpp: { x: 0.25, y: 0.25 },
    mppSource: 'synthetic',
    properties: {},
    associatedImages: [],
    async readRegion(req): Promise<RgbImage> {
      const ds = levels[req.level]!.downsample;
      const ch = req.channels ?? 3;
      const data = new Uint8Array(req.width * req.height * ch);
      for (let j = 0; j < req.height; j++) {
        for (let i = 0; i < req.width; i++) {
          const x = req.x + i * ds;
          const y = req.y + j * ds;
          const o = (j * req.width + i) * ch;
          if (x < 0 || y < 0 || x >= SLIDE_W || y >= SLIDE_H) {
            data.fill(ch === 4 ? 0 : 255, o, o + ch);
            continue;
          }
          const p = pixel(x, y);
          data[o] = p[0];
          data[o + 1] = p[1];
          data[o + 2] = p[2];
          if (ch === 4) data[o + 3] = 255;
        }
      }
      return { data, width: req.width, height: req.height, channels: ch };
    },
    async close() {},
  };
}

export const RULES: RouteRule[] = [
  { label: 'sharp', when: [{ output: 'lv', min: { value: 200, inclusive: true } }], model: 'sharp-model', color: '#2ca02c' },
  { label: 'moderate', when: [{ output: 'lv', min: { value: 50, inclusive: true }, max: { value: 200, inclusive: false } }], model: 'blur-model', color: '#ff7f0e' },
  { label: 'severe', when: [{ output: 'lv', max: { value: 50, inclusive: false } }], model: null, color: '#d62728' },
];

export function createRouter(): Router {
  return {
    rules: RULES,
    fallback: { label: 'unrouted', model: null },
    route(blur): RouteDecision {
      const v = blur.lv;
      if (v === undefined || !Number.isFinite(v)) return { index: -1, label: 'unrouted', model: null };
      const i = v >= 200 ? 0 : v >= 50 ? 1 : 2;
      return { index: i, label: RULES[i]!.label, model: RULES[i]!.model };
    },
  };
}

export const ESTIMATOR: BlurEstimator = {
  name: 'lv',
  version: '1.0.0',
  outputs: [{ name: 'lv', unit: 'gray-level^2', direction: 'higher-is-sharper' }],
  async estimate() {
    return [];
  },
};

/** LV by column: cols 0-2 sharp (400..), 3-5 moderate (100..), 6-7 severe (10..); tile (7,5) NaN. */
export function lvFor(col: number, row: number): number {
  if (col === 7 && row === 5) return NaN;
  if (col <= 2) return 400 + row * 10 + col;
  if (col <= 5) return 100 + row * 5 + col;
  return 10 + row + col / 10;
}

/** Tile results of the 8x6 grid; row 5 cols 0-1 are "background" and left out. */
export function createTiles(): TileResult[] {
  const router = createRouter();
  const tiles: TileResult[] = [];
  let index = 0;
  for (let row = 0; row < ROWS; row++) {
    for (let col = 0; col < COLS; col++) {
      const i = index++;
      if (row === 5 && col <= 1) continue;
      const x = col * TILE;
      const y = row * TILE;
      const width = Math.min(TILE, SLIDE_W - x);
      const height = Math.min(TILE, SLIDE_H - y);
      const lv = lvFor(col, row);
      const route = router.route({ lv });
      const tile: TileResult = {
        index: i, col, row, x, y, width, height, level: 0, tissueFraction: 0.9,
        blur: { lv },
        route,
        ...(route.model
          ? { prediction: { model: route.model, values: [1 - (row + 1) / 10, (row + 1) / 10], labels: ['benign', 'tumor'], score: (row + 1) / 10 } }
          : {}),
      };
      tiles.push(tile);
    }
  }
  return tiles;
}

export function createContext(source = createSyntheticSource(), signal?: AbortSignal): WriterContext {
  return { source, estimators: [ESTIMATOR], router: createRouter(), signal };
}

export function createReport(tiles: TileResult[] = createTiles(), path = '/synthetic/slide.tif'): SlideReport {
  const counts: Record<string, number> = {};
  for (const t of tiles) counts[t.route.label] = (counts[t.route.label] ?? 0) + 1;
  const fractions: Record<string, number> = {};
  for (const [k, v] of Object.entries(counts)) fractions[k] = tiles.length ? v / tiles.length : 0;
  const models = ['sharp-model', 'blur-model'].map((id) => ({ id, backend: 'function', version: '1', tiles: tiles.filter((t) => t.prediction?.model === id).length }));
  return {
    blurmmVersion: '0.1.0',
    slide: { path, format: 'synthetic', width: SLIDE_W, height: SLIDE_H, mpp: { x: 0.25, y: 0.25 }, levels: createSyntheticSource().levels },
    tiling: {
      tileSize: TILE, overlap: 0, level: 0, targetMpp: null, edge: 'partial', gridColumns: COLS, gridRows: ROWS,
      tissueMask: { enabled: true, threshold: 210, minTissueFraction: 0.5, thumbnailWidth: 63, thumbnailHeight: 47 },
    },
    estimators: [{ name: 'lv', version: '1.0.0', outputs: ESTIMATOR.outputs }],
    routing: { rules: RULES, fallback: { label: 'unrouted', model: null }, counts, fractions },
    models,
    counts: { gridTiles: COLS * ROWS, backgroundSkipped: 2, edgeSkipped: 0, outsideRegionSkipped: 0, processed: tiles.length, failed: 0 },
    scores: { overall: { p75: 0.45, mean: 0.31 }, perRoute: { sharp: { p75: 0.5, mean: 0.35 }, moderate: { p75: 0.4, mean: 0.3 }, severe: { p75: null, mean: null } } },
    tiles,
    failures: [],
    warnings: [{ code: 'W_NAN', message: 'tile (7, 5): lv is NaN; routed to the fallback' }],
    timings: { read: 1200, estimate: 340, predict: 2100, total: 3900 },
    versions: { blurmm: '0.1.0', lv: '1.0.0' },
    aborted: false,
  };
}
