/**
 * K2's cost of a candidate (k2-spec.md §6): static safety check, then interpretation on every test
 * (stopping at the first execution error), error combined over tests with st_eq/st_avg, the
 * equivalence checker asked only when every test passes, counterexamples added as tests; and the
 * performance cost (st_perf). Unsafe candidates and execution errors cost ERROR_COST_MAX. How a
 * failure travels to this function is the `errors` axis; how state is allocated, `allocation`.
 */
import type { Insn } from '../ebpf/insn.js';
import type { Program } from '../ebpf/program.js';
import type { PreparedCode } from '../interp/interpreter.js';
import type { RunInput } from '../interp/machine.js';
import { Session, toRunnable, type Runnable } from '../interp/run.js';
import { MAP_TYPES } from '../ebpf/program.js';
import { SafetyViolation, Violation } from '../ebpf/violations.js';
import { windowQuery, type EquivalenceChecker, type Verdict } from './equivalence.js';
import { generateInputs, K2_TEST_COUNT, mutateInput } from './inputs.js';
import { isNop } from '../ebpf/k2-isa.js';
import { captureOutput, outputError, type ExpectedOutput } from './output-error.js';
import type { K2Params } from './params.js';
import type { Rng } from '../common/rng.js';
import type { VariantSet } from './variants.js';
import { WindowTests, windowError } from './window-evaluation.js';
import { UnreachedWindow } from './unreached-window.js';
import { Opcode } from '../ebpf/opcodes.js';

export const ERROR_COST_MAX = 100000;
/** Batches of fresh inputs tried when fewer than K2_TEST_COUNT test inputs reach a window. */
export const WINDOW_TOPUP_BATCHES = 10;
/** Variants of a solver-found input tried for the remaining window tests. */
export const WINDOW_MUTANTS = 300;

export interface SafetyCheckerLike {
  check(insns: readonly Insn[]): Violation;
  /** Candidates will be `start` rewritten in [s, e] only (the checker may keep `start`'s analysis). */
  focus?(start: readonly Insn[], s: number, e: number): void;
  unfocus?(): void;
  /** After a check() that passed a program with loops: the loop copies it proved enough (window proofs need them). */
  readonly loopCopies?: number | undefined;
}

export interface TestCase { input: RunInput; expected: ExpectedOutput }

export interface Counters {
  proposals: number;
  safetyRejects: number;
  interpreterRuns: number;
  executionErrors: number;
  z3Queries: number;
  z3Ms: number;
  cacheHits: number;
  counterexamples: number;
  /** Candidates that passed every test (the checker was asked). */
  testEquivalent: number;
}

export function newCounters(): Counters {
  return { proposals: 0, safetyRejects: 0, interpreterRuns: 0, executionErrors: 0, z3Queries: 0, z3Ms: 0, cacheHits: 0, counterexamples: 0, testEquivalent: 0 };
}

/** A candidate's two cost parts; the total is w_e·error + w_p·perf with the weights in force. */
export interface CostParts {
  error: number;
  perf: number;
  /** The checker's verdict when it was asked (every test passed). */
  verdict?: Verdict;
}

export class Evaluator {
  readonly tests: TestCase[] = [];
  private readonly base: Runnable;
  private readonly pooledSession: Session | undefined;
  private pooledCode: PreparedCode | undefined;
  /** The window whose code `pooledCode` holds (all but the window's slots are that window's sentinels and code). */
  private codeWindow: WindowTests | undefined;
  private readonly exitPenalty: number;
  /** Window mode: tests of the current window (undefined: whole-program tests). */
  window: WindowTests | undefined;
  /** Window mode on whole-program tests, none of which reaches the window (see UnreachedWindow). */
  private unreached: UnreachedWindow | undefined;
  // The last test run's tallies (fields, so the hot path returns no objects).
  private passed = 0;
  private sum = 0;

  constructor(
    private readonly program: Program,
    private readonly params: K2Params,
    private readonly variants: VariantSet,
    private readonly safety: SafetyCheckerLike,
    private readonly checker: EquivalenceChecker,
    readonly counters: Counters,
  ) {
    this.base = toRunnable(program);
    this.pooledSession = variants.allocation.pooled ? new Session(this.base) : undefined;
    const progArrays = program.maps.filter((m) => m.type === MAP_TYPES.prog_array);
    this.exitPenalty = progArrays.length > 0 ? progArrays[progArrays.length - 1]!.maxEntries : 0;
  }

