/**
 * The MCMC core (k2-spec.md §8): windows switched every reset_win_niter iterations (the chain
 * restarts from the best program), optional restarts with weight lists, K2's proposals, costs, and
 * Metropolis–Hastings acceptance with probability min(1, 2^-Δ) — the uniform drawn before α. Every
 * random choice comes from seeded streams; the trajectory digest records every iteration.
 */
import type { Insn } from '../ebpf/insn.js';
import type { Program } from '../ebpf/program.js';
import { autoWindows } from '../analysis/windows.js';
import { specOf } from '../ebpf/opcodes.js';
import { createSafetyChecker } from '../safety/checker.js';
import { Evaluator, newCounters, type CostParts, type Counters } from './cost.js';
import { TrajectoryDigest } from './digest.js';
import type { EquivalenceChecker } from './equivalence.js';
import { generateInputs } from './inputs.js';
import { checkWindows, type K2Params } from './params.js';
import { buildPools, chooseMove, propose, resampleContiguous, type ProposalContext } from './proposals.js';
import { Rng } from '../common/rng.js';
import { sampleInt } from './sampling.js';
import { TopK, sameSlots, type Ranked } from './topk.js';
import type { VariantSet } from './variants.js';
import { BLOCK_ITERATIONS, WindowScheduler, scheduledWindows } from './window-scheduler.js';

export interface SearchOptions {
  seed: number;
  variants: VariantSet;
  checker: EquivalenceChecker;
  /** Stop after this many ms even if -n iterations are not done (K2 has no such flag); checked every iteration. */
  timeLimitMs?: number;
  /** Stops the search when element 0 becomes non-zero (set by another thread on Ctrl-C). */
  stop?: Int32Array;
  /** Called about every `progressEvery` iterations. */
  onProgress?: (p: Progress) => void;
  progressEvery?: number;
  /** A program proved equal to `program` (e.g. with stored rules applied) to start from; default `program`. */
  start?: readonly Insn[];
  /** Called with each window rewrite the prover proves that improves the best program (the rule database learns from these). */
  onProvedRewrite?: (r: ProvedRewrite) => void;
  /** At each window switch: a proved-equal rewrite of `cur` in slots s…e (e.g. stored rules), or undefined. */
  rewriteWindow?: (cur: readonly Insn[], s: number, e: number) => Insn[] | undefined;
  /**
   * `k2` (default): K2's window list (or automatic windows) cycled every reset_win_niter iterations;
   * `scheduled`: the window scheduler picks a window per block of iterations by recent gain.
   */
  windows?: 'scheduled' | 'k2';
  /** With `scheduled`: vary w_p and the move probabilities per window visit (window-scheduler PORTFOLIO). */
  portfolio?: boolean;
}

/** A proved window rewrite: `rewritten` equals `start` outside slots s…e and was proved equal to it there. */
export interface ProvedRewrite {
  start: readonly Insn[];
  s: number;
  e: number;
  rewritten: readonly Insn[];
  /** Search time before the proof: since the search started, and in this window. */
  ms: number;
  msInWindow: number;
}

export interface Progress { iteration: number; total: number; elapsedMs: number; bestPerf: number; currentCost: number }

export interface BestProgram {
  insns: Insn[];
  perf: number;
  /** True when "equal" came from a prover (or it is the original); false when only the tests agree. */
  verified: boolean;
  iteration: number;
  ms: number;
}

export interface SearchResult {
  iterations: number;
  wallMs: number;
  counters: Counters;
  originalPerf: number;
  best: BestProgram;
  topK: Ranked[];
  trajectoryDigest: string;
  windowSwitches: number;
  acceptances: number;
  tests: number;
}

/** Independent streams per purpose, as K2 keeps one engine per purpose. */
export const STREAM = { proposals: 1, mh: 2, inputs: 3, windowInputs: 4, scheduler: 5 } as const;
export function stream(seed: number, which: number): Rng {
  return new Rng(((seed >>> 0) ^ Math.imul(0x9e3779b9, which + 1)) >>> 0);
}

/**
 * The windows the chain cycles through: the given lists, else K2's automatic windows (k2-spec.md
 * §11; K2 applies them with or without --is_win), else — no eligible run — the whole program.
 */
export function searchWindows(program: Program, params: K2Params): (readonly [number, number])[] {
  if (params.win_s_list.length > 0) return params.win_s_list.map((s, i) => [s, params.win_e_list[i]!] as const);
  const auto = autoWindows(program);
  if (auto.s.length > 0) return auto.s.map((s, i) => [s, auto.e[i]!] as const);
  return [[0, program.insns.length - 1] as const];
}

