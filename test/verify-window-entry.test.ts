/**
 * The assumptions of window proofs (src/verify/window.ts, window-entry.ts) on programs written
 * here: control that comes back into the window or its prefix (a loop closed after the window, a
 * subprogram called from after it, a window starting at a 64-bit load's second half) makes the
 * query "unknown" — each of these candidates differs from its start program in the interpreter, and
 * the window query used to call it "equal". Exits, helper calls and LD_ABS inside a window are
 * encoded: a changed exit value, helper argument or load offset is refuted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Insn } from '../src/ebpf/insn.js';
import type { Program } from '../src/ebpf/program.js';
import { Rng } from '../src/common/rng.js';
import { differences, fastChecker, rawInputs, rawProgram } from './verify-util.js';

const I = (op: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ op, dst, src, off, imm });
const MOV = (d: number, imm: number): Insn => I(0xb7, d, 0, 0, imm), MOVR = (d: number, s: number): Insn => I(0xbf, d, s);
const EXIT = I(0x95);
const withSlot = (insns: readonly Insn[], i: number, x: Insn): Insn[] => insns.map((y, k) => ({ ...(k === i ? x : y) }));

async function windowVerdict(p: Program, cand: readonly Insn[], s: number, e: number): Promise<{ verdict: string; reason: string }> {
  const c = await fastChecker(p);
  try {
    const r = c.check(cand, p.insns, { start: p.insns, s, e });
    return { verdict: r.verdict, reason: c.last?.reason ?? '' };
  } finally { c.dispose(); }
}

const reentering: { name: string; insns: Insn[]; s: number; e: number; cand: Insn; reason: RegExp }[] = [
  {
    // r2 = r3 runs twice; from the prefix's state (r3 = 0) "r2 = 0" is the same, not on the second pass.
    name: 'a loop closed after the window jumps back into it',
    insns: [MOV(3, 0), MOVR(2, 3), I(0x07, 3, 0, 0, 1), I(0xa5, 3, 0, -3, 2), MOVR(0, 2), EXIT], s: 1, e: 1, cand: MOV(2, 0), reason: /jumps back to slot 1/,
  },
  {
    name: 'a loop closed after the window jumps back into the prefix',
    insns: [MOV(3, 0), I(0x07, 3, 0, 0, 1), MOVR(2, 3), I(0xa5, 3, 0, -3, 2), MOVR(0, 2), EXIT], s: 2, e: 2, cand: MOV(2, 1), reason: /jumps back to slot 1/,
  },
  {
    // The prefix jumps over a subprogram that main calls after the window: the prefix never reaches it.
    name: 'a subprogram in the window is called from after it',
    insns: [MOV(6, 0), I(0x05, 0, 0, 2), MOV(0, 7), EXIT, I(0x85, 0, 1, 0, -3), EXIT], s: 2, e: 2, cand: MOV(0, 8), reason: /calls the subprogram at slot 2/,
  },
  {
    // The prefix's 64-bit load reads the start program's high half; the candidate's differs.
    name: 'the window starts at the second half of a 64-bit load',
    insns: [I(0x18, 0, 0, 0, 5), I(0, 0, 0, 0, 1), EXIT], s: 1, e: 1, cand: I(0, 0, 0, 0, 2), reason: /second half of the 64-bit load/,
  },
];

for (const c of reentering) {
  test(`window proofs: ${c.name} → unknown`, async () => {
    const p = rawProgram(c.insns);
    const cand = withSlot(p.insns, c.s, c.cand);
    if (!/subprogram/.test(c.name)) {
      const d = differences(p, p.insns, cand, rawInputs(new Rng(1), 20));
      assert.ok(d.compared > 0 && d.differ > 0, `the candidate differs in the interpreter: ${JSON.stringify(d)}`);
    }
    const r = await windowVerdict(p, cand, c.s, c.e);
    assert.equal(r.verdict, 'unknown');
    assert.match(r.reason, c.reason);
  });
}

test('window proofs: a BPF-to-BPF call inside the window is not encoded → unknown', async () => {
  const insns = [MOV(6, 0), I(0x85, 0, 1, 0, 2), MOVR(0, 6), EXIT, MOV(0, 7), EXIT];
  const p = rawProgram(insns);
  const r = await windowVerdict(p, withSlot(insns, 2, MOV(0, 1)), 1, 2);
  assert.equal(r.verdict, 'unknown');
  assert.match(r.reason, /BPF-to-BPF calls are not encoded/);
});

test('window proofs: an exit inside the window with a different r0 is refuted', async () => {
  // if ctx[0] == 0 { return 1 } return r0 (= 2): the window is the early return.
  const p = rawProgram([MOV(0, 2), I(0x71, 2, 1, 0, 0), I(0x55, 2, 0, 2, 0), MOV(0, 1), EXIT, EXIT]);
  const cand = withSlot(p.insns, 3, MOV(0, 3));
  assert.equal((await windowVerdict(p, cand, 3, 4)).verdict, 'not-equal');
  assert.equal((await windowVerdict(p, p.insns, 3, 4)).verdict, 'equal');
});

test('window proofs: a helper call inside the window with a different argument is refuted', async () => {
  // bpf_trace_printk(r10 - 8, 8) with r10 - 16 … r10 - 1 written: the format bytes are an argument the kernel uses.
  const insns = [I(0x7a, 10, 0, -16, 0x42), I(0x7a, 10, 0, -8, 0x41), MOVR(1, 10), I(0x07, 1, 0, 0, -8), MOV(2, 8), I(0x85, 0, 0, 0, 6), MOV(0, 0), EXIT];
  const p = rawProgram(insns);
  assert.equal((await windowVerdict(p, withSlot(insns, 4, MOV(2, 4)), 2, 5)).verdict, 'not-equal', 'size');
  assert.equal((await windowVerdict(p, withSlot(insns, 3, I(0x07, 1, 0, 0, -16)), 2, 5)).verdict, 'not-equal', 'pointer');
  assert.equal((await windowVerdict(p, insns, 2, 5)).verdict, 'equal');
});

test('window proofs: LD_ABS inside the window — another offset, or one past the packet (the program ends with 0), is refuted', async () => {
  // r6 = ctx; r0 = skb[12] (LD_ABS byte); exit
  const insns = [MOVR(6, 1), I(0x30, 0, 0, 0, 12), EXIT];
  const p: Program = { name: 'ldabs', source: 'test', insns, maps: [], progType: 'socket_filter', maxPktSize: 64 };
  assert.equal((await windowVerdict(p, withSlot(insns, 1, I(0x30, 0, 0, 0, 13)), 1, 1)).verdict, 'not-equal');
  assert.equal((await windowVerdict(p, withSlot(insns, 1, I(0x30, 0, 0, 0, 100_000)), 1, 1)).verdict, 'not-equal');
  assert.equal((await windowVerdict(p, insns, 1, 1)).verdict, 'equal');
});
