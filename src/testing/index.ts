/**
 * blurmm/testing: conformance suites per contract, in the spirit of ESLint's RuleTester. Every
 * built-in and any third-party SlideSource, BlurEstimator or ModelBackend can run them. The
 * suites take the test runner's functions as a parameter, so this module imports no framework:
 *
 * @example
 * ```ts
 * import { describe, it, expect, afterAll } from 'vitest';
 * import { describeBlurEstimator } from 'blurmm/testing';
 * describeBlurEstimator({ describe, it, expect, afterAll }, 'tenengrad', () => tenengrad());
 * ```
 */
export { describeSlideSource, type SlideSourceExpectations } from './slide-source.js';
export { describeBlurEstimator, texturedTile, boxBlur, type BlurEstimatorSuiteOptions } from './blur-estimator.js';
export { describeModelBackend, type ModelBackendSuiteOptions } from './model-backend.js';
export type { TestApi, ExpectLike, Matchers } from './test-api.js';
