/** Placeholder until the WebAssembly SIMD kernel lands: no WASM kernel available. */
export type LvSums = (data: Uint8Array, width: number, height: number, channels: 3 | 4, out: Float64Array) => void;

/** The WebAssembly SIMD kernel, or undefined when the runtime cannot run it. */
export function loadLvWasmKernel(): LvSums | undefined {
  return undefined;
}
