/**
 * K2's window mode: liveness, the interpreter's window sentinel and start slot, machine snapshots,
 * window tests, and window-mode searches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveAt, liveStackBytes, liveness } from '../src/analysis/liveness.js';
import { assemble } from '../src/ebpf/asm.js';
import type { MapDef } from '../src/ebpf/program.js';

const hashMap: MapDef = { name: 'm', type: 1, keySize: 4, valueSize: 8, maxEntries: 16, fd: 3, flags: 0 };
const regSet = (bits: number): number[] => [...Array(11).keys()].filter((r) => bits & (1 << r));

test('liveness: registers through ALU, jumps and exit', () => {
  const p = assemble(`
    r2 = 1
    r3 = r1
    r0 = r2
    if r3 == 0 goto out
    r0 += r3
    out: exit`);
  const lv = liveness(p, []);
  assert.deepEqual(regSet(lv.regs[5]!), [0]);
  assert.deepEqual(regSet(lv.regs[4]!), [0, 3]);
  assert.deepEqual(regSet(lv.regs[3]!), [0, 3]);
  assert.deepEqual(regSet(lv.regs[2]!), [2, 3]);
  assert.deepEqual(regSet(lv.regs[0]!), [1]);
  assert.deepEqual(liveAt(lv, 99).regs, 0);
});

test('liveness: stack stores kill, loads read, map helpers read key bytes, calls clobber r1-r5', () => {
  const p = assemble(`
    *(u32 *)(r10 - 4) = 7
    *(u64 *)(r10 - 16) = r1
    r2 = r10
    r2 += -4
    ld_pseudo r1, 1, 3
    call 1
    r3 = *(u64 *)(r10 - 16)
    r0 = r3
    exit`);
  const lv = liveness(p, [hashMap]);
  // before the call (slot 6): key bytes 508..511 and the spilled word 496..503
  assert.deepEqual(liveStackBytes(lv, 6), [496, 497, 498, 499, 500, 501, 502, 503, 508, 509, 510, 511]);
  assert.deepEqual(regSet(lv.regs[6]!), [1, 2, 3, 4, 5, 10]);
  assert.deepEqual(regSet(lv.regs[2]!), [3, 4, 5, 10], "r3-r5: a call reads r1-r5 conservatively");
  assert.deepEqual(liveStackBytes(lv, 1), [508, 509, 510, 511], 'the store at slot 1 kills 496..503');
  assert.deepEqual(liveStackBytes(lv, 0), [], 'the store at slot 0 kills the key');
  assert.deepEqual(liveStackBytes(lv, 8), []);
});

test('liveness: a read through an unknown base that may be the stack makes the whole stack live', () => {
  const p = assemble(`
    r2 = r10
    r2 += r1
    r0 = *(u8 *)(r2 + 0)
    exit`);
  const lv = liveness(p, []);
  assert.equal(liveStackBytes(lv, 2).length, 512);
  const q = assemble(`
    r2 = *(u32 *)(r1 + 0)
    r0 = *(u8 *)(r2 + 0)
    exit`);
  assert.equal(liveStackBytes(liveness(q, []), 1).length, 0, 'a loaded value is not a stack pointer when none was stored');
  const unknownMap = assemble(`
    r2 = r10
    r2 += -4
    call 1
    exit`);
  assert.equal(liveStackBytes(liveness(unknownMap, []), 2).length, 512, 'map helper without a known map: whole stack');
});
