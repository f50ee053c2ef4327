/**
 * Applying stored rules to a program before the search: every window of the program whose opcode
 * shape has rules is looked up (one indexed query for all shapes), matches are tried slot by slot
 * (longest pattern first, then most saved, then rule id: deterministic for a database's content),
 * and a match is kept only when the rewritten program passes the safety check and the window
 * proof against the current program. A wrong rule costs a query, never correctness. Registers,
 * immediate parameters and the stack shift are bound by general.ts.
 */
import { analyzeStates } from '../analysis/static-states.js';
import { liveness } from '../analysis/liveness.js';
import type { Insn } from '../ebpf/insn.js';
import { changesFrozen, type Program } from '../ebpf/program.js';
import type { EquivalenceChecker } from '../search/equivalence.js';
import { entryKindOf, exitSlots } from './learn.js';
import { bindAt, instantiateBinding } from './general.js';
import { regOperands, shapeOf, type Rule } from './rule.js';
/** Where rules come from: the database itself, or a snapshot taken of it (snapshot.ts). */
export interface RuleSource {
  /** The pattern lengths present (to know which windows of a program to look up). */
  lengths(): number[];
  /** Rules whose pattern has one of these shapes, sorted by id. */
  byShapes(shapes: readonly string[]): Rule[];
}

/** `general`: the rule was a generalised one (not stored concrete). */
export interface AppliedRule { id: string; slot: number; saved: number; msToFind: number; general: boolean }

export interface ApplyOutcome {
  insns: Insn[];
  applied: AppliedRule[];
  /** Rules that matched a window's shape (their ids make the run's rules digest). */
  consulted: string[];
  /** Matches the safety check or the proof turned down. */
  rejected: number;
  ms: number;
}

/** The real register of each abstract id when `rule` matches `insns` at `slot`; undefined otherwise (bindAt gives parameters and shift too). */
export function matchAt(rule: Rule, insns: readonly Insn[], slot: number): number[] | undefined {
  return bindAt(rule, insns, slot)?.regs;
}

/** The rule's preconditions hold at `slot` of `insns` (entry kinds from the analysis, liveness at the exits). */
function preconditionsHold(rule: Rule, regs: readonly number[], program: Program, insns: readonly Insn[], slot: number): boolean {
  const e = slot + rule.pattern.length - 1;
  const lv = liveness(insns, program.maps);
  let live = 0;
  for (const t of exitSlots(insns, slot, e)) if (t < insns.length) live |= lv.regs[t]!;
  const realOf = (k: number): number => (rule.generality === 'registers' ? regs[k]! : k);
  let allowed = 0;
  for (let k = 0; k < rule.pre.entry.length; k++) if ((rule.pre.liveOut >> k) & 1) allowed |= 1 << realOf(k);
  const written = new Set(rule.replacement.concat(rule.pattern).map((x) => (regOperands(x).dst ? realOf(x.dst) : -1)));
  // A live register the window writes must have been live in the proof too.
  for (const r of written) if (r >= 0 && (live >> r) & 1 && !((allowed >> r) & 1)) return false;
  if (rule.generality === 'concrete') return true;
  const states = analyzeStates(insns, program).before[slot]!;
  return rule.pre.entry.every((kind, k) => {
    if (kind === 'any') return true;
    const have = entryKindOf(states[regs[k]!]);
    if (have === undefined) return false;
    return kind === 'scalar' || kind === have;
  });
}

export interface ApplyOptions {
  /** Safety check of a whole candidate program. */
  safe: (insns: readonly Insn[]) => boolean;
  /** A window prover (the search's kind of checker, with window queries). */
  checker: EquivalenceChecker;
  /** Only patterns inside slots [s, e] (the search's current window). */
  range?: readonly [number, number];
}

export function applyRules(program: Program, start: readonly Insn[], store: RuleSource, opts: ApplyOptions): ApplyOutcome {
  const t0 = performance.now();
  let cur = start.map((x) => ({ ...x }));
  const [lo, hi] = opts.range ?? [0, cur.length - 1];
  const fits = (p: number, l: number): boolean => p >= lo && p + l - 1 <= hi && p + l <= cur.length;
  const lengths = store.lengths().filter((l) => l <= hi - lo + 1).sort((a, b) => b - a);
  const shapes: string[] = [];
  for (const l of lengths) for (let p = lo; fits(p, l); p++) shapes.push(shapeOf(cur.slice(p, p + l)));
  const byShape = new Map<string, Rule[]>();
  for (const r of store.byShapes(shapes)) byShape.set(r.shape, [...(byShape.get(r.shape) ?? []), r]);
  const order = (a: Rule, b: Rule): number => b.pattern.length - a.pattern.length || b.saved - a.saved || (a.id < b.id ? -1 : 1);
  const consulted = new Set<string>();
  const applied: AppliedRule[] = [];
  let rejected = 0;
  for (let p = lo; p <= hi; p++) {
    const candidates = lengths.flatMap((l) => (fits(p, l) ? byShape.get(shapeOf(cur.slice(p, p + l))) ?? [] : [])).sort(order);
    for (const rule of candidates) {
      consulted.add(rule.id);
      if (rule.saved <= 0) continue;
      const binding = bindAt(rule, cur, p);
      if (!binding || !preconditionsHold(rule, binding.regs, program, cur, p)) continue;
      const replacement = instantiateBinding(rule, binding);
      const cand = cur.slice();
      for (let i = 0; i < replacement.length; i++) cand[p + i] = replacement[i]!;
      const e = p + rule.pattern.length - 1;
      if (changesFrozen(program, cur, cand)) continue;
      if (!opts.safe(cand) || opts.checker.check(cand, program.insns, { start: cur, s: p, e }).verdict !== 'equal') { rejected++; continue; }
      cur = cand;
      applied.push({ id: rule.id, slot: p, saved: rule.saved, msToFind: rule.msToFind, general: rule.generality !== 'concrete' });
      p = e; // the next match starts after this window
      break;
    }
  }
  return { insns: cur, applied, consulted: [...consulted].sort(), rejected, ms: performance.now() - t0 };
}

/** Several outcomes as one (the last one's program; applications in order, consulted ids united). */
export function mergeOutcomes(os: readonly ApplyOutcome[], insns: Insn[]): ApplyOutcome {
  return {
    insns, applied: os.flatMap((o) => o.applied), consulted: [...new Set(os.flatMap((o) => o.consulted))].sort(),
    rejected: os.reduce((t, o) => t + o.rejected, 0), ms: os.reduce((t, o) => t + o.ms, 0),
  };
}
