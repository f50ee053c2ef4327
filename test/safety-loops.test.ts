/**
 * Bounded loops: the safety checker checks an unrolled copy (src/safety/unroll.ts) with comparisons
 * of known numbers decided, and window proofs after a loop encode the unrolled prefix with the bound
 * the checker proved (src/verify/window.ts). The kernel's verdicts on such programs are in
 * test/safety-kernel-rules.test.ts; here: the unrolling itself, the bound, and the proofs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../src/ebpf/asm.js';
import type { Insn } from '../src/ebpf/insn.js';
import { specOf } from '../src/ebpf/opcodes.js';
import type { Program } from '../src/ebpf/program.js';
import { Violation } from '../src/ebpf/violations.js';
import { createSafetyChecker } from '../src/safety/checker.js';
import { unrollLoops } from '../src/safety/unroll.js';
import { Rng } from '../src/common/rng.js';
import { bitset } from '../variants/safety-state/bitset.js';
import { resultCodes } from '../variants/errors/result-codes.js';
import { differences, fastChecker, rawInputs, rawProgram } from './verify-util.js';

const xdp = (text: string): Program => ({ name: 'loop', source: 'test', insns: assemble(text), maps: [], progType: 'xdp', license: 'GPL' });
const checkerFor = (p: Program) => createSafetyChecker(p, { state: bitset, errors: resultCodes(), allocation: 'pooled' });
const counted = (k: number): string => `r0 = 0\nr1 = 0\nr0 += r1\nr1 += 1\nif r1 < ${k} goto -3\nr0 = 2\nexit`;

function backEdges(insns: readonly Insn[]): number {
  let n = 0;
  insns.forEach((x, i) => {
    const s = specOf(x.op, x.src, x.off, x.imm);
    if ((s?.kind === 'jcond' || s?.kind === 'ja') && x.off < 0) n++;
  });
  return n;
}

test('unrolling: copies laid out in order, the last back edge to the trap, no back edge left', () => {
  const p = xdp(counted(3));
  const u = unrollLoops(p.insns, p.insns.length, 3, 1000);
  assert.ok(typeof u !== 'string');
  // 2 slots before, 3 copies of the 3-slot loop (each but the last followed by a jump out), 2 after, the trap.
  assert.equal(u.insns.length, 2 + 3 * 3 + 2 + 2 + 1);
  assert.equal(backEdges(u.insns), 0);
  assert.equal(u.trap, u.insns.length - 1);
  assert.deepEqual([...u.orig.slice(0, 6)], [0, 1, 2, 3, 4, -1]);
  const lastJump = u.insns[2 + 3 * 3 + 2 - 1]!; // the last copy's comparison
  assert.equal(2 + 3 * 3 + 2 - 1 + 1 + lastJump.off, u.trap);
});

test('unrolling: a loop laid out across another (continue-style) is taken in whole, too large is refused', () => {
  // Loop A = [1, 4] (back edges at 3 and 5 to 1… as clang lays out `continue`), loop B = [3, 6] overlaps it.
  const text = 'r1 = 0\nr1 += 1\nif r1 > 5 goto +5\nif r1 == 2 goto -3\nr2 = 0\nif r1 < 4 goto -5\nif r1 < 5 goto -4\nr0 = 2\nexit';
  const p = xdp(text);
  const u = unrollLoops(p.insns, p.insns.length, 4, 10_000);
  assert.ok(typeof u !== 'string', String(u));
  assert.equal(backEdges(u.insns), 0);
  assert.match(String(unrollLoops(p.insns, p.insns.length, 64, 100)), /more than 100 slots/);
});

test('the checker: a counted loop needs as many copies as it iterates; a loop that may not end is refused', () => {
  for (const [k, copies] of [[1, 2], [2, 2], [8, 8], [9, 32], [100, 128]] as const) {
    const c = checkerFor(xdp(counted(k)));
    assert.equal(c.check(xdp(counted(k)).insns), Violation.None, `${k} iterations`);
    assert.equal(c.loopCopies, copies, `${k} iterations`);
  }
  // Beyond the most copies we try (the kernel would accept it: we err on the safe side).
  assert.equal(checkerFor(xdp(counted(600))).check(xdp(counted(600)).insns), Violation.BackEdge);
  // A counter read from the packet's metadata: no known bound.
  const unknown = xdp('r1 = *(u32 *)(r1 + 0)\nr0 = 0\nr1 += -1\nif r1 != 0 goto -2\nr0 = 2\nexit');
  assert.equal(checkerFor(unknown).check(unknown.insns), Violation.BackEdge);
  // Without loops nothing is unrolled.
  const flat = xdp('r0 = 2\nexit');
  const c = checkerFor(flat);
  assert.equal(c.check(flat.insns), Violation.None);
  assert.equal(c.loopCopies, undefined);
});

test('the checker: a late iteration out of bounds is found; code only the decided edge skips is dead, not unreachable', () => {
  const walk = (k: number): Program => xdp(`r1 = 0\nr2 = r10\nr2 += -8\nr3 = 0\n*(u64 *)(r2 + 0) = r3\nr2 += -8\nr1 += 1\nif r1 < ${k} goto -5\nr0 = 2\nexit`);
  assert.equal(checkerFor(walk(64)).check(walk(64).insns), Violation.None);
  assert.equal(checkerFor(walk(65)).check(walk(65).insns), Violation.StackBounds);
  // `if r1 == 9` is never taken in the loop (r1 ≤ 3): the store to r10 + 8 behind it is never checked, as in the kernel.
  const dead = xdp('r1 = 0\nif r1 == 9 goto +4\nr1 += 1\nif r1 < 3 goto -3\nr0 = 2\nexit\nr2 = 0\n*(u64 *)(r10 + 8) = r2\nr0 = 1\nexit');
  assert.equal(checkerFor(dead).check(dead.insns), Violation.None);
  // A slot no edge reaches at all is still unreachable.
  const unreachable = xdp('r1 = 0\nr1 += 1\nif r1 < 3 goto -2\nr0 = 2\nexit\nr0 = 1\nexit');
  assert.equal(checkerFor(unreachable).check(unreachable.insns), Violation.Unreachable);
});

// Window proofs after a loop: r0 = 0 + 1 + 2 + 3, then the window [5, 6] adds 2.
const LOOP = 'r0 = 0\nr1 = 0\nr0 += r1\nr1 += 1\nif r1 < 4 goto -3\nr0 += 1\nr0 += 1\nexit';

async function windowVerdict(cand: string, loopCopies: number | undefined): Promise<{ verdict: string; reason: string }> {
  const p = rawProgram(assemble(LOOP));
  const c = await fastChecker(p);
  try {
    const r = c.check(assemble(cand), p.insns, { start: p.insns, s: 5, e: 6, ...(loopCopies !== undefined ? { loopCopies } : {}) });
    return { verdict: r.verdict, reason: c.last?.reason ?? '' };
  } finally { c.dispose(); }
}

test('window proofs after a loop: equal with the proven bound, refuted when wrong, unknown without the bound', async () => {
  const safety = checkerFor({ ...rawProgram(assemble(LOOP)), progType: 'xdp' });
  assert.equal(safety.check(assemble(LOOP)), Violation.None);
  const copies = safety.loopCopies;
  assert.equal(copies, 8);
  const same = LOOP.replace('r0 += 1\nr0 += 1', 'r0 += 2\ngoto +0');
  const wrong = LOOP.replace('r0 += 1\nr0 += 1', 'r0 += 3\ngoto +0');
  assert.equal((await windowVerdict(same, copies)).verdict, 'equal');
  const p = rawProgram(assemble(LOOP));
  const d = differences(p, p.insns, assemble(wrong), rawInputs(new Rng(1), 5));
  assert.ok(d.differ > 0, 'the wrong candidate differs in the interpreter');
  assert.equal((await windowVerdict(wrong, copies)).verdict, 'not-equal');
  const without = await windowVerdict(same, undefined);
  assert.equal(without.verdict, 'unknown');
  assert.match(without.reason, /no proven bound/);
});

test('window proofs after a loop: a window inside the loop stays unknown', async () => {
  const p = rawProgram(assemble(LOOP));
  const c = await fastChecker(p);
  try {
    const cand = assemble(LOOP.replace('r1 += 1', 'r1 += 2'));
    assert.equal(c.check(cand, p.insns, { start: p.insns, s: 3, e: 3, loopCopies: 8 }).verdict, 'unknown');
  } finally { c.dispose(); }
});
