/**
 * The rule database's hook points in an optimize run, for the orchestration to call:
 * `rulesBeforeSearch` (open the database, take the run's snapshot of its matching rules, apply them
 * to the program: the search's start program); from the search — in-process, or in each chain
 * worker over the same snapshot — `rewriteWindow` at each window switch (rules that match inside
 * the window now, e.g. after other windows improved) and `onProvedRewrite` for each window rewrite
 * it proves (workers send theirs back); then `rulesAfterSearch` learns rules from those rewrites (re-proved), stores them and the fire counts,
 * and returns the RunReport's `rules` section.
 */
import type { Insn } from '../ebpf/insn.js';
import type { Program } from '../ebpf/program.js';
import { createSafetyChecker } from '../safety/checker.js';
import { gitCommit } from '../common/git.js';
import type { VariantSet } from '../search/variants.js';
import { createZ3Checker, type Z3Impl } from '../verify/checker.js';
import { applyRules, mergeOutcomes, type ApplyOutcome } from './apply.js';
import { snapshotOf, takeSnapshot, windowRewriter, type RuleSnapshot } from './snapshot.js';
import { learnRules, programDigest, type ProvedRewrite } from './learn.js';
import { rulesDigest } from './rule.js';
import { RuleStore } from './store.js';

/** The RunReport's `rules` section. */
export interface RulesReport {
  database: string;
  /** Digest of the rules the run consulted. */
  digest: string;
  /** The rules the run used (the snapshot every chain got) and their digest: the run is deterministic for a database with them. */
  snapshotRules: number;
  snapshotDigest: string;
  consulted: number;
  applied: number;
  /** Of those, applied at the search's window switches (after earlier improvements made them match). */
  appliedDuringSearch: number;
  /** Of the applied, rules stored generalised (not concrete). */
  appliedGeneral: number;
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
  /** The rules this run uses (the search's in-process hook and every chain worker): see snapshot.ts. */
  readonly snapshot: RuleSnapshot;
  /** Rules applied at the search's window switches (chain workers' outcomes are added here). */
  readonly during: ApplyOutcome[];
  /** The search's window-switch hook (in-process searches): rules matching inside the window, applied and proved. */
  readonly rewriteWindow: (cur: readonly Insn[], s: number, e: number) => Insn[] | undefined;
  readonly rewrites: ProvedRewrite[];
  /** The search's callback for each proved window rewrite. */
  readonly onProvedRewrite: (r: ProvedRewrite) => void;
  readonly rlimit: number | undefined;
  readonly section: string | undefined;
}

/** Passes of rules over the program before the search (each pass can enable the next). */
const BEFORE_PASSES = 4;

/** A safety predicate for whole candidate programs (what an applied rule must pass). */
export function safetyPredicate(program: Program, variants: Pick<VariantSet, 'safetyState' | 'errors'>): (insns: readonly Insn[]) => boolean {
  const safety = createSafetyChecker(program, { state: variants.safetyState, errors: variants.errors, allocation: 'fresh' });
  return (insns) => {
    try { return safety.check(insns) === 0; } catch { return false; }
  };
}

/**
 * Opens the database, takes the run's snapshot of it and applies its rules to `program`:
 * `before.insns` is the search's start program. `impl` is the Z3 the rules are proved with (the
 * session disposes of it).
 */
export function rulesBeforeSearch(path: string, program: Program, variants: VariantSet, impl: Z3Impl, opts: { rlimit?: number; section?: string } = {}): RulesSession {
  const store = RuleStore.open(path);
  const checker = createZ3Checker(program, { impl, cache: false, ...(opts.rlimit !== undefined ? { rlimit: opts.rlimit } : {}) });
  const safe = safetyPredicate(program, variants);
  // Applied rules make windows with shapes the input had not: the snapshot grows with them, and
  // rules are applied again (a few passes) until none applies, so every window of the start
  // program has been tried with the whole snapshot.
  let snapshot = takeSnapshot(store, [program.insns]);
  const passes: ApplyOutcome[] = [];
  let cur = program.insns;
  for (let pass = 0; pass < BEFORE_PASSES; pass++) {
    const o = applyRules(program, cur, snapshot, { safe, checker });
    passes.push(o);
    if (o.applied.length === 0) break;
    cur = o.insns;
    const known = new Set(snapshot.rules.map((r) => r.id));
    snapshot = snapshotOf([...snapshot.rules, ...takeSnapshot(store, [cur]).rules.filter((r) => !known.has(r.id))]);
  }
  const before = mergeOutcomes(passes, cur.map((x) => ({ ...x })));
  const rewrites: ProvedRewrite[] = [];
  // Every window of the start program was tried before the search.
  const rewriter = windowRewriter(program, snapshot, { safe, checker, skip: before.insns });
  return {
    store, impl, program, before, snapshot, during: rewriter.during, rewriteWindow: rewriter.rewriteWindow, rewrites, rlimit: opts.rlimit, section: opts.section,
    onProvedRewrite: (r) => { rewrites.push({ ...r, start: r.start.map((x) => ({ ...x })), rewritten: r.rewritten.map((x) => ({ ...x })) }); },
  };
}

/** Learning's share of the time left before the final proof and gate (`reserveMs` before `endAt`). */
const LEARN_SHARE = 0.3;

/** When learning must stop in a run that ends at `endAt` (epoch ms): a bounded share of what is left. */
export function learningDeadline(endAt: number, reserveMs: number, now = Date.now()): number {
  return now + Math.floor(LEARN_SHARE * Math.max(0, endAt - reserveMs - now));
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
      database: store.path, digest: rulesDigest(before.consulted), snapshotRules: session.snapshot.rules.length, snapshotDigest: session.snapshot.digest, consulted: before.consulted.length,
      applied: before.applied.length, appliedDuringSearch: session.during.reduce((t, o) => t + o.applied.length, 0), appliedGeneral: before.applied.filter((a) => a.general).length, appliedRules: before.applied.map((a) => ({ id: a.id, slot: a.slot })), rejected: before.rejected,
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
