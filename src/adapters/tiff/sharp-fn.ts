import { loadSharp } from '../codecs/sharp.js';

/** sharp's callable default export. */
export type SharpFn = typeof import('sharp').default;

/**
 * sharp, typed as its callable default export. (`loadSharp` in src/adapters/codecs/sharp.ts
 * returns the default export at run time but is typed as the module namespace, which has no
 * call signature; this casts in one place until that type is fixed.)
 */
export async function getSharp(): Promise<SharpFn> {
  return (await loadSharp()) as unknown as SharpFn;
}
