/**
 * The soundness harness on a small budget: seeded mutants of two K2 programs; every mutant Z3 calls
 * equal agrees with its original in the interpreter (and in the kernel where it runs), and our
 * safety checker accepts no mutant the kernel rejects. A checker that calls everything equal is
 * caught, so the harness itself can fail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Program } from '../src/ebpf/program.js';
import { loadCorpus } from '../src/soundness/corpus.js';
import { mutate, mutateOnce, MUTATION_KINDS } from '../src/soundness/mutate.js';
import { runHarness } from '../src/soundness/harness.js';
import { kernelVerdict } from '../src/soundness/agree.js';
import { kernelUnavailableReason } from '../src/kernel/index.js';
import { assemble } from '../src/ebpf/asm.js';
import { mergeReports, shardOf } from '../src/soundness/merge.js';
import { Rng } from '../src/common/rng.js';
import type { Z3Checker } from '../src/verify/checker.js';
import { fastChecker } from './verify-util.js';
import { sharedAvailable, sharedDir } from './paths.js';

const suite = join(sharedDir, 'k2-suite', 'programs');
const skip = sharedAvailable ? false : `K2 suite not found at ${suite} (third-party data lives outside the repo)`;
const small = (): Program[] => loadCorpus([join(suite, 'xdp_map_access.insns'), join(suite, 'xdp_pktcntr.insns')]).programs;

test('mutations: every kind applies to a real program, is seeded, and changes it', { skip }, () => {
  const [p] = small();
  for (const kind of MUTATION_KINDS) {
    const a = mutateOnce(new Rng(3), p!.insns, kind), b = mutateOnce(new Rng(3), p!.insns, kind);
    assert.ok(a, kind);
    assert.deepEqual(a, b, `${kind} is deterministic`);
    assert.notDeepEqual(a!.insns, p!.insns, `${kind} changes the program`);
  }
  assert.ok(mutate(new Rng(1), p!.insns));
});

test('harness (small budget): 0 disagreements, and no mutant our safety checker accepts is rejected by the kernel', { skip }, async () => {
  const r = await runHarness(small(), [], { mutants: 60, seed: 1, inputs: 1000, kernelInputs: 100, kernelVerdicts: true, checkerFor: (p) => fastChecker(p, true) });
  assert.equal(r.programs, 2, JSON.stringify(r.skipped));
  assert.ok(r.verdicts.equal > 0, `some mutants are proved equal: ${JSON.stringify(r.verdicts)}`);
  assert.equal(r.disagreements, 0, JSON.stringify(r.failures, null, 1));
  assert.deepEqual(r.safetyAcceptedKernelRejected, []);
});

test('harness: a checker that calls every mutant equal is caught with a reproducer', { skip }, async () => {
  const liar = async (p: Program): Promise<Z3Checker> => {
    const real = await fastChecker(p);
    return { ...real, check: () => ({ verdict: 'equal', ms: 0, cached: false }), dispose: () => real.dispose() } as unknown as Z3Checker;
  };
  const r = await runHarness(small(), [], { mutants: 30, seed: 2, inputs: 200, kernelInputs: 0, kernelVerdicts: false, checkerFor: liar });
  assert.ok(r.disagreements > 0, JSON.stringify(r.verdicts));
  const f = r.failures[0]!;
  assert.ok(f.original.length > 0 && f.mutant.length > 0 && f.disagreement.inputHex.length > 0, 'the reproducer has both programs and the input');
});

const counts = (r: Awaited<ReturnType<typeof runHarness>>): unknown => ({ ...r, ms: 0, phaseMs: {} });

test('harness: the same seed gives the same report (every count, verdict and failure)', { skip }, async () => {
  const run = (): ReturnType<typeof runHarness> => runHarness(small(), [], { mutants: 40, seed: 5, inputs: 200, kernelInputs: 20, kernelVerdicts: true, checkerFor: (p) => fastChecker(p, true) });
  const a = await run(), b = await run();
  assert.ok(a.verdicts.equal > 0, JSON.stringify(a.verdicts));
  assert.deepEqual(counts(a), counts(b));
});

test('--jobs sharding: program i goes to shard i mod N, the mutants are split, and merged reports add up', { skip }, async () => {
  const ps = small();
  const shards = [0, 1].map((i) => shardOf(ps, 41, i, 2));
  assert.deepEqual(shards.map((s) => s.programs.map((p) => p.name)), [[ps[0]!.name], [ps[1]!.name]]);
  assert.deepEqual(shards.map((s) => s.mutants), [21, 20]);
  const opts = { seed: 4, inputs: 200, kernelInputs: 0, kernelVerdicts: false, checkerFor: (p: Program) => fastChecker(p, true) };
  const parts = [];
  for (const s of shards) parts.push(await runHarness(s.programs, [], { ...opts, mutants: s.mutants }));
  const merged = mergeReports(parts);
  assert.equal(merged.mutants, 41);
  assert.equal(merged.programs, 2);
  assert.equal(merged.verdicts.equal, parts[0]!.verdicts.equal + parts[1]!.verdicts.equal);
  assert.equal(merged.disagreements, 0);
});

test('harness: no verifier verdicts are compared for an original the kernel refuses (a GPL-only helper without a GPL licence)', { skip: kernelUnavailableReason() }, async () => {
  // The kernel refuses trace_printk (gpl_only) for a non-GPL program; our checker does not model licences, so every
  // mutant it accepts would count as "safety accepted, kernel rejected" though nothing about the code differs.
  const p: Program = {
    name: 'printk-mit', source: 'test', maps: [], progType: 'xdp', license: 'MIT',
    insns: assemble('r1 = 0\n*(u64 *)(r10 - 8) = r1\nr1 = r10\nr1 += -8\nr2 = 8\ncall 6\nr0 = 2\nexit'),
  };
  assert.ok('accepted' in kernelVerdict(p) && !(kernelVerdict(p) as { accepted: boolean }).accepted, 'the kernel refuses the original');
  const r = await runHarness([p], [], { mutants: 40, seed: 3, inputs: 100, kernelInputs: 0, kernelVerdicts: true, checkerFor: (q) => fastChecker(q, true) });
  assert.equal(r.programs, 1);
  assert.equal(r.kernelVerdictsCompared, 0);
  assert.deepEqual(r.safetyAcceptedKernelRejected, []);
  assert.ok(Object.keys(r.kernelSkipped).some((k) => /the kernel rejects the original/.test(k)), JSON.stringify(r.kernelSkipped));
});
