/**
 * The hook between the search and a prover: when a candidate passes every test, the core asks an
 * EquivalenceChecker. A counterexample comes back as a concrete test input. Until the Z3 checker
 * exists, `testsOnly` answers "unknown": the core then treats the candidate as test-equivalent for
 * the chain's cost (so the search moves as K2's would) but marks it unverified, and `optimize`
 * never presents an unverified program as an optimized one.
 */
import type { Insn } from '../ebpf/insn.js';
import type { RunInput } from '../interp/machine.js';

export type Verdict = 'equal' | 'not-equal' | 'unknown' | 'unsafe';

export interface EquivalenceResult {
  verdict: Verdict;
  /** An input on which the programs differ (not-equal / unsafe), canonicalised by the checker. */
  counterexample?: RunInput;
  /** Solver time, for the RunReport. */
  ms: number;
  /** Answered from a cache. */
  cached: boolean;
}

export interface EquivalenceChecker {
  readonly name: string;
  /** True when "equal" is a proof (a solver), false for a stand-in. */
  readonly proves: boolean;
  check(candidate: readonly Insn[], original: readonly Insn[]): EquivalenceResult;
}

export const testsOnly: EquivalenceChecker = {
  name: 'tests-only',
  proves: false,
  check: () => ({ verdict: 'unknown', ms: 0, cached: false }),
};
