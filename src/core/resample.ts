/**
 * Area resampling of 8-bit images with OpenCV's `cv2.resize(..., interpolation=INTER_AREA)`
 * semantics (OpenCV 4.6, uint8), and the `box_mean` pyramid reduction of the shared test data.
 *
 * Pure TypeScript (plus a WebAssembly SIMD kernel for the exact x2 shrink, resample-half2.wat, with
 * this file's JS code as the fallback), no allocation per pixel. Three paths, chosen exactly as OpenCV does:
 * - integer factors on both axes (`src = k * dst` exactly; OpenCV's resizeAreaFast): block means,
 *   `(sum + 2) >> 2` for 2 x 2 (packed 32-bit arithmetic, 4 RGB pixels per step) and
 *   round-half-to-even of `sum * (1/area)` (float32, through a table indexed by the sum) otherwise;
 *   a size that is not an exact multiple (e.g. 1025 -> 512) takes the fractional path, as in OpenCV;
 * - other downscales (factor >= 1 on both axes): fractional-area weights in float32, every product
 *   and partial sum rounded to float32 in OpenCV's order;
 * - any upscaled axis: OpenCV's INTER_AREA upscale (bilinear with area-mode coefficients, fixed
 *   point); equal to OpenCV within one grey level (OpenCV's SIMD rounding differs by lane).
 *
 * The streaming form ({@link createAreaResizer}) takes source rows in order, strip by strip, and
 * gives bit-identical results to a one-shot resize, so a thumbnail never needs a whole level.
 */
import { invalidArgument } from './errors.js';
import { loadHalf2Kernel } from './resample-half2.js';
import type { RgbImage } from './types.js';

/** Byte order of the host (the packed 32-bit paths assume little-endian). */
const LITTLE_ENDIAN = new Uint8Array(new Int32Array([1]).buffer)[0] === 1;
/** even bytes of a word, as two 16-bit lanes */
const M8 = 0x00ff00ff;

/** Round half to even (cvRound / lrint under the default rounding mode). */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && (r & 1) === 1 ? r - 1 : r;
}

interface AreaTab {
  /** destination index (pixel, not channel) */
  readonly di: Int32Array;
  /** source index (pixel) */
  readonly si: Int32Array;
  /** float32 weights */
  readonly alpha: Float32Array;
  readonly length: number;
}

/** OpenCV's computeResizeAreaTab, one axis. */
function computeAreaTab(ssize: number, dsize: number, scale: number): AreaTab {
  const di = new Int32Array(ssize * 2 + 2);
  const si = new Int32Array(ssize * 2 + 2);
  const alpha = new Float32Array(ssize * 2 + 2);
  let k = 0;
  for (let dx = 0; dx < dsize; dx++) {
    const fsx1 = dx * scale;
    const fsx2 = fsx1 + scale;
    const cellWidth = Math.min(scale, ssize - fsx1);
    let sx1 = Math.ceil(fsx1);
    let sx2 = Math.floor(fsx2);
    sx2 = Math.min(sx2, ssize - 1);
    sx1 = Math.min(sx1, sx2);
    if (sx1 - fsx1 > 1e-3) {
      di[k] = dx;
      si[k] = sx1 - 1;
      alpha[k++] = (sx1 - fsx1) / cellWidth;
    }
    for (let sx = sx1; sx < sx2; sx++) {
      di[k] = dx;
      si[k] = sx;
      alpha[k++] = 1.0 / cellWidth;
    }
    if (fsx2 - sx2 > 1e-3) {
      di[k] = dx;
      si[k] = sx2;
      alpha[k++] = Math.min(Math.min(fsx2 - sx2, 1), cellWidth) / cellWidth;
    }
  }
  return { di, si, alpha, length: k };
}

/** A row-streaming area resizer: push source rows top to bottom, then take the result. */
export interface AreaResizer {
  readonly srcWidth: number;
  readonly srcHeight: number;
  readonly width: number;
  readonly height: number;
  readonly channels: 3 | 4;
  /** source rows pushed so far */
  readonly rowsPushed: number;
  /** Push `rows` consecutive source rows (`data` holds exactly rows * srcWidth * channels bytes). */
  push(data: Uint8Array, rows: number): void;
  /** The resized image; every source row must have been pushed. */
  finish(): RgbImage;
}

function checkSize(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1 || v > 1 << 30) throw invalidArgument(name, 'a positive integer', v);
}

/**
 * Creates a streaming resizer from `srcWidth x srcHeight` to `width x height` with OpenCV
 * INTER_AREA semantics. Memory: the output plus two rows of float32 accumulators.
 * @example
 * const r = createAreaResizer(4100, 3090, 1024, 772, 3);
 * for (const strip of strips) r.push(strip.data, strip.height);
 * const thumb = r.finish();
 */
