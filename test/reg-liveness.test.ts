/**
 * liveRegisters: the registers the safety checker may still look at per slot — conservative (every
 * instruction reads its dst and src), killed only by moves, loads, 64-bit loads and helper calls.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../src/ebpf/asm.js';
import { liveRegisters } from '../src/safety/reg-liveness.js';

const regs = (mask: number): number[] => [...Array(11).keys()].filter((r) => (mask & (1 << r)) !== 0);

test('reg liveness: moves and calls kill, every other use reads, r10 always live', () => {
  const insns = assemble([
    'r6 = r1', //            0: reads r1
    'r2 = 5', //             1: kills r2
    'r3 = r2', //            2
    'r3 += r6', //           3: reads r3 and r6
    'if r3 > 7 goto +1', //  4: reads r3 (and the src field: r0)
    'r0 = 0', //             5
    'call 5', //             6: reads r1–r5, kills r0–r5
    'r0 = r6', //            7
    'exit', //               8: reads r0
  ].join('\n'));
  const live = liveRegisters(insns);
  assert.deepEqual(regs(live[8]!), [0, 10]);
  assert.deepEqual(regs(live[7]!), [6, 10]);
  assert.deepEqual(regs(live[6]!), [1, 2, 3, 4, 5, 6, 10]);
  assert.deepEqual(regs(live[3]!), [0, 1, 2, 3, 4, 5, 6, 10], 'the call reads r1–r5; the jump reads r0 (its src field)');
  assert.deepEqual(regs(live[1]!), [0, 1, 4, 5, 6, 10], 'r2 and r3 are overwritten before they are read');
  assert.deepEqual(regs(live[0]!), [0, 1, 4, 5, 10]);
});
