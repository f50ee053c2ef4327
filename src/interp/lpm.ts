/**
 * Longest-prefix-match keys as the kernel's LPM trie reads them (kernel/bpf/lpm_trie.c): a key is
 * `struct bpf_lpm_trie_key_u8` — a u32 prefix length (host order) followed by the data bytes,
 * compared bit by bit from the first data byte's most significant bit. Two keys name the same
 * entry when their prefix lengths are equal and their first `prefixlen` bits are; a lookup finds
 * the entry with the longest prefix that is no longer than the key's and matches it.
 */
import { keyIndex } from './bytes.js';

/** The key's prefix length: its first four bytes as a little-endian u32. */
export const prefixLen = (key: Uint8Array): number => keyIndex(key);

/** The longest prefix a key of `keySize` bytes can hold. */
export const maxPrefixLen = (keySize: number): number => 8 * (keySize - 4);

/** The entry identity of a key: its prefix length and its first `prefixlen` data bits (rest zeroed), as hex. */
export function canonicalKey(key: Uint8Array): string {
  const plen = prefixLen(key);
  let s = (plen >>> 0).toString(16).padStart(8, '0') + ':';
  for (let i = 4; i < key.length; i++) {
    const bits = plen - 8 * (i - 4);
    const b = bits >= 8 ? key[i]! : bits <= 0 ? 0 : key[i]! & (0xff << (8 - bits)) & 0xff;
    s += (b < 16 ? '0' : '') + b.toString(16);
  }
  return s;
}

/** Number of leading bits `a` and `b` (two keys' data, from byte 4) share, at most `limit`. */
function commonBits(a: Uint8Array, b: Uint8Array, limit: number): number {
  let n = 0;
  for (let i = 4; i < a.length && n < limit; i++) {
    const x = a[i]! ^ b[i]!;
    if (x === 0) { n += 8; continue; }
    n += Math.clz32(x) - 24;
    break;
  }
  return Math.min(n, limit);
}

/**
 * Of the stored keys, the one a lookup of `key` finds (longest matching prefix not longer than the
 * key's own prefix length), or undefined.
 */
export function longestMatch<T>(key: Uint8Array, stored: Iterable<[Uint8Array, T]>): T | undefined {
  const plen = prefixLen(key);
  let best: T | undefined;
  let bestLen = -1;
  for (const [k, v] of stored) {
    const kl = prefixLen(k);
    if (kl > plen || kl <= bestLen) continue;
    if (commonBits(k, key, kl) === kl) { best = v; bestLen = kl; }
  }
  return best;
}