export function createAreaResizer(srcWidth: number, srcHeight: number, width: number, height: number, channels: 3 | 4 = 3): AreaResizer {
  checkSize('srcWidth', srcWidth);
  checkSize('srcHeight', srcHeight);
  checkSize('width', width);
  checkSize('height', height);
  if (channels !== 3 && channels !== 4) throw invalidArgument('channels', '3 or 4', channels);
  const invX = width / srcWidth;
  const invY = height / srcHeight;
  const scaleX = 1 / invX;
  const scaleY = 1 / invY;
  const iscaleX = Math.round(scaleX);
  const iscaleY = Math.round(scaleY);
  const out = new Uint8Array(width * height * channels);
  const cn = channels;
  let pushed = 0;

  let consume: (data: Uint8Array, rows: number, first: number) => void;
  let done: () => void = () => undefined;

  if (srcWidth === width && srcHeight === height) {
    consume = (data, rows, first) => out.set(data.subarray(0, rows * srcWidth * cn), first * srcWidth * cn);
  } else if (scaleX >= 1 && scaleY >= 1 && Math.abs(scaleX - iscaleX) < Number.EPSILON && Math.abs(scaleY - iscaleY) < Number.EPSILON) {
    consume =
      !LITTLE_ENDIAN || iscaleY > 64 || iscaleX > 64
        ? scalarIntegerPath(srcWidth, width, iscaleX, iscaleY, cn, out)
        : iscaleX === 2 && iscaleY === 2
          ? half2Path(srcWidth, width, cn, out)
          : blockPath(srcWidth, width, iscaleX, iscaleY, cn, out);
  } else if (scaleX >= 1 && scaleY >= 1) {
    const r = fractionalPath(srcWidth, srcHeight, width, height, scaleX, scaleY, cn, out);
    consume = r.consume;
    done = r.done;
  } else {
    const r = upscalePath(srcWidth, srcHeight, width, height, invX, invY, scaleX, scaleY, cn, out);
    consume = r.consume;
    done = r.done;
  }

  return {
    srcWidth,
    srcHeight,
    width,
    height,
    channels,
    get rowsPushed() {
      return pushed;
    },
    push(data: Uint8Array, rows: number): void {
      if (!Number.isInteger(rows) || rows < 0 || pushed + rows > srcHeight) {
        throw invalidArgument('rows', `an integer from 0 to ${srcHeight - pushed} (rows left)`, rows);
      }
      if (data.length < rows * srcWidth * cn) {
        throw invalidArgument('data', `at least ${rows * srcWidth * cn} bytes (${rows} rows of ${srcWidth} x ${cn})`, data.length);
      }
      if (rows === 0) return;
      consume(plainBytes(data), rows, pushed);
      pushed += rows;
    },
    finish(): RgbImage {
      if (pushed !== srcHeight) throw invalidArgument('rows', `all ${srcHeight} source rows pushed before finish()`, pushed);
      done();
      return { data: out, width, height, channels };
    },
  };
}


