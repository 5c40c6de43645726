import { ArgumentError } from '../core/errors.js';

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export function str(values: Values, name: string): string | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new ArgumentError(`--${name} needs a value`);
  return v;
}

/** A numeric option; `int` requires a whole number; `min` / `max` bound it (inclusive). */
export function num(values: Values, name: string, opts: { int?: boolean; min?: number; max?: number } = {}): number | undefined {
  const s = str(values, name);
  if (s === undefined) return undefined;
  const n = Number(s);
  const { min, max } = opts;
  if (s.trim() === '' || !Number.isFinite(n) || (opts.int && !/^-?\d+$/.test(s)) || (min !== undefined && n < min) || (max !== undefined && n > max)) {
    const range = min !== undefined && max !== undefined ? ` from ${min} to ${max}` : min !== undefined ? ` >= ${min}` : max !== undefined ? ` <= ${max}` : '';
    throw new ArgumentError(`Expected ${opts.int ? 'an integer' : 'a number'}${range} for --${name} but received "${s}"`, { pointer: `--${name}` });
  }
  return n;
}

export function oneOf<T extends string>(values: Values, name: string, allowed: readonly T[]): T | undefined {
  const s = str(values, name);
  if (s === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(s)) throw new ArgumentError(`Expected one of ${allowed.join(', ')} for --${name} but received "${s}"`);
  return s as T;
}
