/**
 * The slice of a test runner the conformance suites use. The suites take it as a parameter so
 * `blurmm/testing` imports no test framework: pass vitest's (or jest's) functions in.
 */
import type { BlurmmErrorCode } from '../core/errors.js';

const CODES: ReadonlySet<string> = new Set<BlurmmErrorCode>([
  'E_ARGUMENT', 'E_CONFIG', 'E_NOT_FOUND', 'E_FORMAT', 'E_CORRUPT', 'E_UNSUPPORTED', 'E_DECODE', 'E_NETWORK',
  'E_MODEL', 'E_ESTIMATOR', 'E_BACKEND', 'E_IO', 'E_ABORTED', 'E_REGISTRY', 'E_DEPENDENCY',
]);

/**
 * The code of a BlurmmError, or undefined. Structural (an Error with a known `code`), not
 * `instanceof`: a plugin may throw the errors of another copy of blurmm (the package's ESM and
 * CJS builds, or this subpath bundled apart from the main entry, each hold their own class).
 */
export function blurmmErrorCode(err: unknown): BlurmmErrorCode | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && CODES.has(code) ? (code as BlurmmErrorCode) : undefined;
}

/** The matchers the suites call; vitest's and jest's `expect` satisfy it. */
export interface Matchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toBeGreaterThan(expected: number): void;
  toBeGreaterThanOrEqual(expected: number): void;
  toBeLessThan(expected: number): void;
  toBeLessThanOrEqual(expected: number): void;
  toContain(expected: string): void;
  readonly not: Omit<Matchers, 'not'>;
}

/** `expect(actual, message?)` */
export type ExpectLike = (actual: unknown, message?: string) => Matchers;

/** The test functions a suite registers its cases with, e.g. `{ describe, it, expect, afterAll }` from vitest. */
export interface TestApi {
  readonly describe: (name: string, body: () => void) => void;
  readonly it: (name: string, body: () => Promise<void> | void, timeout?: number) => void;
  readonly expect: ExpectLike;
  /** used to release the shared instance after the suite; without it the instance stays open */
  readonly afterAll?: (body: () => Promise<void> | void, timeout?: number) => void;
}

/** Memoises an async factory so the cases of one suite share one instance. */
export function shared<T>(create: () => Promise<T> | T): { get(): Promise<T>; created(): boolean } {
  let pending: Promise<T> | undefined;
  return {
    get: () => (pending ??= Promise.resolve().then(create)),
    created: () => pending !== undefined,
  };
}

/** The settled outcome of a promise, for asserting on rejections without framework helpers. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

export async function settle<T>(work: () => Promise<T> | T): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** A one-line description of an error or value, for assertion messages. */
export function describeError(err: unknown): string {
  const code = blurmmErrorCode(err);
  if (code !== undefined) return `${(err as Error).name} ${code}: ${(err as Error).message}`;
  if (err instanceof Error) return `${err.name} (not a BlurmmError): ${err.message}`;
  return `non-error ${typeof err}: ${String(err)}`;
}

/** Asserts that `outcome` is a rejection with a BlurmmError of one of `codes`; returns it. */
export function expectBlurmmRejection<T>(expect: ExpectLike, outcome: Outcome<T>, codes: readonly BlurmmErrorCode[], what: string): Error {
  expect(outcome.ok, `${what}: expected a rejection with ${codes.join(' or ')}, but it resolved`).toBe(false);
  const error = (outcome as { error: unknown }).error;
  const code = blurmmErrorCode(error);
  expect(code !== undefined && codes.includes(code), `${what}: expected a BlurmmError with ${codes.join(' or ')}, got ${describeError(error)}`).toBe(true);
  return error as Error;
}
