import { DependencyError } from '../../core/errors.js';

/** the sharp function (the package's default export) */
export type SharpModule = typeof import('sharp').default;
let pending: Promise<SharpModule> | undefined;

/** Loads sharp on first use, so `import 'blurmm'` does not pull in native code. */
export function loadSharp(): Promise<SharpModule> {
  pending ??= import('sharp').then(
    (m) => ((m as unknown as { default?: SharpModule }).default ?? (m as unknown as SharpModule)),
    (cause: unknown) => {
      pending = undefined;
      throw new DependencyError(
        'Could not load sharp (libvips), which blurmm uses to decode PNG/JPEG/TIFF pixels. Possible solutions: run `npm install sharp`; make sure the platform package @img/sharp-linux-x64 (or yours) installed; see https://sharp.pixelplumbing.com/install',
        { cause, plugin: 'sharp' },
      );
    },
  );
  return pending;
}
