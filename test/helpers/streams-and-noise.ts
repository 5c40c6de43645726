import { Writable } from 'node:stream';
import type { RgbImage } from '../../src/core/types.js';

/** A writable that keeps what a CLI command writes (its stdout/stderr in tests). */
export function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/** Seeded uniform noise (LCG, top byte), `c` channels. */
export function noise(w: number, h: number, c: 3 | 4, seed: number): RgbImage {
  const data = new Uint8Array(w * h * c);
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s >>> 24;
  }
  return { data, width: w, height: h, channels: c };
}
