import { DependencyError } from '../../core/errors.js';

/** the onnxruntime-node module */
export type Ort = typeof import('onnxruntime-node');
let pending: Promise<Ort> | undefined;

/**
 * Loads onnxruntime-node on first use (shared by the onnxruntime backend, FocusLiteNN and its
 * trainer), so importing blurmm loads no native code.
 */
export function loadOnnxRuntime(): Promise<Ort> {
  pending ??= import('onnxruntime-node').then(
    (m) => ((m as unknown as { default?: Ort }).default?.InferenceSession ? (m as unknown as { default: Ort }).default : m) as Ort,
    (cause: unknown) => {
      pending = undefined;
      throw new DependencyError(
        'Could not load onnxruntime-node, which runs ONNX models and FocusLiteNN. Possible solutions: run `npm install onnxruntime-node`; check that its native binary matches this platform (node_modules/onnxruntime-node/bin); .npmrc onnxruntime-node-install=skip only skips the CUDA download; see https://onnxruntime.ai/docs/get-started/with-javascript/node.html',
        { cause, plugin: 'onnxruntime' },
      );
    },
  );
  return pending;
}
