/**
 * soundness — the check that a proof is a proof: seeded mutants of real programs go through the
 * search's safety check, tests and Z3 proof, and every mutant called equal must agree with its
 * original in the interpreter and (where it can be test-run) in the kernel.
 * May import: ebpf, common, interp, analysis, safety, kernel, search, verify, variants.
 */
export { runHarness, type HarnessOptions, type HarnessReport } from './harness.js';
export { loadCorpus, type Corpus } from './corpus.js';
export { mutate, MUTATION_KINDS, type Mutant } from './mutate.js';
