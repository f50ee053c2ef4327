/**
 * The Z3 EquivalenceChecker for the search: created asynchronously once (the WebAssembly module
 * loads asynchronously), then `check` is synchronous. Whole-program equivalence against the
 * original; not-equal/unsafe answers come with a canonical counterexample that the interpreter
 * must confirm (otherwise: "unknown", counted as an encoding mismatch).
 */
import type { Insn } from '../ebpf/insn.js';
import type { Program } from '../ebpf/program.js';
import type { RunInput } from '../interp/machine.js';
import type { EquivalenceChecker, EquivalenceResult, WindowQuery } from '../search/equivalence.js';
import { liveAt, liveness } from '../analysis/liveness.js';
import { EquivalenceCache, slotsKey } from './cache.js';
import { confirm, toRunInput } from './counterexample.js';
import { provedEqualOnce, runQuery, SolverError, type QueryResult, type SmtSession } from './query.js';
import { runReachQuery, runWindowQuery, type Liveness } from './window.js';

/** One implementation of the `z3` axis: hands out a session per query and takes it back. */
export interface Z3Impl {
  readonly name: string;
  /** A session for one query (fresh or reused). */
  open(): SmtSession;
  /** Ends the query; `depth` open push levels are left on the session. */
  release(s: SmtSession, depth: number): void;
  /** A session of its own for one non-incremental check (see provedEqualOnce); closed after. */
  isolated(): SmtSession & { close(): void };
  dispose(): void;
}

/** Z3's deterministic resource limit per check (not a timeout: the same on every machine). */
export const DEFAULT_RLIMIT = 20_000_000;

export interface Z3CheckerOptions {
  impl: Z3Impl;
  cache: boolean;
  rlimit?: number;
  /** Whole-program refutations without a counterexample (the soundness harness needs only verdicts). */
  verdictOnly?: boolean;
}

export interface Z3Stats {
  queries: number;
  solverChecks: number;
  equal: number;
  notEqual: number;
  unsafe: number;
  unknown: number;
  /** Counterexamples the interpreter did not confirm (encoding bugs), answered "unknown". */
  encodingMismatches: number;
  /** Programs the encoding cannot express (loops, BPF-to-BPF calls, …). */
  unsupported: number;
  solverErrors: number;
  cacheHits: number;
  /** Inputs asked for that reach a window (window tests where random inputs never get there). */
  reachQueries: number;
  ms: number;
}

export interface Z3Checker extends EquivalenceChecker {
  readonly stats: Z3Stats;
  /** The last query's detail (reason for "unknown", solver checks). */
  readonly last: QueryResult | undefined;
  reach(start: readonly Insn[], s: number, e: number): RunInput | undefined;
  /**
   * A whole-program proof in one non-incremental check on a session of its own: true when proved
   * equal; false says nothing (ask check() for the verdict and a counterexample). For one-off proofs
   * (the final proof, `k2lab verify`), not the search: a new session per query costs a solver start.
   */
  provedEqual(candidate: readonly Insn[], original: readonly Insn[]): boolean;
  dispose(): void;
}

