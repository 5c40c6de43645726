/**
 * Shared by the heatmap and report writers: what to draw for a slide (classes, blur scale,
 * thresholds) given the writer context, and the overlay images.
 */
import type { BlurEstimator, EstimatorOutput, Router } from '../../core/types.js';
import { routeClasses, type RouteClasses } from '../geojson/classes.js';
import { blurScale, type BlurScale } from './colormap.js';
import { renderOverlay, tileColorFor, type OverlayKind } from './render.js';
import type { TileTable } from './tile-table.js';

export interface OverlayPlan {
  readonly classes: RouteClasses;
  /** the blur output drawn on the blur overlay (the first estimator's first output) */
  readonly primary: EstimatorOutput | undefined;
  readonly outputs: readonly string[];
  /** routing thresholds on the primary output, sorted */
  readonly thresholds: readonly number[];
}

export function planOverlays(estimators: readonly Pick<BlurEstimator, 'outputs'>[], router: Pick<Router, 'rules' | 'fallback'>): OverlayPlan {
  const outs = estimators.flatMap((e) => e.outputs);
  const primary = outs[0];
  const thresholds = new Set<number>();
  for (const r of router.rules) {
    for (const c of r.when) {
      if (c.output !== primary?.name) continue;
      if (c.min) thresholds.add(c.min.value);
      if (c.max) thresholds.add(c.max.value);
    }
  }
  return { classes: routeClasses(router), primary, outputs: [...new Set(outs.map((o) => o.name))], thresholds: [...thresholds].sort((a, b) => a - b) };
}

export function scaleFor(plan: OverlayPlan, table: TileTable): BlurScale {
  return blurScale(table.blur[0] ?? [], table.count, plan.primary?.direction !== 'higher-is-blurrier', plan.thresholds);
}

export function overlayImage(kind: OverlayKind, plan: OverlayPlan, table: TileTable, scale: BlurScale, width: number, height: number, scaleX: number, scaleY: number): Uint8Array {
  return renderOverlay(table, tileColorFor(kind, table, plan.classes, scale), width, height, scaleX, scaleY);
}
