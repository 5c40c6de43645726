/**
 * Registers the built-in sources, estimators, backends and writers. Each plugin module is
 * imported lazily inside its factory, so importing blurmm loads no native dependency.
 * One block per area; keep edits to your own block.
 */
import { registerBackend, registerEstimator, registerSourceOpener } from './core/registries.js';

let done = false;

export function registerBuiltins(): void {
  if (done) return;
  done = true;

  // ---- sources (plain images: issue 2)
  // ---- sources (TIFF family: issue 3)
  // ---- sources (DICOM-WSI: issue 4)

  // ---- estimators
  // ---- backends
  void registerBackend;
  void registerEstimator;
  void registerSourceOpener;
}
