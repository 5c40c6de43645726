/**
 * A compact, growable column store of the tile results a writer needs for images
 * (extent, grid cell, blur values, route, prediction score): about 40 bytes per tile,
 * so a 1 M-tile slide costs ~40 MB instead of the TileResult objects.
 */
import type { TileResult } from '../../core/types.js';

function grow<T extends Int32Array | Float32Array | Int16Array>(a: T, n: number, make: (n: number) => T): T {
  if (n <= a.length) return a;
  const b = make(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}

export class TileTable {
  /** blur output names, in column order */
  readonly outputs: readonly string[];
  count = 0;
  x: Int32Array = new Int32Array(1024);
  y: Int32Array = new Int32Array(1024);
  w: Int32Array = new Int32Array(1024);
  h: Int32Array = new Int32Array(1024);
  col: Int32Array = new Int32Array(1024);
  row: Int32Array = new Int32Array(1024);
  route: Int16Array = new Int16Array(1024);
  score: Float32Array = new Float32Array(1024);
  /** one column per output */
  blur: Float32Array[];

  constructor(outputs: readonly string[]) {
    this.outputs = outputs;
    this.blur = outputs.map(() => new Float32Array(1024));
  }

  add(tile: TileResult): void {
    const i = this.count;
    const n = i + 1;
    if (n > this.x.length) {
      const I = (k: number): Int32Array => new Int32Array(k);
      this.x = grow(this.x, n, I);
      this.y = grow(this.y, n, I);
      this.w = grow(this.w, n, I);
      this.h = grow(this.h, n, I);
      this.col = grow(this.col, n, I);
      this.row = grow(this.row, n, I);
      this.route = grow(this.route, n, (k) => new Int16Array(k));
      this.score = grow(this.score, n, (k) => new Float32Array(k));
      this.blur = this.blur.map((b) => grow(b, n, (k) => new Float32Array(k)));
    }
    this.x[i] = tile.x;
    this.y[i] = tile.y;
    this.w[i] = tile.width;
    this.h[i] = tile.height;
    this.col[i] = tile.col;
    this.row[i] = tile.row;
    this.route[i] = tile.route.index;
    const s = tile.prediction?.score;
    this.score[i] = s !== undefined && Number.isFinite(s) ? s : NaN;
    this.outputs.forEach((name, k) => {
      const v = tile.blur[name];
      this.blur[k]![i] = v !== undefined && Number.isFinite(v) ? v : NaN;
    });
    this.count = n;
  }

  /** true when any tile had a finite prediction score */
  hasPredictions(): boolean {
    for (let i = 0; i < this.count; i++) if (!Number.isNaN(this.score[i]!)) return true;
    return false;
  }
}
