/**
 * Classes and colours for overlays: blur classes come from the router's rules (label, color),
 * prediction classes from the model's labels. Shared by the GeoJSON, heatmap and report writers.
 */
import type { RouteDecision, Router, TileResult } from '../../core/types.js';

export type Rgb = readonly [number, number, number];

/** A class as QuPath wants it: always a name and a colour. */
export interface ClassStyle {
  readonly name: string;
  readonly color: Rgb;
}

const NAMED: Readonly<Record<string, Rgb>> = {
  sharp: [44, 160, 44],
  'in-focus': [44, 160, 44],
  mild: [188, 189, 34],
  moderate: [255, 127, 14],
  severe: [214, 39, 40],
  blurry: [214, 39, 40],
  background: [160, 160, 160],
  unrouted: [128, 128, 128],
  fallback: [128, 128, 128],
};

/** Tableau-10, for labels without a colour of their own. */
const PALETTE: readonly Rgb[] = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];

/** "#rrggbb" (or "#rgb") to [r, g, b]; undefined when not a colour. */
export function parseHexColor(hex: string | undefined): Rgb | undefined {
  if (typeof hex !== 'string') return undefined;
  let m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex.trim());
  if (m) return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
  m = /^#?([0-9a-f])([0-9a-f])([0-9a-f])$/i.exec(hex.trim());
  if (m) return [parseInt(m[1]! + m[1]!, 16), parseInt(m[2]! + m[2]!, 16), parseInt(m[3]! + m[3]!, 16)];
  return undefined;
}

/** [r, g, b] to "#rrggbb". */
export function toHex(color: Rgb): string {
  return '#' + color.map((c) => Math.max(0, Math.min(255, Math.round(c))).toString(16).padStart(2, '0')).join('');
}

function hashIndex(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return (h >>> 0) % PALETTE.length;
}

/** A stable colour for a label: its own known colour, else a palette colour by hash. */
export function colorForLabel(label: string, preferred?: string): Rgb {
  return parseHexColor(preferred) ?? NAMED[label.toLowerCase()] ?? PALETTE[hashIndex(label)]!;
}

/** Route classes in rule order, then the fallback (route index -1). */
export interface RouteClasses {
  readonly rules: readonly ClassStyle[];
  readonly fallback: ClassStyle;
  /** the class of a route decision */
  of(decision: RouteDecision): ClassStyle;
}

/** Builds the blur classes (one per routing rule, plus the fallback) from a router. */
export function routeClasses(router: Pick<Router, 'rules' | 'fallback'>): RouteClasses {
  const rules = router.rules.map((r) => ({ name: r.label, color: colorForLabel(r.label, r.color) }));
  const fallback = { name: router.fallback.label, color: colorForLabel(router.fallback.label, router.fallback.color ?? (NAMED[router.fallback.label] ? undefined : '#808080')) };
  const byLabel = new Map<string, ClassStyle>();
  for (const c of rules) if (!byLabel.has(c.name)) byLabel.set(c.name, c);
  return {
    rules,
    fallback,
    of(decision) {
      if (decision.index >= 0 && decision.index < rules.length) return rules[decision.index]!;
      if (decision.index === -1) return fallback;
      return byLabel.get(decision.label) ?? { name: decision.label, color: colorForLabel(decision.label) };
    },
  };
}

/** Class name for tiles without a prediction when classifying by prediction. */
export const NO_PREDICTION: ClassStyle = { name: 'No prediction', color: [128, 128, 128] };

/** The predicted class of a tile: argmax of its values, named by its labels. */
export function predictedClass(tile: TileResult): ClassStyle {
  const p = tile.prediction;
  if (!p) return NO_PREDICTION;
  let best = -1;
  let bestValue = -Infinity;
  p.values.forEach((v, i) => {
    if (Number.isFinite(v) && v > bestValue) {
      bestValue = v;
      best = i;
    }
  });
  if (best < 0) return NO_PREDICTION;
  const name = p.labels?.[best] ?? `class ${best}`;
  return { name, color: colorForLabel(name) };
}