  /** Runs the original program for addTest (a session resets its machine per run: one serves every test). */
  private originalSession: Session | undefined;

  /** Adds a test whose expected output is the original program's (counterexamples use this too). */
  addTest(input: RunInput): void {
    const s = (this.originalSession ??= new Session(this.base));
    if (!s.run(input)) throw new Error(`the original program fails on a test input: ${s.error?.message}`);
    this.tests.push({ input, expected: captureOutput(s.machine) });
  }

  /**
   * Window mode from now on: tests of window [s,e] of `start` from the whole-program tests that reach
   * it, topped up to K2_TEST_COUNT with inputs drawn from `rng` (at most WINDOW_TOPUP_BATCHES batches).
   * Returns the number of window tests.
   */
  setWindow(start: readonly Insn[], s: number, e: number, rng: Rng): number {
    this.safety.focus?.(start, s, e);
    const w = new WindowTests(this.program, this.base, start, s, e);
    w.addInputs(this.tests.map((t) => t.input));
    const wholeReach = w.reached;
    for (let b = 0; b < WINDOW_TOPUP_BATCHES && w.tests.length < K2_TEST_COUNT; b++) {
      for (const input of generateInputs(this.program, rng)) {
        if (w.tests.length >= K2_TEST_COUNT) break;
        w.addInputs([input]);
      }
    }
    // Random inputs rarely get there (behind a map hit, a narrow bounds check): ask the prover for an
    // input that does — canonical, so the same in every z3 implementation — and vary its data.
    if (w.tests.length < K2_TEST_COUNT && this.checker.reach) {
      const t0 = performance.now();
      const seed = this.checker.reach(start, s, e);
      this.counters.z3Ms += performance.now() - t0;
      if (seed && w.addInputs([seed]) > 0) {
        for (let k = 0; k < WINDOW_MUTANTS && w.tests.length < K2_TEST_COUNT; k++) w.addInputs([mutateInput(seed, rng)]);
      }
    }
    // No input reaches the window (e.g. only behind a map hit): a window prover can still fill the
    // tests with counterexamples; otherwise whole-program tests, which are as blind there, as before.
    this.window = w.tests.length > 0 || this.checker.windows ? w : undefined;
    this.unreached = this.window === undefined && wholeReach === 0 ? new UnreachedWindow(start, s, e, this.tests.length) : undefined;
    return w.tests.length;
  }

  clearWindow(): void {
    this.safety.unfocus?.();
    this.window = undefined;
    this.unreached = undefined;
  }

  perfCost(insns: readonly Insn[], from = 0, to = insns.length - 1): number {
    let n = 0;
    const runtime = this.params.st_perf === 1;
    for (let i = from; i <= to; i++) {
      const x = insns[i]!;
      if (isNop(x)) continue;
      if (runtime && x.op === Opcode.EXIT) continue; // K2's default runtime table: NOP = EXIT = 0, others 1
      n++;
    }
    return n;
  }

  /** `perf`: the candidate's perf cost when the caller knows it (window work: see runSearch). */
  evaluate(insns: readonly Insn[], perf = this.perfCost(insns)): CostParts {
    try {
      const v = this.safety.check(insns);
      if (v !== Violation.None) { this.counters.safetyRejects++; return { error: ERROR_COST_MAX, perf }; }
      return this.testAndVerify(insns, perf);
    } catch (e) {
      // The `exceptions` strategy: unsafe candidates and failed runs arrive here as throws.
      if (!(e instanceof SafetyViolation)) throw e;
      if (e.violation === Violation.ExecutionError) this.counters.executionErrors++;
      else this.counters.safetyRejects++;
      return { error: ERROR_COST_MAX, perf };
    }
  }

