/**
 * TIFF LZW decoder (compression 5): MSB-first codes of 9-12 bits, ClearCode 256, EOI 257,
 * with the "early change" code-width switch of TIFF 6.0. Throws a plain Error on bad data;
 * the caller wraps it with the file, page and tile.
 */
export function decodeLzw(input: Uint8Array, expectedBytes: number): Uint8Array {
  const out = new Uint8Array(expectedBytes);
  let outPos = 0;
  // dictionary as (prefix code, last byte, length) for codes >= 258
  const prefix = new Int32Array(4096);
  const suffix = new Uint8Array(4096);
  const first = new Uint8Array(4096);
  const length = new Int32Array(4096);
  for (let i = 0; i < 256; i++) {
    suffix[i] = i;
    first[i] = i;
    length[i] = 1;
    prefix[i] = -1;
  }
  let next = 258;
  let width = 9;
  let bitPos = 0;
  const totalBits = input.length * 8;
  let old = -1;

  const readCode = (): number => {
    if (bitPos + width > totalBits) return 257; // treat the end of data as EOI, as libtiff does
    let code = 0;
    let need = width;
    let pos = bitPos;
    while (need > 0) {
      const byte = input[pos >> 3]!;
      const avail = 8 - (pos & 7);
      const take = Math.min(avail, need);
      code = (code << take) | ((byte >> (avail - take)) & ((1 << take) - 1));
      need -= take;
      pos += take;
    }
    bitPos = pos;
    return code;
  };

  const emit = (code: number): void => {
    const len = length[code]!;
    let end = outPos + len;
    if (end > expectedBytes) {
      // write what fits (libtiff tolerates overlong strips)
      let c = code;
      for (let k = len - 1; k >= 0; k--) {
        if (outPos + k < expectedBytes) out[outPos + k] = suffix[c]!;
        c = prefix[c]!;
      }
      outPos = expectedBytes;
      return;
    }
    let c = code;
    while (c >= 0) {
      out[--end] = suffix[c]!;
      c = prefix[c]!;
    }
    outPos += len;
  };

  for (;;) {
    const code = readCode();
    if (code === 257) break;
    if (code === 256) {
      next = 258;
      width = 9;
      const c = readCode();
      if (c === 257) break;
      if (c > 255) throw new Error(`LZW code ${c} right after a ClearCode`);
      emit(c);
      old = c;
    } else {
      if (old < 0) throw new Error('LZW data does not start with a ClearCode');
      if (code < next) {
        emit(code);
        if (next < 4096) {
          prefix[next] = old;
          suffix[next] = first[code]!;
          first[next] = first[old]!;
          length[next] = length[old]! + 1;
          next++;
        }
      } else if (code === next && next < 4096) {
        prefix[next] = old;
        suffix[next] = first[old]!;
        first[next] = first[old]!;
        length[next] = length[old]! + 1;
        next++;
        emit(code);
      } else {
        throw new Error(`LZW code ${code} is past the dictionary (next ${next})`);
      }
      old = code;
    }
    if (outPos >= expectedBytes) break;
    if (next + 1 >= 1 << width && width < 12) width++;
  }
  if (outPos < expectedBytes) throw new Error(`LZW data ended after ${outPos} of ${expectedBytes} bytes`);
  return out;
}
