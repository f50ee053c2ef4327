/**
 * The search core: K2's sampling formulas, move probabilities measured over many draws, moves
 * confined to the window, the acceptance rule, each cost option, and determinism — the same seed
 * gives the same trajectory digest across repeated runs and across every variant implementation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { assembleConformance } from '../src/conformance/asm.js';
import type { Insn } from '../src/ebpf/insn.js';
import { loadProgram } from '../src/ebpf/load.js';
import type { Program } from '../src/ebpf/program.js';
import { newCounters, Evaluator, ERROR_COST_MAX } from '../src/search/cost.js';
import { testsOnly, type EquivalenceChecker } from '../src/search/equivalence.js';
import { Violation } from '../src/ebpf/violations.js';
import { acceptProbability, runSearch } from '../src/search/mcmc.js';
import { K2_DEFAULTS, withParams } from '../src/search/params.js';
import { buildPools, chooseMove, propose, type ProposalContext } from '../src/search/proposals.js';
import { Rng } from '../src/common/rng.js';
import { makePool, sampleExcluding, sampleInt, sampleIntExcept, samplePooled } from '../src/search/sampling.js';
import { sameSlots } from '../src/search/topk.js';
import { IMPLEMENTATIONS, SETS, resolveVariants } from '../variants/sets.js';
import { repoRoot, sharedAvailable, sharedDir } from './paths.js';

const suiteDir = join(sharedDir, 'k2-suite', 'programs');
const noSuite = sharedAvailable ? false : `K2 suite not found at ${suiteDir} (third-party data lives outside the repo)`;

test('sampling: closed ranges, exclusion of the old value, exclusion lists, pools', () => {
  const rng = new Rng(3);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) { const v = sampleInt(rng, -2, 2); assert.ok(v >= -2 && v <= 2); seen.add(v); }
  assert.equal(seen.size, 5);
  for (let i = 0; i < 500; i++) assert.notEqual(sampleIntExcept(rng, 0, 3, 2), 2);
  assert.equal(sampleIntExcept(rng, 4, 4, 4), 4, 'a one-value range accepts the old value');
  for (let i = 0; i < 500; i++) assert.ok(![0, 5, 6].includes(sampleExcluding(rng, 8, [0, 5, 6])));
  const pool = makePool([-100, 5, 200, 200, -11, 42]);
  assert.deepEqual(pool, { neg: [-100, -11], pos: [42, 200] });
  const vals = new Set<number>();
  for (let i = 0; i < 3000; i++) vals.add(samplePooled(rng, pool, 99999));
  assert.deepEqual([...vals].sort((a, b) => a - b), [-100, -11, ...Array.from({ length: 21 }, (_, j) => j - 10), 42, 200]);
});

test("move types follow K2's probabilities (thresholds on one uniform draw)", () => {
  const p = { pInstOperand: 0.33333333, pInst: 0.33333333, pInstAsNop: 0.15 };
  const rng = new Rng(11);
  const counts = { operand: 0, replace: 0, nop: 0, replace2: 0 };
  const N = 200_000;
  for (let i = 0; i < N; i++) counts[chooseMove(rng.float(), p)]++;
  const expect = { operand: 0.33333333, replace: 0.33333333, nop: 0.15, replace2: 1 - 0.81666666 };
  for (const k of Object.keys(expect) as (keyof typeof expect)[]) {
    assert.ok(Math.abs(counts[k] / N - expect[k]) < 0.005, `${k}: ${counts[k] / N} vs ${expect[k]}`);
  }
});

const small: Insn[] = assembleConformance(`
  mov %r0, 0
  ldxw %r2, [%r1+0]
  ldxw %r3, [%r1+4]
  mov %r4, %r2
  add %r4, 14
  jgt %r4, %r3, +2
  ldxb %r0, [%r2+12]
  add %r0, 1000
  exit`);
const smallProg: Program = { name: 'small', source: 'test', insns: small, maps: [], progType: 'xdp', maxPktSize: 32 };

test('every move changes slots only inside the window; NOP and replace moves', () => {
  const ctx: ProposalContext = { len: small.length, mapFds: [], isWin: true, ...buildPools(small, 2, 5, true) };
  const rng = new Rng(5);
  for (const move of ['operand', 'replace', 'nop', 'replace2'] as const) {
    let changed = 0;
    for (let i = 0; i < 3000; i++) {
      const cand = small.slice();
      propose(move, cand, 2, 5, ctx, rng);
      cand.forEach((x, j) => { if (j < 2 || j > 5) assert.equal(x, small[j], `${move} touched slot ${j}`); });
      if (!sameSlots(cand, small)) changed++;
    }
    assert.ok(changed > 1500, `${move} changed ${changed}/3000`);
  }
  // Window mode never introduces jumps or exit by replacement.
  for (let i = 0; i < 3000; i++) {
    const cand = small.slice();
    propose('replace', cand, 1, 4, ctx, rng);
    for (let j = 1; j <= 4; j++) assert.ok(![0x95, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x55, 0x5d, 0x65, 0x6d, 0x16, 0x1e, 0x56, 0x5e].includes(cand[j]!.op) || cand[j] === small[j] || cand[j]!.op === 0x05 && cand[j]!.off === 0);
  }
});

test('acceptance: always downhill, 2^-Δ uphill', () => {
  assert.equal(acceptProbability(-3), 1);
  assert.equal(acceptProbability(0), 1);
  assert.equal(acceptProbability(1), 0.5);
  assert.equal(acceptProbability(3.5), Math.pow(2, -3.5));
});

function evaluator(params: Partial<typeof K2_DEFAULTS>, checker: EquivalenceChecker = testsOnly): Evaluator {
  const p = withParams(K2_DEFAULTS, params);
  const v = resolveVariants('k2-baseline');
  const ev = new Evaluator(smallProg, p, v, { check: () => Violation.None }, checker, newCounters());
  for (let t = 0; t < 4; t++) ev.addTest({ packet: new Uint8Array(32).map((_, j) => (j * 7 + t * 13) & 0xff) });
  return ev;
}

test('cost: st_ex 0 (absolute) and 1 (popcount), st_eq EQ1/EQ2, st_avg, perf cost, unsafe', () => {
  // Candidate: add 1001 instead of 1000 → r0 off by exactly 1 on every test.
  const off1 = small.map((x, i) => (i === 7 ? { ...x, imm: 1001 } : x));
  assert.equal(evaluator({}).evaluate(off1).error, 4); // EQ1: (E + S) / 1 with E = 4, S = 0
  assert.equal(evaluator({ st_avg: 1 }).evaluate(off1).error, 1);
  assert.equal(evaluator({ st_eq: 1 }).evaluate(off1).error, 1 + (4 + 4 - 0));
  // r0 = 1003 instead of 1000: |Δ| = 3, popcount(1000 ^ 1003) = 2, on each of the 4 tests.
  const konst = small.map((x, i) => (i === 6 ? { op: 0xb7, dst: 0, src: 0, off: 0, imm: 3 } : x));
  const konstProg = { ...smallProg, insns: small.map((x, i) => (i === 6 ? { op: 0xb7, dst: 0, src: 0, off: 0, imm: 0 } : x)) };
  const ev3 = (params: Partial<typeof K2_DEFAULTS>): Evaluator => {
    const e = new Evaluator(konstProg, withParams(K2_DEFAULTS, params), resolveVariants('k2-baseline'), { check: () => Violation.None }, testsOnly, newCounters());
    for (let t = 0; t < 4; t++) e.addTest({ packet: new Uint8Array(32).fill(t) });
    return e;
  };
  assert.equal(ev3({ st_ex: 1 }).evaluate(konst).error, 8);
  assert.equal(ev3({ st_ex: 0 }).evaluate(konst).error, 12);
  const same = evaluator({}).evaluate(small);
  assert.deepEqual([same.error, same.perf], [0, 9]);
  const nopped = small.map((x, i) => (i === 0 ? { op: 0x05, dst: 0, src: 0, off: 0, imm: 0 } : x));
  assert.equal(evaluator({}).evaluate(nopped).perf, 8);
  assert.equal(evaluator({ st_perf: 1 }).evaluate(small).perf, 8, 'runtime table: EXIT costs 0');
  const refuting: EquivalenceChecker = { name: 'no', proves: true, check: () => ({ verdict: 'not-equal', ms: 0, cached: false }) };
  assert.equal(evaluator({}, refuting).evaluate(small).error, 4, 'EQ1 with all tests passing but proved unequal: N/A');
  const unknown: EquivalenceChecker = { name: 'unknown', proves: true, check: () => ({ verdict: 'unknown', ms: 0, cached: false }) };
  assert.equal(evaluator({}, unknown).evaluate(small).error, ERROR_COST_MAX);
  const ev = new Evaluator(smallProg, K2_DEFAULTS, resolveVariants('k2-baseline'), { check: () => Violation.UnreadableRegister }, testsOnly, newCounters());
  assert.equal(ev.evaluate(small).error, ERROR_COST_MAX);
});

test('a counterexample from the checker becomes a new test', () => {
  const cex: EquivalenceChecker = { name: 'cex', proves: true, check: () => ({ verdict: 'not-equal', ms: 0, cached: false, counterexample: { packet: new Uint8Array(32).fill(9) } }) };
  const ev = evaluator({}, cex);
  ev.evaluate(small);
  assert.equal(ev.tests.length, 5);
  assert.equal(ev.counters.counterexamples, 1);
});

test('determinism: same seed, same digest — across runs and every variant set', { skip: noSuite }, () => {
  const prog = loadProgram(join(suiteDir, 'xdp_exception'));
  const params = withParams(K2_DEFAULTS, { n: 1500, w_e: 0.5, w_p: 1.5, p_inst_operand: 0.4, p_inst: 0.4, p_inst_as_nop: 0.15, reset_win_niter: 500, win_s_list: [12, 1], win_e_list: [14, 6], is_win: true, st_avg: 1 });
  const digests = new Map<string, string>();
  for (const name of Object.keys(SETS)) {
    const r = runSearch(prog, params, { seed: 42, variants: resolveVariants(name), checker: testsOnly });
    digests.set(name, r.trajectoryDigest);
  }
  const again = runSearch(prog, params, { seed: 42, variants: resolveVariants('k2-baseline'), checker: testsOnly });
  assert.equal(again.trajectoryDigest, digests.get('k2-baseline'));
  assert.equal(new Set(digests.values()).size, 1, JSON.stringify(Object.fromEntries(digests)));
  const other = runSearch(prog, params, { seed: 43, variants: resolveVariants('k2-baseline'), checker: testsOnly });
  assert.notEqual(other.trajectoryDigest, again.trajectoryDigest, 'a different seed gives a different trajectory');
  // Every implementation of every axis was exercised by some set.
  for (const [axis, impls] of Object.entries(IMPLEMENTATIONS)) {
    for (const impl of Object.keys(impls)) assert.ok(Object.values(SETS).some((s) => s[axis as keyof typeof s] === impl), `${axis}=${impl} in no set`);
  }
});

test('determinism: every variant set gives the same digest and best program on the built-in fast benchmarks', async () => {
  const { readFileSync } = await import('node:fs');
  const dir = join(repoRoot, 'suites', 'builtin');
  const manifest = JSON.parse(readFileSync(join(dir, 'suite.json'), 'utf8')) as { benchmarks: { name: string; fast_mode?: boolean; k2_params: Record<string, unknown> }[] };
  const fast = manifest.benchmarks.filter((b) => b.fast_mode);
  assert.ok(fast.length >= 3);
  for (const b of fast) {
    const prog = loadProgram(join(dir, 'programs', b.name));
    const params = withParams(K2_DEFAULTS, { ...b.k2_params, n: 1200 });
    const runs = Object.keys(SETS).map((name) => {
      const r = runSearch(prog, params, { seed: 3, variants: resolveVariants(name), checker: testsOnly });
      return { name, digest: r.trajectoryDigest, best: JSON.stringify(r.best.insns), counts: JSON.stringify(r.counters) };
    });
    for (const r of runs) assert.deepEqual([r.digest, r.best, r.counts], [runs[0]!.digest, runs[0]!.best, runs[0]!.counts], `${b.name}: ${r.name} differs from ${runs[0]!.name}`);
  }
});

test('every K2 suite program: 5,000 iterations with its k2_params run without error', { skip: noSuite }, async () => {
  const { readFileSync } = await import('node:fs');
  const manifest = JSON.parse(readFileSync(join(sharedDir, 'k2-suite', 'suite.json'), 'utf8')) as { benchmarks: { name: string; k2_params: Record<string, unknown> }[] };
  assert.equal(manifest.benchmarks.length, 11);
  for (const b of manifest.benchmarks) {
    const prog = loadProgram(join(suiteDir, b.name));
    const params = withParams(K2_DEFAULTS, { ...b.k2_params, n: 5000 });
    const r = runSearch(prog, params, { seed: 1, variants: resolveVariants('optimized'), checker: testsOnly });
    assert.equal(r.iterations, 5000, b.name);
    assert.ok(r.best.perf <= r.originalPerf);
    assert.ok(r.counters.interpreterRuns > 0, `${b.name}: no candidate reached the interpreter`);
  }
});
