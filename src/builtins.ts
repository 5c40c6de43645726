/**
 * Registers the built-in sources, estimators, backends and writers. Each plugin module is
 * imported lazily inside its factory, so importing blurmm loads no native dependency.
 * One block per area; keep edits to your own block.
 */
import { registerBackend, registerEstimator, registerSourceOpener } from './core/registries.js';
import { imageOpener } from './adapters/image/index.js';
import { tiffOpener } from './adapters/tiff/opener.js';
import { dicomOpener } from './adapters/dicom/opener.js';
import { dicomwebOpener } from './adapters/dicomweb/opener.js';

let done = false;

export function registerBuiltins(): void {
  if (done) return;
  done = true;

  // ---- sources (plain images: issue 2)
  registerSourceOpener(imageOpener, 0);
  // ---- sources (TIFF family: issue 3)
  registerSourceOpener(tiffOpener, 10);
  // ---- sources (DICOM-WSI: issue 4)
  registerSourceOpener(dicomOpener, 20);
  registerSourceOpener(dicomwebOpener, 20);

  // ---- estimators
  registerEstimator('lv', async (o) => (await import('./plugins/estimators/lv.js')).laplacianVariance(o));
  registerEstimator('focuslitenn', async (o) => (await import('./plugins/estimators/focuslitenn.js')).focusLiteNN(o));
  // ---- backends
  registerBackend('onnxruntime', async (id, o) => (await import('./plugins/backends/onnx.js')).createOnnxBackend(id, o), 10);
  registerBackend('function', async (id, o) => (await import('./plugins/backends/function.js')).createFunctionBackend(id, o));
}
