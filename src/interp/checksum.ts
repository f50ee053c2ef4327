/**
 * Internet checksum arithmetic as the kernel does it (include/net/checksum.h, x86-64's
 * csum_partial): 32-bit partial sums with end-around carry, folded to 16 bits. Values are
 * numbers in the byte order the program holds them (little-endian loads of network bytes):
 * one's-complement sums do not depend on byte order as long as every operand agrees.
 */

/** csum_add: 32-bit one's-complement addition. */
export function csumAdd(a: number, b: number): number {
  const r = (a >>> 0) + (b >>> 0);
  return r > 0xffff_ffff ? (r - 0xffff_ffff) >>> 0 : r >>> 0;
}

export const csumSub = (a: number, b: number): number => csumAdd(a, ~b >>> 0);

/** csum_fold: the complemented 16-bit fold of a partial sum. */
export function csumFold(c: number): number {
  let s = (c & 0xffff) + (c >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** csum16_add: 16-bit one's-complement addition. */
function csum16Add(a: number, b: number): number {
  const r = a + b;
  return r > 0xffff ? (r - 0xffff) & 0xffff : r;
}

/** csum_replace2: the 16-bit checksum `sum` after a 16-bit field changed from `from` to `to`. */
export const csumReplace2 = (sum: number, from: number, to: number): number => ~csum16Add(csum16Add(~sum & 0xffff, ~from & 0xffff), to & 0xffff) & 0xffff;

/** csum_replace4 / inet_proto_csum_replace4 (no CHECKSUM_PARTIAL): a 32-bit field changed. */
export const csumReplace4 = (sum: number, from: number, to: number): number => csumFold(csumAdd(csumSub(~sum >>> 0, from), to));

/** csum_replace_by_diff: add a precomputed partial-sum difference. */
export const csumReplaceByDiff = (sum: number, diff: number): number => csumFold(csumAdd(diff, ~sum >>> 0));

/**
 * x86-64's csum_partial over `words` (little-endian u32s) with `seed`: the one's-complement sum in
 * 32 bits, which is 0 only when every operand is 0 (a non-zero multiple of 0xffffffff gives 0xffffffff).
 */
export function csumPartial(words: readonly number[], seed: number): number {
  let total = BigInt(seed >>> 0);
  for (const w of words) total += BigInt(w >>> 0);
  if (total === 0n) return 0;
  const r = Number(total % 0xffff_ffffn);
  return r === 0 ? 0xffff_ffff : r;
}
