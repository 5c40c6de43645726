/**
 * Pure-JS kernel of the variance of the Laplacian (the fallback, and the reference the
 * WebAssembly kernel is tested against). One pass over the pixels: while row y+1 is
 * converted to OpenCV's 15-bit gray (into a ring of three padded gray rows), the Laplacian
 * of row y is summed in the same loop, its lower neighbour taken from the register.
 * Sums are exact integers: int32 per chunk of <= 2048 columns, then doubles (< 2^53).
 */

/** gray = (9798 R + 19235 G + 3735 B + 16384) >> 15, as cv2.cvtColor(RGB2GRAY) for uint8 */
const CR = 9798;
const CG = 19235;
const CB = 3735;
const ROUND = 16384;
/** columns per int32 chunk: 2048 * 1020^2 < 2^31 */
const CHUNK = 2048;

let ring = new Int32Array(3 * 1026);
/** running sums, [S1, S2] */
const acc = new Float64Array(2);

/** word reads assume little-endian byte order (as typed arrays use the platform's) */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Uint32 views of pixel buffers, one per buffer, so tiles cut from one buffer share it */
const wordViews = new WeakMap<ArrayBufferLike, Uint32Array>();

/** A Uint32 view of the whole buffer under `data` (undefined on big-endian platforms). */
function wordsOf(data: Uint8Array): Uint32Array | undefined {
  if (!LITTLE_ENDIAN) return undefined;
  const buffer = data.buffer;
  let words = wordViews.get(buffer);
  if (words === undefined || words.length < (buffer.byteLength >> 2)) {
    words = new Uint32Array(buffer, 0, buffer.byteLength >> 2);
    wordViews.set(buffer, words);
  }
  return words;
}

/** reflect-101 pads of a finished gray row: column -1 = column 1, column w = column w-2 */
function pad(g: Int32Array, at: number, width: number): void {
  const end = at + width + 1;
  g[at] = width > 1 ? g[at + 2]! : g[at + 1]!;
  g[end] = width > 1 ? g[end - 2]! : g[end - 1]!;
}

/** Gray of the pixel row starting at byte `src` into g[at+1 .. at+w], then the pads. */
function grayRow(data: Uint8Array, src: number, width: number, channels: number, g: Int32Array, at: number): void {
  let i = src;
  const end = at + 1 + width;
  for (let o = at + 1; o < end; o++, i += channels) {
    g[o] = (CR * data[i]! + CG * data[i + 1]! + CB * data[i + 2]! + ROUND) >> 15;
  }
  pad(g, at, width);
}

/**
 * Row y (gray at `cur`) with row y+1 computed in the same loop from pixels at byte `src`
 * into `down`. `up` is row y-1, or -1 when row y-1 reflects to row y+1 (y = 0).
 */
function fusedRow(
  data: Uint8Array,
  src: number,
  width: number,
  channels: number,
  g: Int32Array,
  up: number,
  cur: number,
  down: number,
): void {
  let s1 = acc[0]!;
  let s2 = acc[1]!;
  let i = src;
  for (let x0 = 0; x0 < width; x0 += CHUNK) {
    const x1 = Math.min(width, x0 + CHUNK) + 1;
    let a = 0;
    let b = 0;
    let left = g[cur + x0]!;
    let mid = g[cur + x0 + 1]!;
    if (up < 0) {
      for (let x = x0 + 1; x < x1; x++, i += channels) {
        const d = (CR * data[i]! + CG * data[i + 1]! + CB * data[i + 2]! + ROUND) >> 15;
        g[down + x] = d;
        const right = g[cur + x + 1]!;
        const lap = 2 * d + left + right - 4 * mid;
        left = mid;
        mid = right;
        a = (a + lap) | 0;
        b = (b + lap * lap) | 0;
      }
    } else {
      for (let x = x0 + 1; x < x1; x++, i += channels) {
        const d = (CR * data[i]! + CG * data[i + 1]! + CB * data[i + 2]! + ROUND) >> 15;
        g[down + x] = d;
        const right = g[cur + x + 1]!;
        const lap = g[up + x]! + d + left + right - 4 * mid;
        left = mid;
        mid = right;
        a = (a + lap) | 0;
        b = (b + lap * lap) | 0;
      }
    }
    s1 += a;
    s2 += b;
  }
  pad(g, down, width);
  acc[0] = s1;
  acc[1] = s2;
}

/**
 * As {@link fusedRow} for RGB with the row's first byte 4-byte aligned in `words` (a Uint32
 * view of the same bytes, little-endian): 4 pixels from 3 word reads. `up` >= 0 or -1 as there.
 */