/** A plain Uint8Array view (Buffer and other subclasses would make the hot loops polymorphic). */
function plainBytes(data: Uint8Array): Uint8Array {
  return data.constructor === Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * 32-bit word access to the source rows of one push: the data itself when every row starts on a
 * 4-byte boundary, otherwise each row is first copied into an aligned scratch row (memcpy).
 */
class RowWords {
  private readonly scratch: Uint8Array[] = [];
  private readonly scratch32: Int32Array[] = [];
  private direct: Int32Array | undefined;
  private bytes: Uint8Array = new Uint8Array(0);
  /** whether the bound data's rows are read in place (no copies) */
  get aligned(): boolean {
    return this.direct !== undefined;
  }
  /** the word view of the row located by the last {@link load} or {@link kept} */
  view: Int32Array = new Int32Array(0);
  /** the same row as bytes (byte index = 4 x word index) */
  view8: Uint8Array = new Uint8Array(0);
  constructor(
    private readonly stride: number,
    slots: number,
  ) {
    const padded = (stride + 3) & ~3;
    for (let i = 0; i < slots; i++) {
      const b = new Uint8Array(padded);
      this.scratch.push(b);
      this.scratch32.push(new Int32Array(b.buffer));
    }
  }
  /** starts a push */
  bind(data: Uint8Array): void {
    this.bytes = data;
    this.direct = (data.byteOffset & 3) === 0 && (this.stride & 3) === 0 ? new Int32Array(data.buffer, data.byteOffset, data.byteLength >> 2) : undefined;
  }
  /** sets {@link view} to row `r` of the bound data and returns its first word index; `slot` is the scratch row used when a copy is needed */
  load(r: number, slot: number): number {
    if (this.direct !== undefined) {
      this.view = this.direct;
      this.view8 = this.bytes;
      return (r * this.stride) >> 2;
    }
    const s = this.scratch[slot]!;
    s.set(this.bytes.subarray(r * this.stride, (r + 1) * this.stride));
    this.view = this.scratch32[slot]!;
    this.view8 = s;
    return 0;
  }
  /** keeps a copy of row `r` in scratch `slot` (a block split between two pushes) */
  keep(r: number, slot: number): void {
    this.scratch[slot]!.set(this.bytes.subarray(r * this.stride, (r + 1) * this.stride));
  }
  /** sets {@link view} to the row kept in `slot` */
  kept(slot: number): number {
    this.view = this.scratch32[slot]!;
    this.view8 = this.scratch[slot]!;
    return 0;
  }
}

/** one output row of the x2 path from source rows `a` and `b` (word views, first word index) */
function half2Row(
  a: Int32Array,
  a8: Uint8Array,
  ai: number,
  b: Int32Array,
  b8: Uint8Array,
  bi: number,
  dy: number,
  cn: number,
  rowLen: number,
  groups: number,
  out: Uint8Array,
  out32: Int32Array,
  tmp: Uint8Array,
  tmp32: Int32Array,
): void {
  const dst = dy * rowLen;
  // write straight into the output when the row starts on a word, else through a scratch row
  const direct = (dst & 3) === 0;
  const o32 = direct ? out32 : tmp32;
  let oi = direct ? dst >> 2 : 0;
  if (cn === 4) {
    for (let g = 0; g < groups; g++, ai += 2, bi += 2, oi++) {
      const a0 = a[ai]!;
      const a1 = a[ai + 1]!;
      const b0 = b[bi]!;
      const b1 = b[bi + 1]!;
      const e = (a0 & M8) + (a1 & M8) + (b0 & M8) + (b1 & M8) + 0x20002;
      const o = ((a0 >>> 8) & M8) + ((a1 >>> 8) & M8) + ((b0 >>> 8) & M8) + ((b1 >>> 8) & M8) + 0x20002;
      o32[oi] = ((e >>> 2) & M8) | (((o >>> 2) & M8) << 8);
    }
    return;
  }
  for (let g = 0; g < groups; g++, ai += 6, bi += 6, oi += 3) {
    let w = a[ai]!;
    let v = b[bi]!;
    let e0 = (w & M8) + (v & M8);
    let o0 = ((w >>> 8) & M8) + ((v >>> 8) & M8);
    w = a[ai + 1]!;
    v = b[bi + 1]!;
    let e1 = (w & M8) + (v & M8);
    let o1 = ((w >>> 8) & M8) + ((v >>> 8) & M8);
    w = a[ai + 2]!;
    v = b[bi + 2]!;
    let e2 = (w & M8) + (v & M8);
    let o2 = ((w >>> 8) & M8) + ((v >>> 8) & M8);
    // lanes: x = (r0, b0), y = (g0, r1), z = (b1, g1)
    const x0 = (((e0 + ((o0 >>> 16) | (o1 << 16)) + 0x20002) >>> 2) & M8);
    const y0 = (((((o0 & 0xffff) | (e1 & 0xffff0000)) + ((e1 & 0xffff) | (o2 << 16)) + 0x20002) >>> 2) & M8);
    const z0 = (((e2 + ((o2 >>> 16) | (o1 & 0xffff0000)) + 0x20002) >>> 2) & M8);
    w = a[ai + 3]!;
    v = b[bi + 3]!;
    e0 = (w & M8) + (v & M8);
    o0 = ((w >>> 8) & M8) + ((v >>> 8) & M8);
    w = a[ai + 4]!;
    v = b[bi + 4]!;
    e1 = (w & M8) + (v & M8);
    o1 = ((w >>> 8) & M8) + ((v >>> 8) & M8);
    w = a[ai + 5]!;
    v = b[bi + 5]!;
    e2 = (w & M8) + (v & M8);
    o2 = ((w >>> 8) & M8) + ((v >>> 8) & M8);
    const x1 = (((e0 + ((o0 >>> 16) | (o1 << 16)) + 0x20002) >>> 2) & M8);
    const y1 = (((((o0 & 0xffff) | (e1 & 0xffff0000)) + ((e1 & 0xffff) | (o2 << 16)) + 0x20002) >>> 2) & M8);
    const z1 = (((e2 + ((o2 >>> 16) | (o1 & 0xffff0000)) + 0x20002) >>> 2) & M8);
    // bytes r0 g0 b0 r1 | g1 b1 r2 g2 | b2 r3 g3 b3
    o32[oi] = x0 | (y0 << 8);
    o32[oi + 1] = (z0 >>> 16) | ((z0 & 0xff) << 8) | ((x1 & 0xff) << 16) | (y1 << 24);
    o32[oi + 2] = (x1 >>> 16) | ((y1 >>> 16) << 8) | (z1 & 0xff0000) | (z1 << 24);
  }
  // the last width % 4 pixels, byte by byte
  const o8 = direct ? out : tmp;
  const obase = direct ? dst : 0;
  for (let i = groups * 12, s = ai * 4, t = bi * 4; i < rowLen; i += 3, s += 6, t += 6) {
    o8[obase + i] = (a8[s]! + a8[s + 3]! + b8[t]! + b8[t + 3]! + 2) >> 2;
    o8[obase + i + 1] = (a8[s + 1]! + a8[s + 4]! + b8[t + 1]! + b8[t + 4]! + 2) >> 2;
    o8[obase + i + 2] = (a8[s + 2]! + a8[s + 5]! + b8[t + 2]! + b8[t + 5]! + 2) >> 2;
  }
  if (!direct) out.set(tmp.subarray(0, rowLen), dst);
}

/**
 * OpenCV's resizeAreaFast with `scale_x == scale_y == 2` (its SIMD and scalar code agree):
 * `(a + b + c + d + 2) >> 2` per channel. The row pairs inside one push go to the WebAssembly
 * SIMD kernel (resample-half2.wat) when the runtime has it; the JS code below handles a pair split
 * between two pushes and runtimes without WebAssembly SIMD, with identical bytes. Packed arithmetic on 32-bit words: byte lanes are split
 * into two sets of 16-bit lanes (even and odd bytes), summed vertically, paired horizontally by
 * lane shuffles, rounded and repacked: 4 RGB output pixels from 6 + 6 source words.
 */
function half2Path(srcWidth: number, width: number, cn: number, out: Uint8Array): (data: Uint8Array, rows: number, first: number) => void {
  const srcStride = srcWidth * cn;
  const rowLen = width * cn;
  const rows = new RowWords(srcStride, 2);
  const out32 = new Int32Array(out.buffer, out.byteOffset, out.byteLength >> 2);
  const tmp = new Uint8Array((rowLen + 3) & ~3);
  const tmp32 = new Int32Array(tmp.buffer);
  const groups = cn === 3 ? width >> 2 : width; // word-processed output units per row
  const kernel = loadHalf2Kernel(); // WebAssembly SIMD for the whole row pairs of a push

  return (data, n, first) => {
    rows.bind(data);
    let r = 0;
    if (first & 1) {
      const ai = rows.kept(0);
      const a = rows.view;
      const a8 = rows.view8;
      const bi = rows.load(0, 1);
      half2Row(a, a8, ai, rows.view, rows.view8, bi, first >> 1, cn, rowLen, groups, out, out32, tmp, tmp32);
      r = 1;
    }
    const pairs = (n - r) >> 1;
    if (kernel !== undefined && pairs > 0 && kernel(data, r * srcStride, pairs, srcWidth, cn === 4 ? 4 : 3, out, ((first + r) >> 1) * rowLen)) {
      r += pairs * 2;
    }
    for (; r + 1 < n; r += 2) {
      const ai = rows.load(r, 0);
      const a = rows.view;
      const a8 = rows.view8;
      const bi = rows.load(r + 1, 1);
      half2Row(a, a8, ai, rows.view, rows.view8, bi, (first + r) >> 1, cn, rowLen, groups, out, out32, tmp, tmp32);
    }
    if (r < n) rows.keep(r, 0);
  };
}

/** `cvRound(float(sum) * float(1 / area))`, OpenCV's resizeAreaFast rounding for factors other than 2 x 2 */
function areaRound(sum: number, fscale: number): number {
  const v = Math.fround(sum * fscale);
  let q = Math.round(v);
  if (q - v === 0.5 && (q & 1) === 1) q--;
  return q > 255 ? 255 : q;
}

/** adds one source row (word view) to the even/odd-byte 16-bit lane sums, or starts them */
function blockSumRow(w32: Int32Array, wi: number, even: Int32Array, odd: Int32Array, nw: number, start: boolean): void {
  if (start) {
    for (let i = 0, j = wi; i < nw; i++, j++) {
      const w = w32[j]!;
      even[i] = w & M8;
      odd[i] = (w >>> 8) & M8;
    }
  } else {
    for (let i = 0, j = wi; i < nw; i++, j++) {
      const w = w32[j]!;
      even[i] = even[i]! + (w & M8);
      odd[i] = odd[i]! + ((w >>> 8) & M8);
    }
  }
}

/**
 * Column sums of `sy` consecutive source rows in one pass (all rows of the block are in the same
 * word view, `sw` words apart), written straight to per-byte column sums in byte order.
 */
function blockSumRows(w32: Int32Array, wi: number, sw: number, sy: number, col32: Int32Array, nw: number): void {
  for (let i = 0, k = 0, j = wi; i < nw; i++, k += 2, j++) {
    let w = w32[j]!;
    let e = w & M8;
    let o = (w >>> 8) & M8;
    for (let r = 1, q = j + sw; r < sy; r++, q += sw) {
      w = w32[q]!;
      e += w & M8;
      o += (w >>> 8) & M8;
    }
    col32[k] = (e & 0xffff) | (o << 16);
    col32[k + 1] = (e >>> 16) | (o & 0xffff0000);
  }
}

/** even/odd lane sums back to per-byte column sums, in byte order */
function blockUnzip(even: Int32Array, odd: Int32Array, col32: Int32Array, nw: number): void {
  for (let i = 0, k = 0; i < nw; i++, k += 2) {
    const e = even[i]!;
    const o = odd[i]!;
    col32[k] = (e & 0xffff) | (o << 16);
    col32[k + 1] = (e >>> 16) | (o & 0xffff0000);
  }
}

/** one output row from the column sums: horizontal sums of `sx` pixels, rounded through `lut` */
function blockRow(col: Uint16Array, out: Uint8Array, dst: number, rowLen: number, lut: Uint8Array, sx: number, cn: number): void {
  const step = sx * cn;
  if (cn === 3) {
    if (sx === 3) {
      for (let o = dst, s = 0, e = dst + rowLen; o < e; o += 3, s += 9) {
        out[o] = lut[col[s]! + col[s + 3]! + col[s + 6]!]!;
        out[o + 1] = lut[col[s + 1]! + col[s + 4]! + col[s + 7]!]!;
        out[o + 2] = lut[col[s + 2]! + col[s + 5]! + col[s + 8]!]!;
      }
    } else if (sx === 4) {
      for (let o = dst, s = 0, e = dst + rowLen; o < e; o += 3, s += 12) {
        out[o] = lut[col[s]! + col[s + 3]! + col[s + 6]! + col[s + 9]!]!;
        out[o + 1] = lut[col[s + 1]! + col[s + 4]! + col[s + 7]! + col[s + 10]!]!;
        out[o + 2] = lut[col[s + 2]! + col[s + 5]! + col[s + 8]! + col[s + 11]!]!;
      }
    } else {
      for (let o = dst, s0 = 0, e = dst + rowLen; o < e; o += 3, s0 += step) {
        let a0 = 0;
        let a1 = 0;
        let a2 = 0;
        for (let s = s0, se = s0 + step; s < se; s += 3) {
          a0 += col[s]!;
          a1 += col[s + 1]!;
          a2 += col[s + 2]!;
        }
        out[o] = lut[a0]!;
        out[o + 1] = lut[a1]!;
        out[o + 2] = lut[a2]!;
      }
    }
  } else {
    for (let o = dst, s0 = 0, e = dst + rowLen; o < e; o += cn, s0 += step) {
      for (let c = 0; c < cn; c++) {
        let a = 0;
        for (let s = s0 + c, se = s0 + step; s < se; s += cn) a += col[s]!;
        out[o + c] = lut[a]!;
      }
    }
  }
}

/**
 * OpenCV's resizeAreaFast for integer factors other than 2 x 2: `cvRound(sum * (1.f / area))`
 * (float32, round half to even), through a table indexed by the block sum. Source rows are summed
 * vertically as packed 16-bit lanes (even and odd bytes of each word), un-interleaved once per
 * output row, then summed horizontally.
 */
function blockPath(srcWidth: number, width: number, sx: number, sy: number, cn: number, out: Uint8Array): (data: Uint8Array, rows: number, first: number) => void {
  const srcStride = srcWidth * cn;
  const rowLen = width * cn;
  const nw = (srcStride + 3) >> 2;
  const rows = new RowWords(srcStride, 1);
  const even = new Int32Array(nw);
  const odd = new Int32Array(nw);
  const col = new Uint16Array(nw * 4);
  const col32 = new Int32Array(col.buffer);
  const area = sx * sy;
  const fscale = Math.fround(1 / area);
  const lut = new Uint8Array(area * 255 + 1);
  for (let s = 0; s < lut.length; s++) lut[s] = areaRound(s, fscale);
  return (data, n, first) => {
    rows.bind(data);
    for (let r = 0; r < n; r++) {
      const srow = first + r;
      const within = srow % sy;
      if (within === 0 && r + sy <= n && rows.aligned) {
        // the whole block is in this push and can be read in place: one fused pass
        const wi = rows.load(r, 0);
        blockSumRows(rows.view, wi, srcStride >> 2, sy, col32, nw);
        blockRow(col, out, (srow / sy) * rowLen, rowLen, lut, sx, cn);
        r += sy - 1;
        continue;
      }
      const wi = rows.load(r, 0);
      const w32 = rows.view;
      blockSumRow(w32, wi, even, odd, nw, within === 0);
      if (within !== sy - 1) continue;
      blockUnzip(even, odd, col32, nw);
      blockRow(col, out, ((srow - within) / sy) * rowLen, rowLen, lut, sx, cn);
    }
  };
}

/** OpenCV's resizeAreaFast (integer factors), byte by byte: the fallback for big-endian hosts and factors above 64. */
function scalarIntegerPath(
  srcWidth: number,
  width: number,
  sx: number,
  sy: number,
  cn: number,
  out: Uint8Array,
): (data: Uint8Array, rows: number, first: number) => void {
  const rowLen = width * cn;
  const srcStride = srcWidth * cn;
  if (sx === 2 && sy === 2) {
    // row pairs; a pair split between two pushes keeps a copy of its first row
    const pending = new Uint8Array(srcStride);
    const pair = (r0: Uint8Array, o0: number, r1: Uint8Array, o1: number, dst: number): void => {
      const step = 2 * cn;
      if (cn === 3) {
        for (let i = dst, e = dst + rowLen, a = o0, b = o1; i < e; i += 3, a += 6, b += 6) {
          out[i] = (r0[a]! + r0[a + 3]! + r1[b]! + r1[b + 3]! + 2) >> 2;
          out[i + 1] = (r0[a + 1]! + r0[a + 4]! + r1[b + 1]! + r1[b + 4]! + 2) >> 2;
          out[i + 2] = (r0[a + 2]! + r0[a + 5]! + r1[b + 2]! + r1[b + 5]! + 2) >> 2;
        }
        return;
      }
      for (let i = 0, s = 0; i < rowLen; i += cn, s += step) {
        for (let c = 0; c < cn; c++) {
          out[dst + i + c] = (r0[o0 + s + c]! + r0[o0 + s + cn + c]! + r1[o1 + s + c]! + r1[o1 + s + cn + c]! + 2) >> 2;
        }
      }
    };
    return (data, rows, first) => {
        let r = 0;
      if (first & 1) {
        pair(pending, 0, data, 0, ((first - 1) >> 1) * rowLen);
        r = 1;
      }
      for (; r + 1 < rows; r += 2) pair(data, r * srcStride, data, (r + 1) * srcStride, ((first + r) >> 1) * rowLen);
      if (r < rows) pending.set(data.subarray(r * srcStride, (r + 1) * srcStride));
    };
  }
  const acc = new Int32Array(rowLen);
  const fscale = Math.fround(1 / (sx * sy));
  const step = sx * cn;
  return (data, rows, first) => {
    for (let r = 0; r < rows; r++) {
      const srow = first + r;
      const within = srow % sy;
      const base = r * srcStride;
      if (cn === 3) {
        for (let o = 0, s0 = base; o < rowLen; o += 3, s0 += step) {
          let a0 = 0;
          let a1 = 0;
          let a2 = 0;
          for (let s = s0, e = s0 + step; s < e; s += 3) {
            a0 += data[s]!;
            a1 += data[s + 1]!;
            a2 += data[s + 2]!;
          }
          if (within === 0) {
            acc[o] = a0;
            acc[o + 1] = a1;
            acc[o + 2] = a2;
          } else {
            acc[o] = acc[o]! + a0;
            acc[o + 1] = acc[o + 1]! + a1;
            acc[o + 2] = acc[o + 2]! + a2;
          }
        }
      } else {
        if (within === 0) acc.fill(0);
        for (let o = 0, s0 = base; o < rowLen; o += cn, s0 += step) {
          for (let s = s0, e = s0 + step; s < e; s += cn) {
            for (let c = 0; c < cn; c++) acc[o + c] = acc[o + c]! + data[s + c]!;
          }
        }
      }
      if (within === sy - 1) {
        const dst = ((srow - within) / sy) * rowLen;
        for (let i = 0; i < rowLen; i++) {
          const v = Math.fround(acc[i]! * fscale);
          let q = Math.round(v);
          if (q - v === 0.5 && (q & 1) === 1) q--;
          out[dst + i] = q > 255 ? 255 : q;
        }
      }
    }
  };
}

/** horizontal pass of one source row: `hrow[o] = sum over taps of float32(pixel * weight)`, in OpenCV's order */
function areaTaps(d: Uint8Array, base: number, cn: number, taps: number, tsi: Int32Array, tal: Float64Array, hrow: Float32Array, rowLen: number): void {
  if (cn === 3 && taps === 2) {
    for (let o = 0, t = 0; o < rowLen; o += 3, t += 2) {
      const s = base + tsi[t]!;
      const u = base + tsi[t + 1]!;
      const a = tal[t]!;
      const b = tal[t + 1]!;
      hrow[o] = Math.fround(d[s]! * a) + Math.fround(d[u]! * b);
      hrow[o + 1] = Math.fround(d[s + 1]! * a) + Math.fround(d[u + 1]! * b);
      hrow[o + 2] = Math.fround(d[s + 2]! * a) + Math.fround(d[u + 2]! * b);
    }
  } else if (cn === 3 && taps === 3) {
    for (let o = 0, t = 0; o < rowLen; o += 3, t += 3) {
      const s = base + tsi[t]!;
      const u = base + tsi[t + 1]!;
      const v = base + tsi[t + 2]!;
      const a = tal[t]!;
      const b = tal[t + 1]!;
      const c = tal[t + 2]!;
      hrow[o] = Math.fround(Math.fround(d[s]! * a) + Math.fround(d[u]! * b)) + Math.fround(d[v]! * c);
      hrow[o + 1] = Math.fround(Math.fround(d[s + 1]! * a) + Math.fround(d[u + 1]! * b)) + Math.fround(d[v + 1]! * c);
      hrow[o + 2] = Math.fround(Math.fround(d[s + 2]! * a) + Math.fround(d[u + 2]! * b)) + Math.fround(d[v + 2]! * c);
    }
  } else if (cn === 3 && taps === 4) {
    for (let o = 0, t = 0; o < rowLen; o += 3, t += 4) {
      const s = base + tsi[t]!;
      const u = base + tsi[t + 1]!;
      const v = base + tsi[t + 2]!;
      const w = base + tsi[t + 3]!;
      const a = tal[t]!;
      const b = tal[t + 1]!;
      const c = tal[t + 2]!;
      const e = tal[t + 3]!;
      hrow[o] = Math.fround(Math.fround(Math.fround(d[s]! * a) + Math.fround(d[u]! * b)) + Math.fround(d[v]! * c)) + Math.fround(d[w]! * e);
      hrow[o + 1] = Math.fround(Math.fround(Math.fround(d[s + 1]! * a) + Math.fround(d[u + 1]! * b)) + Math.fround(d[v + 1]! * c)) + Math.fround(d[w + 1]! * e);
      hrow[o + 2] = Math.fround(Math.fround(Math.fround(d[s + 2]! * a) + Math.fround(d[u + 2]! * b)) + Math.fround(d[v + 2]! * c)) + Math.fround(d[w + 2]! * e);
    }
  } else if (cn === 3) {
    for (let o = 0, t0 = 0; o < rowLen; o += 3, t0 += taps) {
      let h0 = 0;
      let h1 = 0;
      let h2 = 0;
      for (let t = t0, te = t0 + taps; t < te; t++) {
        const s = base + tsi[t]!;
        const a = tal[t]!;
        h0 = Math.fround(h0 + Math.fround(d[s]! * a));
        h1 = Math.fround(h1 + Math.fround(d[s + 1]! * a));
        h2 = Math.fround(h2 + Math.fround(d[s + 2]! * a));
      }
      hrow[o] = h0;
      hrow[o + 1] = h1;
      hrow[o + 2] = h2;
    }
  } else {
    for (let o = 0, t0 = 0; o < rowLen; o += cn, t0 += taps) {
      for (let c = 0; c < cn; c++) {
        let h = 0;
        for (let t = t0, te = t0 + taps; t < te; t++) h = Math.fround(h + Math.fround(d[base + tsi[t]! + c]! * tal[t]!));
        hrow[o + c] = h;
      }
    }
  }
}

/** `sum = beta * hrow` (a new output row) or `sum += float32(beta * hrow)`, float32 as OpenCV */
function addRow(sum: Float32Array, hrow: Float32Array, beta: number, n: number, assign: boolean): void {
  if (assign) {
    for (let i = 0; i < n; i++) sum[i] = beta * hrow[i]!;
  } else {
    for (let i = 0; i < n; i++) sum[i] = sum[i]! + Math.fround(beta * hrow[i]!);
  }
}

/** saturate_cast<uchar>(float): round half to even, clamp to 0..255 */
function flushRow(sum: Float32Array, out: Uint8Array, o: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = sum[i]!;
    let q = Math.round(v);
    if (q - v === 0.5 && (q & 1) === 1) q--;
    out[o + i] = q < 0 ? 0 : q > 255 ? 255 : q;
  }
}