  private testAndVerify(insns: readonly Insn[], perf: number): CostParts {
    const p = this.params;
    const w = this.window;
    if (!(w ? this.runWindowTests(insns, w) : this.runTests(insns))) return { error: ERROR_COST_MAX, perf };
    const n = w ? w.tests.length : this.tests.length;
    const passed = this.passed, sum = this.sum;
    const avg = p.st_avg === 1 ? n : 1;
    let verdict: Verdict | undefined;
    let v = 0; // K2: 1 equal, 0 unequal, -1 unknown, -2 unsafe
    if (passed === n) {
      this.counters.testEquivalent++;
      const r = w && this.checker.windows ? this.checker.check(insns, this.program.insns, windowQuery(w.start, w.s, w.e, this.safety.loopCopies)) : this.checker.check(insns, this.program.insns);
      if (r.cached) this.counters.cacheHits++; else if (this.checker.proves) { this.counters.z3Queries++; this.counters.z3Ms += r.ms; }
      verdict = r.verdict;
      // A stand-in checker cannot refute: its "unknown" keeps the chain moving as on a passed test set.
      v = r.verdict === 'equal' || (r.verdict === 'unknown' && !this.checker.proves) ? 1 : r.verdict === 'not-equal' ? 0 : r.verdict === 'unsafe' ? -2 : -1;
      if ((v === 0 || v === -2) && w && r.windowCounterexample) {
        if (w.addState(r.windowCounterexample)) this.counters.counterexamples++;
      } else if ((v === 0 || v === -2) && r.counterexample) {
        this.addTest(r.counterexample);
        this.counters.counterexamples++;
        w?.addInputs([r.counterexample]); // it counts in the current window too when it reaches it
      }
    }
    let error: number;
    if (v === 1) error = sum;
    else if (v < 0) error = ERROR_COST_MAX;
    else error = p.st_eq === 0 ? (sum + passed) / avg : 1 + (sum + n - passed) / avg;
    return verdict === undefined ? { error, perf } : { error, perf, verdict };
  }

  /** Whole-program tests; false on an execution error (reported through the errors variant). */
  private runTests(insns: readonly Insn[]): boolean {
    const u = this.unreached;
    if (u === undefined || !u.covers(insns, this.tests.length)) return this.runAllTests(insns);
    if (u.passed >= 0) { this.passed = u.passed; this.sum = u.sum; return true; }
    if (!this.runAllTests(insns)) return false;
    u.passed = this.passed; u.sum = this.sum;
    return true;
  }

  private runAllTests(insns: readonly Insn[]): boolean {
    const popcount = this.params.st_ex === 1;
    const code = this.variants.dispatch.prepare(insns, this.pooledCode);
    let session = this.pooledSession;
    if (session) { this.pooledCode = code; this.codeWindow = undefined; session.code = code; }
    const tests = this.tests;
    const n = tests.length;
    let passed = 0, sum = 0;
    for (let t = 0; t < n; t++) {
      const tc = tests[t]!;
      if (!session || !this.variants.allocation.pooled) session = new Session({ ...this.base, code });
      this.counters.interpreterRuns++;
      if (!session.run(tc.input)) {
        // `exceptions` throws here (K2 throws from the interpreter); `result-codes` returns.
        this.variants.errors.fail(Violation.ExecutionError, session.error!.pc, session.error!.message);
        this.counters.executionErrors++;
        return false;
      }
      const e = outputError(session.machine, tc.expected, popcount, this.exitPenalty);
      if (e === 0) passed++;
      sum += e;
    }
    this.passed = passed; this.sum = sum;
    return true;
  }

  /** Window tests: the candidate's window code from each entry state (k2-spec.md §4, window mode). */
  private runWindowTests(insns: readonly Insn[], w: WindowTests): boolean {
    const popcount = this.params.st_ex === 1;
    const memSame = !w.startWrites && !w.writes(insns);
    const d = this.variants.dispatch, wc = w.windowCode(insns);
    let session = this.pooledSession;
    // Pooled: patch the window's slots of its code in place (window work, not program length).
    const patched = session && this.codeWindow === w && this.pooledCode && d.patch ? d.patch(this.pooledCode, wc, w.inWindow) : undefined;
    const code = patched ?? d.prepare(wc, this.pooledCode);
    if (session) { this.pooledCode = code; this.codeWindow = w; session.code = code; }
    const tests = w.tests;
    const n = tests.length;
    let passed = 0, sum = 0;
    for (let t = 0; t < n; t++) {
      const tc = tests[t]!;
      if (!session || !this.variants.allocation.pooled) session = new Session({ ...this.base, code });
      this.counters.interpreterRuns++;
      if (!session.runFrom(tc.snap, tc.pc)) {
        this.variants.errors.fail(Violation.ExecutionError, session.error!.pc, session.error!.message);
        this.counters.executionErrors++;
        return false;
      }
      const e = windowError(session.machine, tc, popcount, this.exitPenalty, memSame);
      if (e === 0) passed++;
      sum += e;
    }
    this.passed = passed; this.sum = sum;
    return true;
  }
}

