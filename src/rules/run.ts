/**
 * The rule database's hook points in an optimize run, for the orchestration to call:
 * `rulesBeforeSearch` (open the database, apply matching rules to the program: the search's start
 * program); from the search, `rewriteWindow` at each window switch (rules that match inside the
 * window now, e.g. after other windows improved) and `onProvedRewrite` for each window rewrite it
 * proves; then
 * `rulesAfterSearch` learns rules from those rewrites (re-proved), stores them and the fire counts,
 * and returns the RunReport's `rules` section.
 */
import { encodeProgram, type Insn } from '../ebpf/insn.js';
import type { Program } from '../ebpf/program.js';
import { createSafetyChecker } from '../safety/checker.js';
import { gitCommit } from '../common/git.js';
import type { VariantSet } from '../search/variants.js';
import { createZ3Checker, type Z3Impl } from '../verify/checker.js';
import { applyRules, type ApplyOutcome } from './apply.js';
import { learnRules, programDigest, type ProvedRewrite } from './learn.js';
import { rulesDigest } from './rule.js';
import { RuleStore } from './store.js';

/** The RunReport's `rules` section. */
export interface RulesReport {
  database: string;
  /** Digest of the rules the run consulted (the run is deterministic for a database with them). */
  digest: string;
  consulted: number;
  applied: number;
  /** Of those, applied at the search's window switches (after earlier improvements made them match). */
  appliedDuringSearch: number;
  appliedRules: { id: string; slot: number }[];
  rejected: number;
  /** Performance cost the applied rules removed before the search started. */
  savedPerf: number;
  /** Search time the applied rules took to find when they were learned, less the time applying them took. */
  msSaved: number;
  msApplying: number;
  provedRewrites: number;
  learned: number;
  /** Rules already in the database (the same rule learned before). */
  known: number;
  notProved: number;
  /** Proved rewrites not learned because the run's time was up. */
  notLearnedForTime: number;
  msLearning: number;
}

export interface RulesSession {
  readonly store: RuleStore;
  readonly impl: Z3Impl;
  readonly program: Program;
  readonly before: ApplyOutcome;
  /** Rules applied at the search's window switches. */
  readonly during: ApplyOutcome[];
  /** The search's window-switch hook: rules matching inside the window, applied and proved. */
  readonly rewriteWindow: (cur: readonly Insn[], s: number, e: number) => Insn[] | undefined;
  readonly rewrites: ProvedRewrite[];
  /** The search's callback for each proved window rewrite. */
  readonly onProvedRewrite: (r: ProvedRewrite) => void;
  readonly rlimit: number | undefined;
  readonly section: string | undefined;
}

/**
 * Opens the database and applies its rules to `program`: `before.insns` is the search's start
 * program. `impl` is the Z3 the rules are proved with (the session disposes of it).
 */
export function rulesBeforeSearch(path: string, program: Program, variants: VariantSet, impl: Z3Impl, opts: { rlimit?: number; section?: string } = {}): RulesSession {
  const store = RuleStore.open(path);
  const checker = createZ3Checker(program, { impl, cache: false, ...(opts.rlimit !== undefined ? { rlimit: opts.rlimit } : {}) });
  const safety = createSafetyChecker(program, { state: variants.safetyState, errors: variants.errors, allocation: 'fresh' });
  const safe = (insns: readonly Insn[]): boolean => {
    try { return safety.check(insns) === 0; } catch { return false; }
  };
  const before = applyRules(program, program.insns, store, { safe, checker });
  const rewrites: ProvedRewrite[] = [];
  const during: ApplyOutcome[] = [];
  const tried = new Set<string>();
  const hex = (insns: readonly Insn[]): string => Buffer.from(encodeProgram(insns)).toString('hex');
  // Every window of the start program was tried before the search.
  const triedWhole = hex(before.insns);
  return {
    store, impl, program, before, during, rewrites, rlimit: opts.rlimit, section: opts.section,
    rewriteWindow: (cur, s, e) => {
      // The same window of the same program was tried before (an earlier switch, or before the search).
      const code = hex(cur), key = `${s}:${e}:${code}`;
      if (code === triedWhole || tried.has(key)) return undefined;
      tried.add(key);
      const o = applyRules(program, cur, store, { safe, checker, range: [s, e] });
      if (o.consulted.length > 0) during.push(o);
      return o.applied.length > 0 ? o.insns : undefined;
    },
    onProvedRewrite: (r) => { rewrites.push({ ...r, start: r.start.map((x) => ({ ...x })), rewritten: r.rewritten.map((x) => ({ ...x })) }); },
  };
}

/** Learns and stores rules from the run's proved rewrites, counts the fired rules; closes the session. */
export function rulesAfterSearch(session: RulesSession, deadlineAt?: number): RulesReport {
  const t0 = performance.now();
  const { store } = session;
  // Everything applied or consulted, before the search and at its window switches.
  const all = [session.before, ...session.during];
  const before = { applied: all.flatMap((o) => o.applied), consulted: [...new Set(all.flatMap((o) => o.consulted))].sort(), rejected: all.reduce((t, o) => t + o.rejected, 0), ms: all.reduce((t, o) => t + o.ms, 0) };
  try {
    const commit = gitCommit();
    const learned = learnRules(session.rewrites, {
      program: session.program, impl: session.impl, ...(session.rlimit !== undefined ? { rlimit: session.rlimit } : {}), ...(deadlineAt !== undefined ? { deadlineAt } : {}),
      provenance: { programDigest: programDigest(session.program), programName: session.program.name, ...(session.section !== undefined ? { section: session.section } : {}), ...(commit ? { gitCommit: commit } : {}) },
    });
    const added = store.add(learned.rules);
    const fires = new Map<string, number>();
    for (const a of before.applied) fires.set(a.id, (fires.get(a.id) ?? 0) + 1);
    store.fired(fires);
    const msFound = before.applied.reduce((t, a) => t + a.msToFind, 0);
    return {
      database: store.path, digest: rulesDigest(before.consulted), consulted: before.consulted.length,
      applied: before.applied.length, appliedDuringSearch: session.during.reduce((t, o) => t + o.applied.length, 0), appliedRules: before.applied.map((a) => ({ id: a.id, slot: a.slot })), rejected: before.rejected,
      savedPerf: before.applied.reduce((t, a) => t + a.saved, 0),
      msSaved: Math.round(msFound - before.ms), msApplying: Math.round(before.ms),
      provedRewrites: session.rewrites.length, learned: added, known: learned.rules.length - added, notProved: learned.notProved, notLearnedForTime: learned.skipped,
      msLearning: Math.round(performance.now() - t0),
    };
  } finally {
    session.impl.dispose();
    store.close();
  }
}