function fusedRowRgbWords(
  data: Uint8Array,
  words: Uint32Array,
  wsrc: number,
  width: number,
  g: Int32Array,
  up: number,
  cur: number,
  down: number,
): void {
  let s1 = acc[0]!;
  let s2 = acc[1]!;
  let j = wsrc;
  const upRow = up < 0 ? down : up;
  const groups = width >> 2;
  // chunk of 512 groups = 2048 columns: int32 sums cannot overflow
  for (let q0 = 0; q0 < groups; q0 += 512) {
    const q1 = Math.min(groups, q0 + 512);
    let a = 0;
    let b = 0;
    let x = q0 * 4 + 1;
    let left = g[cur + x - 1]!;
    let mid = g[cur + x]!;
    for (let q = q0; q < q1; q++, j += 3, x += 4) {
      const w0 = words[j]!;
      const w1 = words[j + 1]!;
      const w2 = words[j + 2]!;
      const d0 = (CR * (w0 & 255) + CG * ((w0 >>> 8) & 255) + CB * ((w0 >>> 16) & 255) + ROUND) >> 15;
      const d1 = (CR * (w0 >>> 24) + CG * (w1 & 255) + CB * ((w1 >>> 8) & 255) + ROUND) >> 15;
      const d2 = (CR * ((w1 >>> 16) & 255) + CG * (w1 >>> 24) + CB * (w2 & 255) + ROUND) >> 15;
      const d3 = (CR * ((w2 >>> 8) & 255) + CG * ((w2 >>> 16) & 255) + CB * (w2 >>> 24) + ROUND) >> 15;
      g[down + x] = d0;
      g[down + x + 1] = d1;
      g[down + x + 2] = d2;
      g[down + x + 3] = d3;
      const r0 = g[cur + x + 1]!;
      const r1 = g[cur + x + 2]!;
      const r2 = g[cur + x + 3]!;
      const r3 = g[cur + x + 4]!;
      const l0 = g[upRow + x]! + d0 + left + r0 - 4 * mid;
      const l1 = g[upRow + x + 1]! + d1 + mid + r1 - 4 * r0;
      const l2 = g[upRow + x + 2]! + d2 + r0 + r2 - 4 * r1;
      const l3 = g[upRow + x + 3]! + d3 + r1 + r3 - 4 * r2;
      left = r2;
      mid = r3;
      a = (a + l0 + l1 + l2 + l3) | 0;
      b = (b + l0 * l0 + l1 * l1 + l2 * l2 + l3 * l3) | 0;
    }
    s1 += a;
    s2 += b;
  }
  // the last width % 4 pixels, byte by byte through the same words
  let x = groups * 4 + 1;
  let byte = j * 4 - data.byteOffset;
  let a = 0;
  let b = 0;
  for (; x <= width; x++, byte += 3) {
    const d = (CR * data[byte]! + CG * data[byte + 1]! + CB * data[byte + 2]! + ROUND) >> 15;
    g[down + x] = d;
    const lap = g[upRow + x]! + d + g[cur + x - 1]! + g[cur + x + 1]! - 4 * g[cur + x]!;
    a += lap;
    b += lap * lap;
  }
  acc[0] = s1 + a;
  acc[1] = s2 + b;
  pad(g, down, width);
}

/** Row y (gray at `cur`) whose rows above and below are both `nb` (reflected). */
function lastRow(width: number, g: Int32Array, nb: number, cur: number): void {
  let s1 = acc[0]!;
  let s2 = acc[1]!;
  for (let x0 = 0; x0 < width; x0 += CHUNK) {
    const x1 = Math.min(width, x0 + CHUNK) + 1;
    let a = 0;
    let b = 0;
    for (let x = x0 + 1; x < x1; x++) {
      const lap = 2 * g[nb + x]! + g[cur + x - 1]! + g[cur + x + 1]! - 4 * g[cur + x]!;
      a = (a + lap) | 0;
      b = (b + lap * lap) | 0;
    }
    s1 += a;
    s2 += b;
  }
  acc[0] = s1;
  acc[1] = s2;
}

/**
 * Sums of the Laplacian (ksize 1, BORDER_REFLECT_101) of the gray image of `data`:
 * writes S1 = sum(lap) to `out[0]` and S2 = sum(lap^2) to `out[1]` (exact integers).
 * Sizes are not validated here (see lv.ts).
 */
export function lvSumsJs(data: Uint8Array, width: number, height: number, channels: 3 | 4, out: Float64Array): void {
  const rs = width + 2;
  if (ring.length < 3 * rs) ring = new Int32Array(3 * rs + 768);
  const g = ring;
  const pitch = width * channels;
  acc[0] = 0;
  acc[1] = 0;
  grayRow(data, 0, width, channels, g, 0);
  if (height === 1) {
    // a 1-px column reflects onto itself: up = down = the row
    lastRow(width, g, 0, 0);
  } else {
    // word reads for RGB rows whose first byte is 4-byte aligned
    const words = channels === 3 ? wordsOf(data) : undefined;
    // row 0: row -1 reflects to row 1, which is computed in the same loop
    for (let y = 0; y + 1 < height; y++) {
      const up = y === 0 ? -1 : ((y - 1) % 3) * rs;
      const cur = (y % 3) * rs;
      const down = ((y + 1) % 3) * rs;
      const src = (y + 1) * pitch;
      const abs = data.byteOffset + src;
      if (words !== undefined && (abs & 3) === 0) fusedRowRgbWords(data, words, abs >> 2, width, g, up, cur, down);
      else fusedRow(data, src, width, channels, g, up, cur, down);
    }
    // row h-1: row h reflects to row h-2
    lastRow(width, g, ((height - 2) % 3) * rs, ((height - 1) % 3) * rs);
  }
  out[0] = acc[0]!;
  out[1] = acc[1]!;
}
