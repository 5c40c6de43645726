/**
 * Pure-JS kernel of the variance of the Laplacian (the fallback, and the reference the
 * WebAssembly kernel is tested against). One pass over the pixels: each row is converted to
 * OpenCV's 15-bit gray into a ring of three padded gray rows, and the Laplacian of the row
 * above is summed as soon as its lower neighbour exists. Sums are exact integers.
 */

/** gray = (9798 R + 19235 G + 3735 B + 16384) >> 15, as cv2.cvtColor(RGB2GRAY) for uint8 */
const CR = 9798;
const CG = 19235;
const CB = 3735;
const ROUND = 16384;
/** columns per int32 chunk: 2048 * 1020^2 < 2^31 */
const CHUNK = 2048;

let ring = new Int32Array(3 * 1026);

/**
 * Writes row `y` of the image as gray into `ring` at `at + 1 ... at + width`, with the
 * BORDER_REFLECT_101 pads at `at` and `at + width + 1`.
 */
function grayRow(data: Uint8Array, width: number, channels: number, y: number, g: Int32Array, at: number): void {
  let i = y * width * channels;
  const end = at + 1 + width;
  if (channels === 3) {
    for (let o = at + 1; o < end; o++, i += 3) {
      g[o] = (CR * data[i]! + CG * data[i + 1]! + CB * data[i + 2]! + ROUND) >> 15;
    }
  } else {
    for (let o = at + 1; o < end; o++, i += 4) {
      g[o] = (CR * data[i]! + CG * data[i + 1]! + CB * data[i + 2]! + ROUND) >> 15;
    }
  }
  // reflect-101: column -1 = column 1, column w = column w-2; a 1-px row reflects onto itself
  g[at] = width > 1 ? g[at + 2]! : g[at + 1]!;
  g[end] = width > 1 ? g[end - 2]! : g[end - 1]!;
}

/**
 * Sums of the Laplacian (ksize 1, BORDER_REFLECT_101) of the gray image of `data`:
 * writes S1 = sum(lap) to `out[0]` and S2 = sum(lap^2) to `out[1]` (exact integers).
 * Sizes are not validated here (see lv.ts).
 */
export function lvSumsJs(data: Uint8Array, width: number, height: number, channels: 3 | 4, out: Float64Array): void {
  const rs = width + 2;
  if (ring.length < 3 * rs) ring = new Int32Array(3 * rs + 3 * 256);
  const g = ring;
  grayRow(data, width, channels, 0, g, 0);
  if (height > 1) grayRow(data, width, channels, 1, g, rs);
  let s1 = 0;
  let s2 = 0;
  for (let y = 0; y < height; y++) {
    if (y >= 1 && y + 1 < height) grayRow(data, width, channels, y + 1, g, ((y + 1) % 3) * rs);
    const cur = (y % 3) * rs;
    // reflect-101: row -1 = row 1, row h = row h-2; a 1-px column reflects onto itself
    const up = y > 0 ? ((y - 1) % 3) * rs : height > 1 ? rs : 0;
    const down = y + 1 < height ? ((y + 1) % 3) * rs : height > 1 ? ((height - 2) % 3) * rs : 0;
    for (let x0 = 0; x0 < width; x0 += CHUNK) {
      const x1 = Math.min(width, x0 + CHUNK);
      let a = 0;
      let b = 0;
      for (let x = x0 + 1; x <= x1; x++) {
        const lap = (g[up + x]! + g[down + x]! + g[cur + x - 1]! + g[cur + x + 1]! - 4 * g[cur + x]!) | 0;
        a = (a + lap) | 0;
        b = (b + lap * lap) | 0;
      }
      s1 += a;
      s2 += b;
    }
  }
  out[0] = s1;
  out[1] = s2;
}
