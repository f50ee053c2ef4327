/**
 * The z3 axis: every implementation (fresh-solver, reused-solver, native-process when the z3 binary
 * exists) gives identical verdicts and identical canonical counterexamples on a recorded set of
 * queries (and the one-shot whole-program proof agrees with them); an optimize run with the Z3 checker is deterministic, with the cache on or off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Insn } from '../src/ebpf/insn.js';
import { loadProgram } from '../src/ebpf/load.js';
import { runSearch } from '../src/search/mcmc.js';
import { withParams, K2_DEFAULTS } from '../src/search/params.js';
import { Rng } from '../src/common/rng.js';
import { createZ3Checker } from '../src/verify/checker.js';
import { resolveVariants } from '../variants/sets.js';
import { createZ3Impl } from '../variants/z3/index.js';
import { sharedAvailable, sharedDir } from './paths.js';
import { hasNative, mutate, randomProgram, rawProgram } from './verify-util.js';
import { inputToJson } from '../src/cli/verify.js';

const suiteDir = join(sharedDir, 'k2-suite', 'programs');
const noSuite = sharedAvailable ? false : `K2 suite not found at ${suiteDir} (third-party data lives outside the repo)`;
const IMPLS = ['fresh-solver', 'reused-solver', ...(hasNative ? ['native-process'] as const : [])] as const;

test(`every z3 implementation gives the same verdicts and counterexamples (${IMPLS.join(', ')}${hasNative ? '' : '; native z3 not installed: skipped'})`, async () => {
  const rng = new Rng(99);
  const queries: { prog: Insn[]; cand: Insn[] }[] = [];
  for (let k = 0; k < 8; k++) {
    const a = randomProgram(rng, 10);
    const slots = a.map((_, i) => i).filter((i) => i > 0 && a[i]!.op !== 0x95);
    queries.push({ prog: a, cand: mutate(rng, a, slots) }, { prog: a, cand: mutate(rng, a, slots) });
  }
  const answers: string[][] = [];
  for (const impl of IMPLS) {
    const z = await createZ3Impl(impl);
    answers.push(queries.map((q) => {
      const c = createZ3Checker(rawProgram(q.prog), { impl: z, cache: false });
      const r = c.check(q.cand, q.prog);
      // The one-shot (non-incremental) proof agrees with the query: proved exactly when equal.
      assert.equal(c.provedEqual(q.cand, q.prog), r.verdict === 'equal', `${impl}: provedEqual vs check (${r.verdict})`);
      return JSON.stringify({ v: r.verdict, cx: r.counterexample ? inputToJson(r.counterexample) : null });
    }));
    z.dispose();
  }
  for (let k = 1; k < answers.length; k++) assert.deepEqual(answers[k], answers[0], `${IMPLS[k]} vs ${IMPLS[0]}`);
  assert.ok(answers[0]!.some((a) => a.includes('"not-equal"')), 'the recorded set has refutations');
  assert.ok(answers[0]!.some((a) => a.includes('"v":"equal"')), 'the recorded set has proofs');
});

test('optimize with the Z3 checker is deterministic: same digest twice, cache on/off, across implementations', { skip: noSuite }, async () => {
  const p = loadProgram(join(suiteDir, 'xdp_exception'));
  const params = withParams(K2_DEFAULTS, { n: 1500, w_e: 0.5, w_p: 1.5, p_inst_operand: 0.4, p_inst: 0.4, p_inst_as_nop: 0.15, reset_win_niter: 500, win_s_list: [12], win_e_list: [14], is_win: true });
  const digests: string[] = [];
  const runs: [string, boolean][] = [['reused-solver', true], ['reused-solver', true], ['reused-solver', false], ...(hasNative ? [['native-process', true] as [string, boolean]] : [])];
  for (const [impl, cache] of runs) {
    const z = await createZ3Impl(impl as 'reused-solver');
    const checker = createZ3Checker(p, { impl: z, cache });
    const r = runSearch(p, params, { seed: 3, variants: resolveVariants('k2-baseline'), checker });
    digests.push(r.trajectoryDigest);
    assert.ok(checker.stats.queries + checker.stats.cacheHits > 0, 'the checker was asked');
    assert.equal(checker.stats.encodingMismatches, 0);
    z.dispose();
  }
  assert.equal(new Set(digests).size, 1, `digests: ${digests.join(' ')}`);
});
