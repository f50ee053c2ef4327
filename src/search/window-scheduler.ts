/**
 * The window scheduler (issue #18): instead of K2's fixed window list cycled every reset_win_niter
 * iterations, a bandit picks which window gets the next block of iterations. The arms are windows of
 * several sizes over every eligible run of the program (src/analysis: never across a block boundary,
 * jump, call, exit, LDDW or LD_ABS/LD_IND); an arm's reward is the instructions (perf cost) the best
 * program lost during its block, discounted so that recent gain counts most. Choices depend only on
 * counts, rewards and the seeded Rng (ties), never on wall time: an -n run is reproducible.
 */
import type { Insn } from '../ebpf/insn.js';
import { specOf } from '../ebpf/opcodes.js';
import type { Program } from '../ebpf/program.js';
import { eligibleRuns } from '../analysis/windows.js';
import type { Rng } from '../common/rng.js';

/** Window sizes tried, in the order unexplored windows are first visited (K2's suite uses 2–9 slots). */
export const WINDOW_SIZES = [4, 3, 6, 8, 2] as const;
const MIN_SIZE = Math.min(...WINDOW_SIZES);
/**
 * Iterations per scheduling block. Measured: 1,000-iteration first visits (a quicker first sweep) lost
 * xdp_fw's best (69 and 69 against 66 and 68 at 250,000 iterations, seeds 1 and 2).
 */
export const BLOCK_ITERATIONS = 2500;
/** Weight of the newest block's gain in an arm's running reward. */
const RECENT = 0.5;
/** Exploration weight of UCB1's bonus, in instructions. */
const EXPLORE = 0.5;

export type Window = readonly [number, number];

/** What a block may vary besides its window: the performance weight and the move probabilities. */
export interface BlockSetting { w_p: number; p_inst_operand: number; p_inst: number; p_inst_as_nop: number }

/**
 * The settings K2's own suite chose most often (suite.json k2_params), alternated per window visit
 * (and per chain, by seed parity) so that no program needs them chosen by hand.
 */
export const PORTFOLIO: readonly BlockSetting[] = [
  { w_p: 5, p_inst_operand: 0.33333333, p_inst: 0.33333333, p_inst_as_nop: 0.15 },
  { w_p: 1.5, p_inst_operand: 0.4, p_inst: 0.4, p_inst_as_nop: 0.15 },
];

const isPacketLoad = (ins: Insn): boolean => {
  const k = specOf(ins.op, ins.src, ins.off, ins.imm)?.kind;
  return k === 'ldabs' || k === 'ldind';
};

/**
 * The scheduler's windows: per eligible run, windows of each size in WINDOW_SIZES that fits (a run
 * shorter than the smallest size is one window), starting every half window and one ending at the
 * run's end, so every eligible slot is covered at every size; ordered by size rank, then slot.
 */
export function scheduledWindows(program: Program): Window[] {
  const out: Window[] = [];
  const seen = new Set<string>();
  const add = (s: number, e: number): void => {
    const key = `${s}:${e}`;
    if (!seen.has(key)) { seen.add(key); out.push([s, e]); }
  };
  const runs = eligibleRuns(program, isPacketLoad);
  for (const k of WINDOW_SIZES) {
    for (const [first, last] of runs) {
      const len = last - first + 1;
      if (len < k) { if (len < MIN_SIZE) add(first, last); continue; }
      const stride = Math.max(1, k >> 1);
      for (let s = first; s + k - 1 <= last; s += stride) add(s, s + k - 1);
      add(last - k + 1, last);
    }
  }
  return out;
}

/**
 * UCB1 over windows with a discounted reward. `next(gain)` reports the gain of the block just run
 * on the arm it returned last (ignored on the first call) and returns the arm for the next block.
 */
export class WindowScheduler {
  private readonly pulls: number[];
  private readonly reward: number[];
  private total = 0;
  private last = -1;

  constructor(readonly windows: readonly Window[], private readonly rng: Rng) {
    if (windows.length === 0) throw new Error('the window scheduler needs at least one window');
    this.pulls = new Array<number>(windows.length).fill(0);
    this.reward = new Array<number>(windows.length).fill(0);
  }

  next(gain: number): number {
    if (this.last >= 0) {
      const a = this.last;
      this.reward[a] = this.pulls[a] === 1 ? gain : (1 - RECENT) * this.reward[a]! + RECENT * gain;
    }
    // Every window once, in order (sizes by rank); a window that just gained goes again first.
    let pick = -1;
    if (this.last >= 0 && gain > 0) pick = this.last;
    else pick = this.pulls.indexOf(0);
    if (pick < 0) {
      let best = -Infinity, ties = 0;
      const logT = Math.log(this.total);
      for (let a = 0; a < this.windows.length; a++) {
        const score = this.reward[a]! + EXPLORE * Math.sqrt((2 * logT) / this.pulls[a]!);
        if (score > best + 1e-12) { best = score; pick = a; ties = 1; } else if (Math.abs(score - best) <= 1e-12 && this.rng.int(++ties) === 0) pick = a;
      }
    }
    this.pulls[pick]!++;
    this.total++;
    this.last = pick;
    return pick;
  }

  /** The setting for a block on `arm` (its visits so far, offset by the seed's parity). */
  setting(arm: number, seed: number): BlockSetting {
    return PORTFOLIO[(this.pulls[arm]! + seed) % PORTFOLIO.length]!;
  }

  /** Blocks each window got (for the RunReport and tests). */
  counts(): readonly number[] {
    return this.pulls;
  }
}