/**
 * OpenCV's ResizeArea_Invoker (float32 weights). Each output column's x-table entries are padded
 * to the same tap count with zero weights (adding +0 to a non-negative float32 sum is exact), so the
 * horizontal pass runs unrolled loops of 1 to 4 taps; every product and partial sum is rounded to
 * float32 in OpenCV's order (Math.fround), so results stay bit-identical. A source row straddling
 * two output rows is summed horizontally once; the row buffers are reused for the whole image.
 */
function fractionalPath(
  srcWidth: number,
  srcHeight: number,
  width: number,
  height: number,
  scaleX: number,
  scaleY: number,
  cn: number,
  out: Uint8Array,
): { consume: (data: Uint8Array, rows: number, first: number) => void; done: () => void } {
  const xtab = computeAreaTab(srcWidth, width, scaleX);
  const ytab = computeAreaTab(srcHeight, height, scaleY);
  const rowLen = width * cn;
  const sum = new Float32Array(rowLen);
  // entries [xbeg[dx], xbeg[dx + 1]) belong to output column dx
  const xbeg = new Int32Array(width + 1);
  for (let k = 0; k < xtab.length; k++) xbeg[xtab.di[k]! + 1] = k + 1;
  for (let dx = 1; dx <= width; dx++) if (xbeg[dx]! < xbeg[dx - 1]!) xbeg[dx] = xbeg[dx - 1]!;
  let taps = 1;
  for (let dx = 0; dx < width; dx++) taps = Math.max(taps, xbeg[dx + 1]! - xbeg[dx]!);
  // padded taps: byte offset of the source pixel and float32 weight (0 for padding)
  const tsi = new Int32Array(width * taps);
  const tal = new Float64Array(width * taps); // float32 values, held as doubles (no conversion per load)
  for (let dx = 0; dx < width; dx++) {
    const k0 = xbeg[dx]!;
    const n = xbeg[dx + 1]! - k0;
    for (let t = 0; t < taps; t++) {
      tsi[dx * taps + t] = (t < n ? xtab.si[k0 + t]! : n > 0 ? xtab.si[k0]! : 0) * cn;
      tal[dx * taps + t] = t < n ? xtab.alpha[k0 + t]! : 0;
    }
  }
  const srcStride = srcWidth * cn;
  const hrow = new Float32Array(rowLen);
  let lastSy = -1;
  let j = 0; // next ytab entry
  let prevDy = ytab.length > 0 ? ytab.di[0]! : 0;
  let started = false;
  const consume = (data: Uint8Array, rows: number, first: number): void => {
    const last = first + rows;
    while (j < ytab.length && ytab.si[j]! < last) {
      const sy = ytab.si[j]!;
      const dy = ytab.di[j]!;
      const beta = ytab.alpha[j]!;
      let assign = !started;
      if (dy !== prevDy) {
        flushRow(sum, out, prevDy * rowLen, rowLen);
        prevDy = dy;
        assign = true;
      }
      started = true;
      // the horizontal pass of a source row shared by two output rows is computed once
      if (sy !== lastSy) {
        lastSy = sy;
        areaTaps(data, (sy - first) * srcStride, cn, taps, tsi, tal, hrow, rowLen);
      }
      addRow(sum, hrow, beta, rowLen, assign);
      j++;
    }
  };
  return { consume, done: () => flushRow(sum, out, prevDy * rowLen, rowLen) };
}

