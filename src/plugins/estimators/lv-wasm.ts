/**
 * The WebAssembly SIMD kernel of the variance of the Laplacian (source: lv-kernel.wat).
 * Instantiated synchronously, once, from the base64 in lv-kernel.wasm.ts: no file reads and
 * no downloads at run time. Pixels are copied into the module's memory in blocks of whole rows
 * (one block, one copy, no allocation for tiles up to 4 MiB; larger images go in 4 MiB
 * blocks through subarray views), so the memory stays bounded whatever the image size: it
 * grows to the largest block seen (plus three gray rows) and is reused.
 */
import { WASM_PAGE, instantiateSimdModule, type WasmMemory } from '../../core/wasm.js';
import { LV_KERNEL_WASM_BASE64 } from './lv-kernel.wasm.js';
import { lvSumsJs } from './lv-js.js';

/** Writes S1 = sum(lap) to out[0] and S2 = sum(lap^2) to out[1] (exact integers). */
export type LvSums = (data: Uint8Array, width: number, height: number, channels: 3 | 4, out: Float64Array) => void;


interface Instance {
  readonly begin: (width: number, height: number, channels: number, ring: number, rowBytes: number) => void;
  readonly rows: (inPtr: number, y0: number, count: number) => void;
  readonly finish: () => void;
  readonly memory: WasmMemory;
  bytes: Uint8Array;
  f64: Float64Array;
}

/** start of the gray-row ring (below: the result and the tail-mask table) */
const RING = 1024;
/** readable bytes the kernel may touch after the pixels (it reads 16 bytes per 4 pixels) */
const SLACK = 64;
const PAGE = WASM_PAGE;
/** pixel bytes copied into the module per block of rows */
const BLOCK_BYTES = 4 * 2 ** 20;
/** rows wider than this go to the JS kernel rather than growing the memory past 1 GiB */
const MAX_BYTES = 2 ** 30;

let instance: Instance | null | undefined;

function instantiate(): Instance | null {
  // null when WebAssembly or its SIMD is missing: the JS path is used then
  const inst = instantiateSimdModule(LV_KERNEL_WASM_BASE64);
  if (inst === null) return null;
  const memory = inst.memory;
  return {
    begin: inst.exports.begin as Instance['begin'],
    rows: inst.exports.rows as Instance['rows'],
    finish: inst.exports.finish as Instance['finish'],
    memory,
    bytes: new Uint8Array(memory.buffer),
    f64: new Float64Array(memory.buffer, 0, 2),
  };
}

function sumsWasm(data: Uint8Array, width: number, height: number, channels: 3 | 4, out: Float64Array): void {
  const k = instance!;
  // one ring row: elements 0..w+1 plus the SIMD overrun (up to w+9), 16-byte aligned
  const rowBytes = ((width + 16 + 7) & ~7) * 2;
  const pitch = width * channels;
  const pixels = pitch * height;
  const blockRows = Math.max(1, Math.min(height, Math.floor(BLOCK_BYTES / pitch)));
  const inPtr = (RING + 3 * rowBytes + 15) & ~15;
  const need = inPtr + blockRows * pitch + SLACK;
  if (need > MAX_BYTES) {
    lvSumsJs(data, width, height, channels, out);
    return;
  }
  if (need > k.memory.buffer.byteLength) {
    try {
      k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / PAGE));
    } catch {
      // the engine refused more memory: the JS kernel needs only three gray rows
      lvSumsJs(data, width, height, channels, out);
      return;
    }
    k.bytes = new Uint8Array(k.memory.buffer);
    k.f64 = new Float64Array(k.memory.buffer, 0, 2);
  }
  k.begin(width, height, channels, RING, rowBytes);
  if (blockRows === height) {
    k.bytes.set(data.length === pixels ? data : data.subarray(0, pixels), inPtr);
    k.rows(inPtr, 0, height);
  } else {
    for (let y = 0; y < height; y += blockRows) {
      const n = Math.min(blockRows, height - y);
      k.bytes.set(data.subarray(y * pitch, (y + n) * pitch), inPtr);
      k.rows(inPtr, y, n);
    }
  }
  k.finish();
  out[0] = k.f64[0]!;
  out[1] = k.f64[1]!;
}

/** The WebAssembly SIMD kernel, or undefined when the runtime cannot run it. */
export function loadLvWasmKernel(): LvSums | undefined {
  if (instance === undefined) instance = instantiate();
  return instance === null ? undefined : sumsWasm;
}
