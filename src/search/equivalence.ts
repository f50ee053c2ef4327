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

/**
 * Window mode (K2's --is_win): the candidate differs from `start` (the chain's start program, itself
 * proved equal to the original) only in slots s…e, so equivalence of the window — same live-out
 * state from every state the start program's static analysis allows at s — implies whole-program
 * equivalence. A refutation is then a machine state at slot s, not a program input.
 */
export interface WindowQuery {
  start: readonly Insn[]; s: number; e: number;
  /**
   * With loops before the window: the copies of each loop the safety checker proved enough for the
   * candidate (its `loopCopies`; the prefix is `start`'s, so the bound holds there). Without it such a
   * window query is unknown: the prefix is encoded unrolled, and only a proven bound makes that exact.
   */
  loopCopies?: number;
}

/**
 * A window counterexample: the machine state at slot s that tells the windows apart, as a patch on
 * a concrete state (values the model leaves free keep the base's). Offsets: stack bytes from the
 * frame bottom (r10 − 512 is 0), packet bytes from data, context bytes from the context start.
 */
export interface WindowState {
  regs: (bigint | undefined)[];
  stack: [number, number][];
  packet: [number, number][];
  /** Packet length (data_end − data) when the model fixes it. */
  packetLength?: number;
  ctx: [number, number][];
  /** Value bytes of the first value slot of a map (map index, byte offset, byte). */
  mapValues: [number, number, number][];
}

export interface EquivalenceResult {
  verdict: Verdict;
  /** An input on which the programs differ (not-equal / unsafe), canonicalised by the checker. */
  counterexample?: RunInput;
  /** Window queries: the state at slot s on which the windows differ (not-equal / unsafe). */
  windowCounterexample?: WindowState;
  /** Solver time, for the RunReport. */
  ms: number;
  /** Answered from a cache. */
  cached: boolean;
}

export interface EquivalenceChecker {
  readonly name: string;
  /** True when "equal" is a proof (a solver), false for a stand-in. */
  readonly proves: boolean;
  /** True when `check` understands a WindowQuery (otherwise it always proves the whole program). */
  readonly windows?: boolean;
  check(candidate: readonly Insn[], original: readonly Insn[], window?: WindowQuery): EquivalenceResult;
  /**
   * A canonical program input on which `start` reaches slots s…e (a solver can find one where
   * random inputs never get, e.g. behind a map hit); undefined when none or unknown.
   */
  reach?(start: readonly Insn[], s: number, e: number): RunInput | undefined;
}

export const testsOnly: EquivalenceChecker = {
  name: 'tests-only',
  proves: false,
  check: () => ({ verdict: 'unknown', ms: 0, cached: false }),
};

/** A window query, with the loop bound the safety check of the candidate proved (when it has loops). */
export function windowQuery(start: readonly Insn[], s: number, e: number, loopCopies: number | undefined): WindowQuery {
  return loopCopies === undefined ? { start, s, e } : { start, s, e, loopCopies };
}