/**
 * OpenCV's INTER_AREA upscale: linear interpolation with area-mode coefficients, fixed point
 * (11-bit coefficients). Keeps a window of source rows; rows are consumed as they arrive.
 */
function upscalePath(
  srcWidth: number,
  srcHeight: number,
  width: number,
  height: number,
  invX: number,
  invY: number,
  scaleX: number,
  scaleY: number,
  cn: number,
  out: Uint8Array,
): { consume: (data: Uint8Array, rows: number, first: number) => void; done: () => void } {
  const ONE = 2048;
  const coeffs = (ssize: number, dsize: number, scale: number, inv: number, clampLast: boolean): { s: Int32Array; a: Int32Array } => {
    const s = new Int32Array(dsize);
    const a = new Int32Array(dsize * 2);
    for (let d = 0; d < dsize; d++) {
      let sx = Math.floor(d * scale);
      let fx = Math.fround(d + 1 - (sx + 1) * inv);
      fx = fx <= 0 ? 0 : Math.fround(fx - Math.floor(fx));
      if (sx < 0) {
        fx = 0;
        sx = 0;
      }
      if (clampLast && sx >= ssize - 1) {
        fx = 0;
        sx = ssize - 1;
      }
      s[d] = Math.min(sx, ssize - 1);
      a[d * 2] = roundHalfEven(Math.fround(1 - fx) * ONE);
      a[d * 2 + 1] = roundHalfEven(fx * ONE);
    }
    return { s, a };
  };
  const cx = coeffs(srcWidth, width, scaleX, invX, true);
  const cy = coeffs(srcHeight, height, scaleY, invY, false);
  const srcStride = srcWidth * cn;
  // horizontally resampled rows, by source row index (kept until no output row needs them)
  const hrows = new Map<number, Int32Array>();
  const rowLen = width * cn;
  let nextDy = 0;
  const hresize = (data: Uint8Array, base: number): Int32Array => {
    const h = new Int32Array(rowLen);
    for (let dx = 0; dx < width; dx++) {
      const s0 = base + cx.s[dx]! * cn;
      const s1 = cx.s[dx]! + 1 < srcWidth ? s0 + cn : s0;
      const a0 = cx.a[dx * 2]!;
      const a1 = cx.a[dx * 2 + 1]!;
      for (let c = 0; c < cn; c++) h[dx * cn + c] = data[s0 + c]! * a0 + data[s1 + c]! * a1;
    }
    return h;
  };
  const emit = (upTo: number): void => {
    while (nextDy < height) {
      const sy0 = cy.s[nextDy]!;
      const sy1 = Math.min(sy0 + 1, srcHeight - 1);
      if (sy1 >= upTo) return;
      const r0 = hrows.get(sy0)!;
      const r1 = hrows.get(sy1)!;
      const b0 = cy.a[nextDy * 2]!;
      const b1 = cy.a[nextDy * 2 + 1]!;
      const o = nextDy * rowLen;
      for (let i = 0; i < rowLen; i++) {
        const v = (r0[i]! * b0 + r1[i]! * b1 + (1 << 21)) >> 22;
        out[o + i] = v < 0 ? 0 : v > 255 ? 255 : v;
      }
      nextDy++;
      for (const key of hrows.keys()) if (key < sy0) hrows.delete(key);
    }
  };
  const consume = (data: Uint8Array, rows: number, first: number): void => {
    for (let r = 0; r < rows; r++) {
      const sy = first + r;
      // keep only rows some output row still needs
      hrows.set(sy, hresize(data, r * srcStride));
      emit(sy + 1);
    }
  };
  return { consume, done: () => emit(srcHeight) };
}

