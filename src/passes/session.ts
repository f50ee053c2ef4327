/**
 * The passes as an optimize run calls them: a window prover on the given Z3 implementation (no
 * cache: each proposal is asked once) and the variant set's safety checker around runPasses.
 */
import type { Insn } from '../ebpf/insn.js';
import type { Program } from '../ebpf/program.js';
import { createSafetyChecker } from '../safety/checker.js';
import type { VariantSet } from '../search/variants.js';
import { createZ3Checker, type Z3Impl } from '../verify/checker.js';
import { runPasses, type PassesOutcome } from './run.js';

/** A pass proposal is a small window: a tenth of a search query's default resource limit is plenty. */
export const PASS_RLIMIT = 2_000_000;

export interface PassesRequest {
  passes: readonly string[];
  impl: Z3Impl;
  variants: Pick<VariantSet, 'safetyState' | 'errors'>;
  rlimit?: number;
  deadlineAt?: number;
}

export function passesWithZ3(program: Program, r: PassesRequest): PassesOutcome {
  const checker = createZ3Checker(program, { impl: r.impl, cache: false, rlimit: r.rlimit ?? PASS_RLIMIT });
  const safety = createSafetyChecker(program, { state: r.variants.safetyState, errors: r.variants.errors, allocation: 'fresh' });
  const safe = (insns: readonly Insn[]): boolean => {
    try { return safety.check(insns) === 0; } catch { return false; }
  };
  try {
    return runPasses(program, { passes: r.passes, checker, safe, loopCopies: () => safety.loopCopies, ...(r.deadlineAt !== undefined ? { deadlineAt: r.deadlineAt } : {}) });
  } finally {
    checker.dispose();
  }
}
