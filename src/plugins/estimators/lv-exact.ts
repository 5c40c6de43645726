/**
 * Exact finish of the variance of the Laplacian: the Laplacian of an 8-bit gray image has
 * integer values, so n, their sum S1 and their sum of squares S2 are exact integers, and
 * `lv = (n*S2 - S1^2) / n^2` can be evaluated exactly and rounded once to a double.
 */

const TWO_52 = 2 ** 52;

/**
 * The population variance `(n*s2 - s1^2) / n^2`, correctly rounded to the nearest double.
 * `n`, `s1`, `s2` must be integers with |s1|, s2 below 2^53 (true for any tile below 2^32 px).
 */
export function exactVariance(n: number, s1: number, s2: number): number {
  const a = n * s2;
  const b = s1 * s1;
  const d = n * n;
  // every product exact in doubles: one subtraction (exact) and one rounded division
  if (a < TWO_52 && b < TWO_52 && d < TWO_52) return (a - b) / d;
  const num = BigInt(n) * BigInt(s2) - BigInt(s1) * BigInt(s1);
  if (num <= 0n) return 0;
  return ratioToDouble(num, BigInt(n) * BigInt(n));
}

/** num / den (both positive) rounded once to the nearest double (ties to even). */
function ratioToDouble(num: bigint, den: bigint): number {
  // scale so that the integer quotient has at least ~60 significant bits; the remainder
  // becomes a sticky bit far below the rounding position, and Number(bigint) rounds correctly
  const k = Math.max(0, Math.ceil(Math.log2(Number(den)) - Math.log2(Number(num))) + 62);
  const scaled = num << BigInt(k);
  let q = scaled / den;
  if (q * den !== scaled) q |= 1n;
  // division by a power of two is exact in the normal range
  return Number(q) / 2 ** k;
}