export function createZ3Checker(program: Program, opts: Z3CheckerOptions): Z3Checker {
  const cache = opts.cache ? new EquivalenceCache() : undefined;
  const rlimit = opts.rlimit ?? DEFAULT_RLIMIT;
  const stats: Z3Stats = { queries: 0, solverChecks: 0, equal: 0, notEqual: 0, unsafe: 0, unknown: 0, encodingMismatches: 0, unsupported: 0, solverErrors: 0, cacheHits: 0, reachQueries: 0, ms: 0 };
  let last: QueryResult | undefined;
  /** One query on a session of the implementation; a solver error (e.g. inside get-value) is "unknown". */
  const ask = (run: (session: SmtSession) => QueryResult): QueryResult => {
    const session = opts.impl.open();
    try {
      const q = run(session);
      opts.impl.release(session, q.depth);
      return q;
    } catch (e) {
      opts.impl.release(session, -1);
      if (!(e instanceof SolverError)) throw e;
      stats.solverErrors++;
      return { verdict: 'unknown', reason: e.message, checks: 0, depth: 0 };
    }
  };
  const reached = new Map<string, RunInput | undefined>();
  // Liveness of the current window's start program (it changes only at window switches).
  let liveFor: readonly Insn[] | undefined, live: Liveness | undefined;
  const livenessOf = (start: readonly Insn[]): Liveness => {
    if (liveFor !== start || !live) {
      const lv = liveness(start, program.maps);
      live = (slot) => liveAt(lv, slot);
      liveFor = start;
    }
    return live;
  };
  const checker: Z3Checker = {
    name: `z3:${opts.impl.name}${opts.cache ? '+cache' : ''}`,
    proves: true,
    windows: true,
    stats,
    get last() { return last; },
    check(candidate: readonly Insn[], original: readonly Insn[], window?: WindowQuery): EquivalenceResult {
      // A window verdict holds for its start program and window; "equal" would hold anywhere, but
      // scoping every entry keeps cache on/off from changing which queries run.
      const scope = window ? `w${window.s}:${window.e}:${startId(window.start)}` : '';
      const hit = cache?.get(candidate, scope);
      if (hit) { stats.cacheHits++; return { ...hit, ms: 0, cached: true }; }
      const t0 = performance.now();
      stats.queries++;
      const q = ask((session) => window
        ? runWindowQuery(session, program, window.start, candidate, window.s, window.e, livenessOf(window.start), { rlimit }, window.loopCopies)
        : runQuery(session, program, original, candidate, { rlimit, ...(opts.verdictOnly ? { verdictOnly: true } : {}) }));
      last = q;
      stats.solverChecks += q.checks;
      let result: EquivalenceResult;
      if ((q.verdict === 'not-equal' || q.verdict === 'unsafe') && !q.values) result = { verdict: q.verdict, ms: 0, cached: false };
      else if (q.verdict === 'not-equal' || q.verdict === 'unsafe') {
        const input = toRunInput(q);
        const reference = window ? window.start : original;
        // A window refutation may not change the program's final output (the live-out state differs,
        // e.g. a register the suffix only compares): the interpreter confirms it on the window tests.
        const c = window && q.verdict === 'not-equal' ? { confirmed: true } : confirm({ ...program, insns: reference.map((x) => ({ ...x })) }, candidate, input, q.verdict);
        if (c.confirmed) result = { verdict: q.verdict, counterexample: input, ms: 0, cached: false };
        else {
          stats.encodingMismatches++;
          last = { ...q, verdict: 'unknown', reason: `the interpreter does not confirm the ${q.verdict} counterexample` };
          result = { verdict: 'unknown', ms: 0, cached: false };
        }
      } else {
        if (q.verdict === 'unknown' && q.checks === 0 && !(q.reason ?? '').startsWith('(error')) stats.unsupported++;
        result = { verdict: q.verdict, ms: 0, cached: false };
      }
      const ms = performance.now() - t0;
      stats.ms += ms;
      if (result.verdict === 'equal') stats.equal++;
      else if (result.verdict === 'not-equal') stats.notEqual++;
      else if (result.verdict === 'unsafe') stats.unsafe++;
      else stats.unknown++;
      cache?.set(candidate, result, scope);
      return { ...result, ms };
    },
    reach(start: readonly Insn[], s: number, e: number): RunInput | undefined {
      const key = `${startId(start)}:${s}:${e}`;
      if (reached.has(key)) return reached.get(key);
      const q = ask((session) => runReachQuery(session, program, start, s, e, { rlimit }));
      stats.reachQueries++;
      const input = q.verdict === 'not-equal' ? toRunInput(q) : undefined;
      reached.set(key, input);
      return input;
    },
    provedEqual(candidate: readonly Insn[], original: readonly Insn[]): boolean {
      const t0 = performance.now();
      const session = opts.impl.isolated();
      try {
        return provedEqualOnce(session, program, original, candidate, { rlimit });
      } catch (e) {
        if (!(e instanceof SolverError)) throw e;
        stats.solverErrors++;
        return false;
      } finally {
        session.close();
        stats.ms += performance.now() - t0;
      }
    },
    dispose: () => opts.impl.dispose(),
  };
  return checker;
}

/** The identity of a window's start program for cache scopes: the program itself, slot by slot. */
const startIds = new WeakMap<readonly Insn[], string>();
function startId(insns: readonly Insn[]): string {
  let id = startIds.get(insns);
  if (id === undefined) { id = slotsKey(insns); startIds.set(insns, id); }
  return id;
}