function sameSlotsIn(a: readonly Insn[], b: readonly Insn[], s: number, e: number): boolean {
  for (let i = s; i <= e; i++) {
    const x = a[i]!, y = b[i]!;
    if (x !== y && (x.op !== y.op || x.dst !== y.dst || x.src !== y.src || x.off !== y.off || x.imm !== y.imm)) return false;
  }
  return true;
}

/** The scheduler over the program's windows (the whole program when no slot is eligible). */
function newScheduler(program: Program, rng: Rng): WindowScheduler {
  const ws = scheduledWindows(program);
  return new WindowScheduler(ws.length > 0 ? ws : [[0, program.insns.length - 1]], rng);
}

/** K2's Metropolis–Hastings rule: α = 1 if Δ ≤ 0, else 2^(−Δ) (base 2, no temperature). */
export function acceptProbability(delta: number): number {
  return delta <= 0 ? 1 : Math.pow(2, -delta);
}

export function runSearch(program: Program, params: K2Params, opts: SearchOptions): SearchResult {
  const len = program.insns.length;
  const frozen = program.frozen ?? [];
  checkWindows(params, len);
  const counters = newCounters();
  const safety = createSafetyChecker(program, { state: opts.variants.safetyState, errors: opts.variants.errors, allocation: opts.variants.allocation.pooled ? 'pooled' : 'fresh' });
  const evaluator = new Evaluator(program, params, opts.variants, safety, opts.checker, counters);
  for (const input of generateInputs(program, stream(opts.seed, STREAM.inputs))) evaluator.addTest(input);
  const prop = stream(opts.seed, STREAM.proposals);
  const mh = stream(opts.seed, STREAM.mh);
  const windows = searchWindows(program, params);
  const sched = opts.windows === 'scheduled' ? newScheduler(program, stream(opts.seed, STREAM.scheduler)) : undefined;
  let switchAt = 0, switches = 0;
  let arm = -1, blockStartPerf = 0;
  // Window tests need the whole machine state at the window: not with BPF-to-BPF calls (their frames live in the interpreter).
  const windowTests = params.is_win && !program.insns.some((x) => specOf(x.op, x.src, x.off, x.imm)?.name === 'call_local');
  const windowInputs = stream(opts.seed, STREAM.windowInputs);
  const mapFds = program.maps.map((m) => m.fd);
  const originalPerf = evaluator.perfCost(program.insns);
  const digest = new TrajectoryDigest();
  const topK = new TopK(params.k);
  topK.offer(program.insns, 0, originalPerf, 0, 0);

  let best: BestProgram = { insns: program.insns.map((x) => ({ ...x })), perf: originalPerf, verified: true, iteration: 0, ms: 0 };
  if (opts.start) {
    best = { insns: opts.start.map((x) => ({ ...x })), perf: evaluator.perfCost(opts.start), verified: true, iteration: 0, ms: 0 };
    topK.offer(best.insns, 0, best.perf, 0, 0);
  }
  let cur: Insn[] = best.insns.slice();
  // The candidate's array, reused: the last rejected candidate (or the previous current program), equal
  // to `cur` but in slots s…e + 1 (a proposal's reach), which each iteration copies back — so a
  // candidate costs window work, not an n-slot copy. Undefined when `cur` was replaced otherwise.
  let spare: Insn[] | undefined;
  let curParts: CostParts = { error: 0, perf: originalPerf };
  let wE = params.w_e, wP = params.w_p;
  let moves = { pInstOperand: params.p_inst_operand, pInst: params.p_inst, pInstAsNop: params.p_inst_as_nop };
  let s = 0, e = len - 1;
  let ctx: ProposalContext = { len, mapFds, isWin: params.is_win, ...buildPools(cur, s, e, params.is_win) };
  let windowSwitches = 0, acceptances = 0, restarts = 0;
  let windowStart: readonly Insn[] = cur, windowStartMs = 0;
  let offerCur = true;
  const start = performance.now();
  const every = opts.progressEvery ?? 2048;
  let i = 0;
  for (; i < params.n; i++) {
    // Neither check draws from a random stream: an iteration-bounded run's trajectory is unchanged.
    if (opts.timeLimitMs !== undefined && performance.now() - start >= opts.timeLimitMs) break;
    if (opts.stop !== undefined && Atomics.load(opts.stop, 0) !== 0) break;
    let next: readonly [number, number] | undefined;
    if (i === switchAt) {
      if (!sched) { next = windows[switches++ % windows.length]!; switchAt += params.reset_win_niter; } else {
        // The scheduler's arm for the next block; the same arm again keeps the chain where it is.
        const a = sched.next(blockStartPerf - best.perf);
        blockStartPerf = best.perf;
        if (a !== arm && opts.portfolio) {
          const set = sched.setting(a, opts.seed);
          wP = set.w_p;
          moves = { pInstOperand: set.p_inst_operand, pInst: set.p_inst, pInstAsNop: set.p_inst_as_nop };
        }
        if (a !== arm) next = sched.windows[a]!;
        arm = a;
        switchAt += BLOCK_ITERATIONS;
      }
    }
    if (next) {
      [s, e] = next;
      cur = best.insns.map((x) => ({ ...x }));
      const rewritten = opts.rewriteWindow?.(cur, s, e);
      if (rewritten && evaluator.perfCost(rewritten) < best.perf) {
        best = { insns: rewritten.map((x) => ({ ...x })), perf: evaluator.perfCost(rewritten), verified: true, iteration: i, ms: performance.now() - start };
        cur = best.insns.map((x) => ({ ...x }));
      }
      windowStart = cur.slice(); // `cur`'s array is reused as a candidate later
      spare = undefined;
      windowStartMs = performance.now() - start;
      offerCur = true;
      curParts = { error: 0, perf: best.perf };
      ctx = { len, mapFds, isWin: params.is_win, ...buildPools(cur, s, e, params.is_win) };
      if (windowTests && (s !== 0 || e !== len - 1)) evaluator.setWindow(cur.slice(), s, e, windowInputs);
      else evaluator.clearWindow();
      windowSwitches++;
      digest.program(cur);
    }
    if (params.st_when_to_restart === 1 && params.st_when_to_restart_niter > 0 && i % params.st_when_to_restart_niter === 0) {
      const pairs = Math.min(params.restart_w_e_list.length, params.restart_w_p_list.length);
      wE = params.restart_w_e_list[restarts % pairs]!;
      wP = params.restart_w_p_list[restarts % pairs]!;
      restarts++;
      if (params.st_start_prog !== 0) {
        cur = cur.slice();
        spare = undefined;
        offerCur = true;
        if (params.st_start_prog === 1) resampleContiguous(cur, 0, len, ctx, prop);
        else { const k = sampleInt(prop, Math.min(2, e - s + 1), e - s + 1); resampleContiguous(cur, sampleInt(prop, s, e - k + 1), k, ctx, prop); }
        for (const f of frozen) cur[f] = program.insns[f]!;
        curParts = evaluator.evaluate(cur);
        digest.program(cur);
      }
    }
    const move = chooseMove(mh.float(), moves);
    let cand: Insn[];
    if (spare === undefined) cand = cur.slice();
    else { cand = spare; for (let k = s, hi = Math.min(e + 1, len - 1); k <= hi; k++) cand[k] = cur[k]!; }
    propose(move, cand, s, e, ctx, prop);
    for (const f of frozen) cand[f] = cur[f]!; // an object's relocated slots stay (no extra random draws)
    const u = mh.float();
    counters.proposals++;
    // A proposal changes slots s…e only (the candidate shares cur's objects elsewhere): comparing,
    // costing and hashing the window is the same as the whole program, at window cost.
    const candParts = sameSlotsIn(cand, cur, s, e) ? curParts : evaluator.evaluate(cand, curParts.perf + evaluator.perfCost(cand, s, e) - evaluator.perfCost(cur, s, e));
    const delta = (wE * candParts.error + wP * candParts.perf) - (wE * curParts.error + wP * curParts.perf);
    const accept = u < acceptProbability(delta);
    digest.iteration(cand, cur, candParts.error, candParts.perf, accept, s, e);
    if (accept) { spare = cur; cur = cand; curParts = candParts; acceptances++; offerCur = true; } else spare = cand;
    if (curParts.error === 0 && curParts.perf < best.perf) {
      const ms = performance.now() - start;
      best = { insns: cur.map((x) => ({ ...x })), perf: curParts.perf, verified: opts.checker.proves && curParts.verdict === 'equal', iteration: i, ms };
      if (opts.onProvedRewrite && best.verified && evaluator.window && opts.checker.windows) opts.onProvedRewrite({ start: windowStart, s, e, rewritten: best.insns, ms, msInWindow: ms - windowStartMs });
    }
    // Offering an unchanged current program again cannot change the list (a duplicate, or rejected
    // again: only offers of other programs change it), so only new current programs are offered.
    if (offerCur) { topK.offer(cur, curParts.error, curParts.perf, i, 0); offerCur = false; }
    if (opts.onProgress && i % every === 0) {
      opts.onProgress({ iteration: i, total: params.n, elapsedMs: performance.now() - start, bestPerf: best.perf, currentCost: wE * curParts.error + wP * curParts.perf });
    }
  }
  return {
    iterations: i, wallMs: performance.now() - start, counters, originalPerf, best, topK: topK.sorted(),
    trajectoryDigest: digest.hex(), windowSwitches, acceptances, tests: evaluator.tests.length,
  };
}
