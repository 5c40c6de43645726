import { loadSharp } from '../codecs/sharp.js';

/** sharp's callable default export. */
export type SharpFn = typeof import('sharp').default;

/** sharp as a callable (loadSharp returns the default export at run time but is typed as the namespace). */
export async function getSharp(): Promise<SharpFn> {
  return (await loadSharp()) as unknown as SharpFn;
}
