/**
 * UnreachedWindow: one run of the whole-program tests stands for every candidate that runs each test
 * as the start does — the start outside the window, its 64-bit loads in place, the test list unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LDDW_OPCODE, type Insn } from '../src/ebpf/insn.js';
import { UnreachedWindow } from '../src/search/unreached-window.js';

const mov = (dst: number, imm: number): Insn => ({ op: 0xb7, dst, src: 0, off: 0, imm });
const lddw = (dst: number, imm: number): Insn[] => [{ op: LDDW_OPCODE, dst, src: 0, off: 0, imm }, { op: 0, dst: 0, src: 0, off: 0, imm: 0 }];
const EXIT: Insn = { op: 0x95, dst: 0, src: 0, off: 0, imm: 0 };

test('unreached window: covers candidates that differ only inside the window', () => {
  const start = [mov(0, 0), ...lddw(1, 5), mov(2, 1), mov(3, 2), mov(4, 3), EXIT];
  const u = new UnreachedWindow(start, 3, 5, 30);
  const cand = start.slice();
  cand[4] = mov(3, 9);
  assert.ok(u.covers(cand, 30));
  assert.ok(!u.covers(cand, 31), 'a test was added since: it may reach the window');
  const outside = cand.slice();
  outside[0] = mov(0, 1);
  assert.ok(!u.covers(outside, 30), 'a change before the window');
  const sameValue = cand.slice();
  sameValue[6] = { ...EXIT };
  assert.ok(!u.covers(sameValue, 30), 'another object after the window: only the start\'s objects count');
  const load = cand.slice();
  load[4] = { op: LDDW_OPCODE, dst: 3, src: 0, off: 0, imm: 1 };
  assert.ok(!u.covers(load, 30), 'a 64-bit load moved into the window');
});

test('unreached window: a window starting at a second half needs that half as in the start', () => {
  const start = [mov(0, 0), ...lddw(1, 5), mov(2, 1), EXIT];
  const u = new UnreachedWindow(start, 2, 3, 30);
  const cand = start.slice();
  cand[3] = mov(2, 7);
  assert.ok(u.covers(cand, 30));
  cand[2] = { ...start[2]!, imm: 1 };
  assert.ok(!u.covers(cand, 30), 'the load at slot 1 runs before the window and reads slot 2');
});
