/**
 * Determinism across the z3 axis with the real checker (not the tests-only stand-in), on built-in
 * programs so it never skips: every variant set runs window-mode search with its own z3
 * implementation (fresh-solver, reused-solver, native-process when the binary exists, cache on/off)
 * and gets the same trajectory digest (one set per distinct z3 choice), with Z3 both proving and refuting candidates on the way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadProgram } from '../src/ebpf/load.js';
import { runSearch } from '../src/search/mcmc.js';
import { K2_DEFAULTS, withParams } from '../src/search/params.js';
import { SETS, resolveVariants } from '../variants/sets.js';
import { createChecker, nativeAvailable } from '../variants/z3/index.js';
import { repoRoot } from './paths.js';

const suite = join(repoRoot, 'suites', 'builtin');
const manifest = JSON.parse(readFileSync(join(suite, 'suite.json'), 'utf8')) as { benchmarks: { name: string; k2_params: Record<string, unknown> }[] };
const BENCH = 'xdp_ctl_counter';

test(`window-mode search with each set's own Z3 checker gives one digest on ${BENCH}${nativeAvailable() ? '' : ' (no z3 binary: native-process sets fall back as the sets define)'}`, async () => {
  const b = manifest.benchmarks.find((x) => x.name === BENCH)!;
  const prog = loadProgram(join(suite, 'programs', b.name));
  const params = withParams(K2_DEFAULTS, { ...b.k2_params, n: 1500 });
  const digests = new Map<string, string>();
  const impls = new Set<string>();
  let queries = 0, refutations = 0;
  // One set per distinct z3 choice: the other axes' determinism is search.test.ts's job.
  const byZ3 = new Map(Object.keys(SETS).map((name) => [resolveVariants(name).z3.name, name] as const));
  for (const name of byZ3.values()) {
    const variants = resolveVariants(name);
    const checker = await createChecker(prog, variants.z3);
    try {
      const r = runSearch(prog, params, { seed: 5, variants, checker });
      digests.set(name, r.trajectoryDigest);
      impls.add(variants.z3.name);
      queries += r.counters.z3Queries;
      refutations += r.counters.counterexamples;
      assert.equal(checker.stats.encodingMismatches, 0, `${name}: encoding mismatches`);
    } finally { checker.dispose(); }
  }
  assert.ok(impls.size >= 3, `the sets cover several z3 implementations: ${[...impls].join(', ')}`);
  assert.ok(queries > 0, 'Z3 was asked');
  assert.ok(refutations > 0, 'Z3 refuted candidates (counterexamples became tests)');
  assert.equal(new Set(digests.values()).size, 1, JSON.stringify(Object.fromEntries(digests)));
});
