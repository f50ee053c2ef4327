/**
 * Large plain arrays in differential tests are created mmapable and read in place; the in-place
 * snapshot must list exactly what the kernel's element-wise lookups list. Skips where bpf() is unavailable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAP_TYPES, type MapDef } from '../src/ebpf/program.js';
import { kernelUnavailableReason } from '../src/kernel/index.js';
import { readMapsBatched } from '../src/kernel/map-batch.js';
import { closeMap, createMap, snapshot, update } from '../src/kernel/maps.js';
import type { Loaded } from '../src/kernel/prog.js';

const skip: string | false = kernelUnavailableReason() ?? false;

test('a large array created for a difftest is mapped, and its in-place snapshot equals the element-wise one', { skip }, () => {
  const def: MapDef = { name: 'big', type: MAP_TYPES.array, keySize: 4, valueSize: 6, maxEntries: 1 << 20, fd: 0, flags: 0 };
  const m = createMap(def, { mmapLargeArray: true });
  const small = createMap({ ...def, name: 'small', maxEntries: 64 }, { mmapLargeArray: true });
  try {
    assert.ok(m.mapped, 'the 1M-entry array was not mapped');
    assert.equal(small.mapped, undefined, 'an array of 64 entries is read element-wise, not mapped');
    const key = (i: number): Uint8Array => new Uint8Array(new Uint32Array([i]).buffer);
    for (const [i, v] of [[0, [1, 0, 0, 0, 0, 0]], [7, [0, 0, 0, 0, 0, 9]], [(1 << 20) - 1, [255, 255, 255, 255, 255, 255]], [4097, [0, 0, 0, 0, 1, 0]]] as const) {
      assert.equal(update(m, key(i), new Uint8Array(v)), 0);
    }
    const inPlace = readMapsBatched({ maps: [m] } as unknown as Loaded)[0]!;
    assert.deepEqual(inPlace.entries, snapshot(m).entries);
    assert.deepEqual(inPlace.entries.map((e) => e.key), ['00000000', '07000000', '01100000', 'ffff0f00']);
  } finally {
    closeMap(m);
    closeMap(small);
  }
});
