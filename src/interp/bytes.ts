/** Byte strings as the interpreter reports them: lowercase hex, u32 keys little-endian. */

export { hex, fromHex } from '../ebpf/hex.js';

export function u32Key(i: number): Uint8Array {
  return new Uint8Array([i & 0xff, (i >>> 8) & 0xff, (i >>> 16) & 0xff, (i >>> 24) & 0xff]);
}

/** The u32 (little-endian) in a key's first four bytes. */
export function keyIndex(key: Uint8Array): number {
  return ((key[0] ?? 0) | ((key[1] ?? 0) << 8) | ((key[2] ?? 0) << 16) | ((key[3] ?? 0) << 24)) >>> 0;
}
