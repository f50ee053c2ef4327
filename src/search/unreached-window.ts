/**
 * A window that none of the whole-program tests reaches (window mode without window tests, e.g. the
 * tests-only checker behind a map hit): every candidate that is `start` outside the window runs each
 * test exactly as `start` does — it never executes a window slot — so the tests' tallies are the
 * same for all of them, and one run of the tests stands for all (window work per candidate, not a
 * run of the whole program per test). Valid while the test list is the one it was made with.
 */
import { keepsStartOutside, type Insn } from '../ebpf/insn.js';

export class UnreachedWindow {
  /** The tests' tallies once one candidate has run them (passed < 0: not yet). */
  passed = -1;
  sum = 0;

  constructor(readonly start: readonly Insn[], readonly s: number, readonly e: number, readonly testCount: number) {}

  /**
   * Whether `insns` runs every test as `start` does: `start`'s instruction objects outside [s, e]
   * (candidates share them), 64-bit loads in the same window slots (the same second halves), and a
   * second half at s (its load at s − 1 runs before the window) as in `start`.
   */
  covers(insns: readonly Insn[], testCount: number): boolean {
    return testCount === this.testCount && keepsStartOutside(insns, this.start, this.s, this.e);
  }
}
