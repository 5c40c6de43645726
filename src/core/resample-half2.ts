/**
 * The WebAssembly SIMD kernel of the exact x2 INTER_AREA shrink (source: resample-half2.wat),
 * instantiated synchronously, once, from the base64 in resample-half2.wasm.ts: no file reads and
 * no downloads at run time. Source rows are copied into the module's memory in blocks of whole
 * row pairs (about 256 KiB of source per block, so the kernel reads it back from cache), the block's output rows are copied back out; the
 * memory grows to the largest block seen and is reused. When WebAssembly (or its SIMD) is missing,
 * {@link loadHalf2Kernel} returns undefined and the caller keeps its JS path.
 */
import { WASM_PAGE, instantiateSimdModule, type WasmMemory } from './wasm.js';
import { HALF2_KERNEL_WASM_BASE64 } from './resample-half2.wasm.js';

/**
 * Shrinks `pairs` pairs of source rows starting at byte `srcOff` of `src` (rows of `srcWidth * cn`
 * bytes, contiguous) into output rows at byte `outOff` of `out` (rows of `(srcWidth >> 1) * cn`
 * bytes): every output byte is `(a + b + c + d + 2) >> 2`. Returns false (nothing written) when
 * the rows are too wide for the module's memory.
 */
export type Half2Rows = (src: Uint8Array, srcOff: number, pairs: number, srcWidth: number, cn: 3 | 4, out: Uint8Array, outOff: number) => boolean;


interface Instance {
  readonly half2: (inPtr: number, outPtr: number, pairs: number, stride: number, width: number, cn: number) => void;
  readonly memory: WasmMemory;
  bytes: Uint8Array;
}

const PAGE = WASM_PAGE;
/** source bytes copied into the module per block of row pairs */
const BLOCK_BYTES = 256 * 2 ** 10;
/** bytes the kernel may read past the source rows / write past the output rows (it works in whole chunks) */
const SLACK = 64;
/** source rows start here (the kernel's masks and constants live below) */
const IN_PTR = 64;
/** rows wider than this stay on the JS path rather than growing the memory past 1 GiB */
const MAX_BYTES = 2 ** 30;

let instance: Instance | null | undefined;

function instantiate(): Instance | null {
  // null when WebAssembly or its SIMD is missing: the JS path is used then
  const inst = instantiateSimdModule(HALF2_KERNEL_WASM_BASE64);
  if (inst === null) return null;
  const memory = inst.memory;
  return { half2: inst.exports.half2 as Instance['half2'], memory, bytes: new Uint8Array(memory.buffer) };
}

const half2Rows: Half2Rows = (src, srcOff, pairs, srcWidth, cn, out, outOff) => {
  const k = instance!;
  const stride = srcWidth * cn;
  const rowLen = (srcWidth >> 1) * cn;
  const blockPairs = Math.max(1, Math.min(pairs, Math.floor(BLOCK_BYTES / (2 * stride))));
  const outPtr = (IN_PTR + blockPairs * 2 * stride + SLACK + 15) & ~15;
  const need = outPtr + blockPairs * rowLen + SLACK;
  if (need > MAX_BYTES) return false;
  if (need > k.memory.buffer.byteLength) {
    try {
      k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / PAGE));
    } catch {
      return false; // the engine refused more memory: the caller's JS path needs none
    }
    k.bytes = new Uint8Array(k.memory.buffer);
  }
  const bytes = k.bytes;
  for (let p = 0; p < pairs; p += blockPairs) {
    const n = Math.min(blockPairs, pairs - p);
    const s = srcOff + p * 2 * stride;
    bytes.set(src.subarray(s, s + n * 2 * stride), IN_PTR);
    k.half2(IN_PTR, outPtr, n, stride, srcWidth >> 1, cn);
    out.set(bytes.subarray(outPtr, outPtr + n * rowLen), outOff + p * rowLen);
  }
  return true;
};

/** The WebAssembly SIMD x2 kernel, or undefined when the runtime cannot run it. */
export function loadHalf2Kernel(): Half2Rows | undefined {
  if (instance === undefined) instance = instantiate();
  return instance === null ? undefined : half2Rows;
}
