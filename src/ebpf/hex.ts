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
  const t = text.replace(/^0x/i, '').replace(/[\s:]/g, '');
  const shown = text.length > 40 ? text.slice(0, 40) + '…' : text;
  if (t.length % 2 !== 0 || /[^0-9a-f]/i.test(t)) throw new InputError(`${what}: '${shown}' is not an even number of hex digits`);
  if (size !== undefined && t.length !== size * 2) throw new InputError(`${what}: '${shown}' is not ${size} bytes of hex`);
  const out = new Uint8Array(t.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(t.slice(2 * i, 2 * i + 2), 16);
  return out;
}
