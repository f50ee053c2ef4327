/**
 * Global data in the Z3 encoding: a map value's address (lddw pseudo source 2, libbpf's .data/.rodata/
 * .bss) is the pointer to entry 0 of the one-entry array at the load's offset. Whole-program and
 * window queries over such programs get verdicts (they were "unknown"); a changed offset, value or
 * store is refuted with a counterexample the interpreter confirms.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../src/ebpf/asm.js';
import { lddwSecondHalf, type Insn } from '../src/ebpf/insn.js';
import { MAP_TYPES, type MapDef, type Program } from '../src/ebpf/program.js';
import { Rng } from '../src/common/rng.js';
import { generateInputs } from '../src/search/inputs.js';
import { differences, fastChecker } from './verify-util.js';

const data: MapDef = { name: '.data', fd: 0, type: MAP_TYPES.array, keySize: 4, valueSize: 16, maxEntries: 1, flags: 0 };
const addr = (dst: number, off: number): Insn[] => [{ op: 0x18, dst, src: 2, off: 0, imm: 0 }, lddwSecondHalf(off)];
const prog = (insns: Insn[]): Program => ({ name: 'g', source: 'g', insns, maps: [data], progType: 'xdp' });
/** counter at .data+8: r0 = old value + 1, stored back; returns XDP_PASS when the old value was odd. */
const bump = (off: number, add: number, extra = ''): Insn[] => [
  ...addr(1, off),
  ...assemble(`${extra}r2 = *(u64 *)(r1 + 0)\nr2 += ${add}\n*(u64 *)(r1 + 0) = r2\nr0 = r2\nr0 &= 1\nr0 += 1\nexit`),
];

test('global data: equal rewrites are proved, changed offsets, values and stores are refuted', async () => {
  const a = bump(8, 1);
  const c = await fastChecker(prog(a));
  try {
    assert.equal(c.check(a, a).verdict, 'equal');
    // The same address formed as +0 then moved by 8: equal.
    const moved = [...addr(1, 0), ...assemble('r1 += 8\nr2 = *(u64 *)(r1 + 0)\nr2 += 1\n*(u64 *)(r1 + 0) = r2\nr0 = r2\nr0 &= 1\nr0 += 1\nexit')];
    assert.equal(c.check(moved, a).verdict, 'equal', c.last?.reason);
    const inputs = generateInputs(prog(a), new Rng(7), 200);
    assert.equal(differences(prog(a), a, moved, inputs).differ, 0);
    for (const [what, b] of [['offset 0 instead of 8', bump(0, 1)], ['adds 2', bump(8, 2)]] as const) {
      const r = c.check(b, a);
      assert.equal(r.verdict, 'not-equal', `${what}: ${r.verdict} ${c.last?.reason ?? ''}`);
      assert.equal(differences(prog(a), a, b, [r.counterexample!]).differ, 1, `${what}: the interpreter confirms the counterexample`);
    }
    // The store dropped: r0 is the same, the map is not.
    const noStore = [...addr(1, 8), ...assemble('r2 = *(u64 *)(r1 + 0)\nr2 += 1\nr0 = r2\nr0 &= 1\nr0 += 1\nexit'), { op: 0x05, dst: 0, src: 0, off: 0, imm: 0 }];
    const r = c.check(noStore, a);
    assert.equal(r.verdict, 'not-equal', c.last?.reason);
    assert.equal(differences(prog(a), a, noStore, [r.counterexample!]).differ, 1);
  } finally { c.dispose(); }
});

test('global data: a window after the map value load is proved (the prefix encodes it)', async () => {
  const start = bump(8, 1, 'r3 = 5\nr3 = 6\n');
  const c = await fastChecker(prog(start));
  try {
    // Slots 2–3 (r3 = 5; r3 = 6; r3 is dead): both replaced by no-ops is equal; clobbering the address is not.
    const nop = { op: 0x05, dst: 0, src: 0, off: 0, imm: 0 };
    const cand = start.slice(); cand[2] = nop; cand[3] = nop;
    assert.equal(c.check(cand, start, { start, s: 2, e: 3 }).verdict, 'equal', c.last?.reason);
    const wrong = start.slice(); wrong[2] = { ...start[2]!, dst: 1, imm: 5 }; // clobbers the address
    assert.notEqual(c.check(wrong, start, { start, s: 2, e: 3 }).verdict, 'equal');
  } finally { c.dispose(); }
});