/**
 * Resizes an 8-bit image with OpenCV `cv2.resize(image, (outWidth, outHeight), interpolation=INTER_AREA)`
 * semantics: bit-exact for downscales (integer and fractional factors); upscaled axes within one
 * grey level of OpenCV.
 * @example
 * const half = resizeArea(tile, tile.width / 2, tile.height / 2);
 */
export function resizeArea(image: RgbImage, outWidth: number, outHeight: number): RgbImage {
  checkImage(image);
  if (outWidth === image.width && outHeight === image.height) {
    return { data: image.data.slice(0, image.width * image.height * image.channels), width: image.width, height: image.height, channels: image.channels };
  }
  const r = createAreaResizer(image.width, image.height, outWidth, outHeight, image.channels);
  r.push(image.data, image.height);
  return r.finish();
}

function checkImage(image: RgbImage): void {
  if (image === null || typeof image !== 'object' || !(image.data instanceof Uint8Array)) {
    throw invalidArgument('image', 'an RgbImage { data: Uint8Array, width, height, channels }', image);
  }
  checkSize('image.width', image.width);
  checkSize('image.height', image.height);
  if (image.channels !== 3 && image.channels !== 4) throw invalidArgument('image.channels', '3 or 4', image.channels);
  if (image.data.length < image.width * image.height * image.channels) {
    throw invalidArgument('image.data', `at least ${image.width * image.height * image.channels} bytes`, image.data.length);
  }
}

