/**
 * fromHex's regex-free fast path (plain digits, as map seeds are) decodes exactly as the general
 * path, and everything else still goes the general way (prefix, separators, errors).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, hex } from '../src/ebpf/hex.js';
import { InputError } from '../src/ebpf/errors.js';

test('fromHex: plain digits of either case, prefixes and separators, and errors', () => {
  assert.deepEqual([...fromHex('0a0BfF10')], [0x0a, 0x0b, 0xff, 0x10]);
  assert.deepEqual([...fromHex('', 'x', 0)], []);
  assert.deepEqual([...fromHex('0x0a:0b 0c')], [0x0a, 0x0b, 0x0c]);
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.deepEqual(fromHex(hex(bytes)), bytes);
  assert.deepEqual(fromHex(hex(bytes).toUpperCase()), bytes);
  assert.throws(() => fromHex('0g'), InputError);
  assert.throws(() => fromHex('abc'), InputError);
  assert.throws(() => fromHex('0a0b', 'key', 4), /not 4 bytes/);
});
