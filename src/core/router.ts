import { ArgumentError, invalidArgument } from './errors.js';
import type { Bound, RouteCondition, RouteDecision, RouteRule, Router } from './types.js';

export interface RouterOptions {
  readonly rules: readonly RouteRule[];
  /** where tiles no rule matches go (default: label "unrouted", no model) */
  readonly fallback?: { readonly label: string; readonly model: string | null; readonly color?: string };
}

function checkBound(b: Bound | undefined, where: string): void {
  if (b === undefined) return;
  if (typeof b !== 'object' || b === null || typeof b.value !== 'number' || Number.isNaN(b.value) || typeof b.inclusive !== 'boolean') {
    throw invalidArgument(where, 'a bound { value: number, inclusive: boolean }', b);
  }
}

function holds(c: RouteCondition, values: Readonly<Record<string, number>>): boolean {
  const v = values[c.output];
  if (v === undefined || Number.isNaN(v)) return false;
  if (c.min) {
    if (c.min.inclusive ? v < c.min.value : v <= c.min.value) return false;
  }
  if (c.max) {
    if (c.max.inclusive ? v > c.max.value : v >= c.max.value) return false;
  }
  return true;
}

/**
 * Ordered routing rules: the first rule whose conditions all hold picks the model.
 * A tile whose estimator value is missing or NaN matches no rule and goes to the fallback.
 *
 * @example
 * const router = createRouter({ rules: deepBlurMMRules() });
 * router.route({ lv: 25 }); // { index: 1, label: 'moderate', model: 'sigma0.5' }
 */
export function createRouter(options: RouterOptions): Router {
  if (!options || !Array.isArray(options.rules)) throw invalidArgument('rules', 'an array of routing rules', options?.rules);
  options.rules.forEach((r, i) => {
    if (typeof r.label !== 'string' || r.label.length === 0) throw invalidArgument(`rules[${i}].label`, 'a non-empty string', r.label);
    if (!Array.isArray(r.when) || r.when.length === 0) throw invalidArgument(`rules[${i}].when`, 'a non-empty array of conditions', r.when);
    r.when.forEach((c: RouteCondition, j: number) => {
      if (typeof c.output !== 'string' || c.output.length === 0) throw invalidArgument(`rules[${i}].when[${j}].output`, 'an estimator output name', c.output);
      checkBound(c.min, `rules[${i}].when[${j}].min`);
      checkBound(c.max, `rules[${i}].when[${j}].max`);
      if (c.min && c.max && (c.min.value > c.max.value || (c.min.value === c.max.value && !(c.min.inclusive && c.max.inclusive)))) {
        throw new ArgumentError(`Routing rule ${i} ("${r.label}") condition ${j} on "${c.output}" is empty: min ${c.min.value} is not below max ${c.max.value}`, { pointer: `rules[${i}].when[${j}]` });
      }
    });
  });
  const labels = new Set<string>();
  for (const r of options.rules) {
    if (labels.has(r.label)) throw new ArgumentError(`Routing rule label "${r.label}" is used twice; labels name blur classes and must be unique`, { pointer: 'rules' });
    labels.add(r.label);
  }
  const rules = options.rules.map((r) => Object.freeze({ ...r, when: Object.freeze(r.when.map((c: RouteCondition) => Object.freeze({ ...c }))) }));
  const fallback = Object.freeze({ label: 'unrouted', model: null, color: '#9e9e9e', ...options.fallback });
  const decisions: RouteDecision[] = rules.map((r, index) => Object.freeze({ index, label: r.label, model: r.model }));
  const fallbackDecision: RouteDecision = Object.freeze({ index: -1, label: fallback.label, model: fallback.model });
  return {
    rules,
    fallback,
    route(blur) {
      for (let i = 0; i < rules.length; i++) {
        if (rules[i]!.when.every((c: RouteCondition) => holds(c, blur))) return decisions[i]!;
      }
      return fallbackDecision;
    },
  };
}

export interface DeepBlurMMOptions {
  /** estimator output to route on (default "lv") */
  readonly output?: string;
  /** upper threshold: above it tiles are sharp (default 25) */
  readonly sharpAbove?: number;
  /** lower threshold: below it tiles are severely blurred (default 2) */
  readonly severeBelow?: number;
  readonly models?: { readonly sharp?: string | null; readonly moderate?: string | null; readonly severe?: string | null };
}

/**
 * The DeepBlurMM rule set (Xiang, Liu, Rantalainen): LV > 25 -> base model;
 * 2 <= LV <= 25 -> the model trained on sigma-0.5 blur; LV < 2 -> the model trained on sigma-1.0 blur.
 */
export function deepBlurMMRules(options: DeepBlurMMOptions = {}): RouteRule[] {
  const output = options.output ?? 'lv';
  const hi = options.sharpAbove ?? 25;
  const lo = options.severeBelow ?? 2;
  const m = { sharp: 'base', moderate: 'sigma0.5', severe: 'sigma1.0', ...options.models };
  return [
    { label: 'sharp', when: [{ output, min: { value: hi, inclusive: false } }], model: m.sharp, color: '#2e7d32' },
    { label: 'moderate', when: [{ output, min: { value: lo, inclusive: true }, max: { value: hi, inclusive: true } }], model: m.moderate, color: '#f9a825' },
    { label: 'severe', when: [{ output, max: { value: lo, inclusive: false } }], model: m.severe, color: '#c62828' },
  ];
}