/**
 * The pyramid reduction of the shared test data (`box_mean(img, f)`): mean of f x f blocks over
 * `floor(W/f) x floor(H/f)` blocks, rounded half up, `(sum + floor(f*f/2)) // (f*f)`. Rows and
 * columns past the last whole block are dropped.
 * @example
 * const level2 = boxMean(level0, 16);
 */
export function boxMean(image: RgbImage, f: number): RgbImage {
  checkImage(image);
  if (!Number.isInteger(f) || f < 1) throw invalidArgument('f', 'a positive integer', f);
  const w = Math.floor(image.width / f);
  const h = Math.floor(image.height / f);
  if (w < 1 || h < 1) throw invalidArgument('f', `an integer no larger than the image (${image.width} x ${image.height})`, f);
  const cn = image.channels;
  const n = f * f;
  const half = Math.floor(n / 2);
  const rowLen = w * cn;
  const acc = new Float64Array(rowLen); // exact for any f up to 2^22
  const out = new Uint8Array(h * rowLen);
  const src = image.data;
  const stride = image.width * cn;
  for (let by = 0; by < h; by++) {
    acc.fill(0);
    for (let yy = 0; yy < f; yy++) {
      const base = (by * f + yy) * stride;
      for (let bx = 0; bx < w; bx++) {
        let s = base + bx * f * cn;
        const o = bx * cn;
        for (let k = 0; k < f; k++, s += cn) {
          for (let c = 0; c < cn; c++) acc[o + c]! += src[s + c]!;
        }
      }
    }
    const o = by * rowLen;
    for (let i = 0; i < rowLen; i++) out[o + i] = Math.floor((acc[i]! + half) / n);
  }
  return { data: out, width: w, height: h, channels: cn };
}
