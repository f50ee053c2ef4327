/**
 * The one hex codec for bytes (map keys and values, packets, perf output, flags): lower-case without
 * separators out; in, an optional 0x prefix, white space and ':' between bytes are allowed. A bad
 * string is an InputError naming what it was, so flags and files report it in one line.
 */
import { InputError } from './errors.js';

/** Lower-case hex, two digits per byte (hash maps key their slots by it: keep it cheap). */
export function hex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (b[i]! < 16 ? '0' : '') + b[i]!.toString(16);
  return s;
}

/**
 * Bytes of a hex string. `what` names the value in the error (a flag, "map seed", …); `size`, when
 * given, is the exact number of bytes required.
 */
export function fromHex(text: string, what = 'hex string', size?: number): Uint8Array {
  const plain = plainHex(text, size);
  if (plain) return plain;
  const t = text.replace(/^0x/i, '').replace(/[\s:]/g, '');
  const shown = text.length > 40 ? text.slice(0, 40) + '…' : text;
  if (t.length % 2 !== 0 || /[^0-9a-f]/i.test(t)) throw new InputError(`${what}: '${shown}' is not an even number of hex digits`);
  if (size !== undefined && t.length !== size * 2) throw new InputError(`${what}: '${shown}' is not ${size} bytes of hex`);
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Digit value of a hex character code, or -1. */
function digit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * The common case without a regex (map seeds are decoded on every interpreter run): only hex
 * digits, an even count, the size asked for. Anything else (prefix, separators, errors) goes the
 * general way.
 */
function plainHex(text: string, size?: number): Uint8Array | undefined {
  if (text.length % 2 !== 0 || (size !== undefined && text.length !== size * 2)) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) {
    const h = digit(text.charCodeAt(2 * i)), l = digit(text.charCodeAt(2 * i + 1));
    if (h < 0 || l < 0) return undefined;
    out[i] = (h << 4) | l;
  }
  return out;
}
