/**
 * From a window rewrite the search proved to a stored rule: the slots both programs share at the
 * window's edges are trimmed, the preconditions are read from the start program (static analysis
 * at entry, liveness at every exit), registers are abstracted when the window is straight-line
 * scalar code, and the rule is proved again with Z3 before it is kept — on its witness, and for a
 * `registers` rule in general (prove.ts), then widened over immediates and stack offsets where
 * that proves too (general.ts). What cannot be generalised is kept concrete; what does not
 * re-prove is dropped.
 */
import { createHash } from 'node:crypto';
import { analyzeStates, type AbsState } from '../analysis/static-states.js';
import { liveness } from '../analysis/liveness.js';
import { encodeProgram, type Insn } from '../ebpf/insn.js';
import { specOf } from '../ebpf/opcodes.js';
import type { Program } from '../ebpf/program.js';
import { isNop } from '../ebpf/k2-isa.js';
import type { ProvedRewrite } from '../search/mcmc.js';
import type { Z3Impl } from '../verify/checker.js';
import { immParamsOf, shiftRangeOf } from './general.js';
import { MAX_ABSTRACT_REGS, proveGeneral, proveRule } from './prove.js';
import { abstractRegisters, FRAME_POINTER, regOperands, ruleId, sameInsn, shapeOf, type EntryKind, type Provenance, type Rule } from './rule.js';

/** Kinds of straight-line scalar code, whose meaning does not depend on which registers hold the values. */
const SCALAR_KINDS = new Set(['alu', 'neg', 'endian', 'bswap', 'movsx']);

export function programDigest(p: Program): string {
  return createHash('sha256').update(encodeProgram(p.insns)).digest('hex').slice(0, 16);
}

const isSecondHalf = (insns: readonly Insn[], i: number): boolean => i > 0 && specOf(insns[i - 1]!.op, insns[i - 1]!.src, insns[i - 1]!.off, insns[i - 1]!.imm)?.kind === 'lddw';

/** The smallest window of slots that differ, widened so that no 64-bit load is cut in half. */
export function trimmedWindow(r: ProvedRewrite): [number, number] | undefined {
  let s = r.s, e = r.e;
  while (s <= e && sameInsn(r.start[s]!, r.rewritten[s]!)) s++;
  while (e >= s && sameInsn(r.start[e]!, r.rewritten[e]!)) e--;
  if (s > e) return undefined;
  if (isSecondHalf(r.start, s) || isSecondHalf(r.rewritten, s)) s--;
  if (e + 1 < r.start.length && (isSecondHalf(r.start, e + 1) || isSecondHalf(r.rewritten, e + 1))) e++;
  return [s, e];
}

/** Slots outside s…e where control goes when it leaves the window (falls off its end or jumps out). */
export function exitSlots(insns: readonly Insn[], s: number, e: number): number[] {
  const out = new Set<number>();
  for (let i = s; i <= e; i++) {
    const x = insns[i]!;
    const spec = specOf(x.op, x.src, x.off, x.imm);
    if (!spec) continue; // second half of a 64-bit load
    if (spec.kind === 'exit') continue;
    const step = spec.kind === 'lddw' ? 2 : 1;
    if (spec.kind !== 'ja' && spec.kind !== 'ja32') out.add(i + step);
    if (spec.kind === 'jcond' || spec.kind === 'ja') out.add(i + 1 + x.off);
    if (spec.kind === 'ja32') out.add(i + 1 + x.imm);
  }
  return [...out].filter((t) => t < s || t > e).sort((a, b) => a - b);
}

/** Registers the code reads before it writes them (straight-line order). */
export function readsBeforeWrites(code: readonly Insn[]): Set<number> {
  const written = new Set<number>(), read = new Set<number>();
  for (const x of code) {
    const spec = specOf(x.op, x.src, x.off, x.imm);
    if (!spec) continue;
    const o = regOperands(x);
    const dstRead = o.dst && !(spec.kind === 'alu' && spec.alu === 'mov') && spec.kind !== 'movsx' && spec.kind !== 'lddw' && spec.kind !== 'ldx' && spec.kind !== 'ldxs';
    if (o.src && !written.has(x.src)) read.add(x.src);
    if (dstRead && !written.has(x.dst)) read.add(x.dst);
    if (o.dst && spec.writesDst) written.add(x.dst);
  }
  return read;
}

/** A register's entry kind from its static states: one constant, a scalar, or undefined for a pointer. */
export function entryKindOf(states: readonly AbsState[] | undefined): EntryKind | undefined {
  if (!states || states.length === 0) return undefined;
  if (states.every((x) => x.kind === 'const') && states.every((x) => x.value === states[0]!.value)) return `const:0x${states[0]!.value!.toString(16)}`;
  return states.every((x) => x.kind === 'scalar' || x.kind === 'const') ? 'scalar' : undefined;
}

export type { ProvedRewrite };

export interface LearnContext {
  program: Program;
  impl: Z3Impl;
  rlimit?: number;
  provenance: Omit<Provenance, 'learnedAt'>;
  /** Epoch ms after which no further rewrite is learned (a time-bounded run's end); the rest are counted as skipped. */
  deadlineAt?: number;
}

/** `skipped`: rewrites not tried because the deadline had passed. */
export interface LearnOutcome { rules: Rule[]; notProved: number; skipped: number }

/** Rules from the search's proved rewrites, each re-proved before it is returned. */
export function learnRules(rewrites: readonly ProvedRewrite[], ctx: LearnContext): LearnOutcome {
  const rules = new Map<string, Rule>();
  let notProved = 0;
  let skipped = 0;
  for (const r of rewrites) {
    if (ctx.deadlineAt !== undefined && Date.now() >= ctx.deadlineAt) { skipped++; continue; }
    const t = trimmedWindow(r);
    if (!t) continue;
    const rule = learnOne(r, t[0], t[1], ctx) ?? (t[0] !== r.s || t[1] !== r.e ? learnOne(r, r.s, r.e, ctx) : undefined);
    if (rule) rules.set(rule.id, rule); else notProved++;
  }
  return { rules: [...rules.values()], notProved, skipped };
}

function learnOne(r: ProvedRewrite, s: number, e: number, ctx: LearnContext): Rule | undefined {
  const pattern = r.start.slice(s, e + 1).map((x) => ({ ...x }));
  const replacement = r.rewritten.slice(s, e + 1).map((x) => ({ ...x }));
  const states = analyzeStates(r.start, ctx.program).before[s]!;
  const lv = liveness(r.start, ctx.program.maps);
  let liveReal = 0;
  for (const t of exitSlots(r.start, s, e)) if (t < r.start.length) liveReal |= lv.regs[t]!;
  const saved = pattern.filter((x) => !isNop(x)).length - replacement.filter((x) => !isNop(x)).length;
  const base = {
    witness: {
      name: ctx.program.name, maps: ctx.program.maps, start: Buffer.from(encodeProgram(r.start)).toString('hex'), s, e,
      ...(ctx.program.progType !== undefined ? { progType: ctx.program.progType } : {}),
      ...(ctx.program.k2InputType !== undefined ? { k2InputType: ctx.program.k2InputType } : {}),
      ...(ctx.program.maxPktSize !== undefined ? { maxPktSize: ctx.program.maxPktSize } : {}),
    },
    saved, msToFind: Math.round(r.ms), fires: 0,
    provenance: { ...ctx.provenance, learnedAt: new Date().toISOString() },
  };
  for (const general of generalisations(pattern, replacement, states, liveReal)) {
    const rule: Rule = { ...base, ...general, id: ruleId(general), shape: shapeOf(general.pattern), witness: { ...base.witness, regs: general.regs } };
    delete (rule as Partial<typeof general>).regs;
    if (proveRule(rule, ctx.impl, ctx.rlimit).ok) return widened(rule, ctx);
  }
  // Concrete: the instructions as they are; entry kinds of r0…r10 for the record, liveness enforced.
  const reads = new Set([...readsBeforeWrites(pattern), ...readsBeforeWrites(replacement)]);
  const entry: EntryKind[] = Array.from({ length: 11 }, (_, k) => (reads.has(k) ? entryKindOf(states[k]) ?? 'any' : 'any'));
  const pre = { entry, liveOut: liveReal };
  const rule: Rule = { ...base, generality: 'concrete', pattern, replacement, pre, id: ruleId({ generality: 'concrete', pattern, replacement, pre }), shape: shapeOf(pattern) };
  return proveRule(rule, ctx.impl, ctx.rlimit).ok ? rule : undefined;
}

/**
 * Most one widening step may take (a stack shift is proved at up to 64 shifts, 2.5–10 ms each on
 * the rules measured, results/rules/general.md): a rule whose proofs are slower stays less general
 * rather than hold up learning.
 */
const WIDEN_CAP_MS = 5_000;

/**
 * A proved `registers` rule made more general where Z3 proves it so: its immediates as parameters
 * (all candidate values at once, else each that proves), then its stack offsets shiftable. Each
 * step that does not prove (or meets the learning deadline) leaves the rule as it was: still
 * useful, only less general.
 */
export function widened(rule: Rule, ctx: Pick<LearnContext, 'impl' | 'rlimit' | 'deadlineAt'>): Rule {
  let out = rule;
  const tryWith = (extra: Pick<Rule, 'imms'> | Pick<Rule, 'stackShift'>): boolean => {
    const deadline = Math.min(ctx.deadlineAt ?? Infinity, Date.now() + WIDEN_CAP_MS);
    if (Date.now() >= deadline) return false;
    const cand = { ...out, ...extra };
    if (!proveGeneral(cand, ctx.impl, ctx.rlimit, deadline).ok) return false;
    out = { ...cand, id: ruleId(cand) };
    return true;
  };
  const imms = immParamsOf(rule.pattern, rule.replacement).slice(0, MAX_ABSTRACT_REGS - rule.pre.entry.length);
  // All values at once; when that fails, one value at a time, keeping each that still proves
  // (`a = 0; … a = 1; …` may hold for any second value but not for any first one).
  if (imms.length > 0 && !tryWith({ imms }) && imms.length > 1) {
    const kept: typeof imms = [];
    for (const p of imms) if (tryWith({ imms: [...kept, p] })) kept.push(p);
  }
  const stackShift = shiftRangeOf(rule.pattern, rule.replacement);
  if (stackShift) tryWith({ stackShift });
  return out;
}

/** A store to the stack at a fixed offset from r10 (the one memory access a `registers` rule may have: prove.ts observes it). */
function isStackStore(x: Insn): boolean {
  const kind = specOf(x.op, x.src, x.off, x.imm)?.kind;
  return (kind === 'st' || kind === 'stx') && x.dst === FRAME_POINTER;
}

/**
 * The `registers` forms worth proving, most general first: every read register any scalar, then
 * with the constants the analysis knows. None when the window is not straight-line scalar code
 * (stores to the stack at fixed offsets allowed), reads r10 otherwise or reads a pointer, or the replacement uses a register the pattern does not.
 */
function generalisations(pattern: Insn[], replacement: Insn[], states: readonly (readonly AbsState[] | undefined)[], liveReal: number) {
  const code = [...pattern, ...replacement].filter((x) => !isNop(x));
  if (code.some((x) => !SCALAR_KINDS.has(specOf(x.op, x.src, x.off, x.imm)?.kind ?? '') && !isStackStore(x))) return [];
  const a = abstractRegisters(pattern, replacement);
  if (a.regs.length > MAX_ABSTRACT_REGS || a.regs.includes(FRAME_POINTER)) return [];
  const inPattern = abstractRegisters(pattern, []).regs;
  if (a.regs.length !== inPattern.length) return [];
  if (code.some((x) => (x.dst === FRAME_POINTER && !isStackStore(x)) || (regOperands(x).src && x.src === FRAME_POINTER))) return [];
  const reads = new Set([...readsBeforeWrites(pattern), ...readsBeforeWrites(replacement)]);
  const kinds = a.regs.map((real) => (reads.has(real) ? entryKindOf(states[real]) : 'any' as EntryKind));
  if (kinds.some((k) => k === undefined)) return [];
  let liveOut = 0;
  a.regs.forEach((real, id) => { if ((liveReal >> real) & 1) liveOut |= 1 << id; });
  const scalarOnly = kinds.map((k) => (k!.startsWith('const:') ? 'scalar' : k!) as EntryKind);
  const forms = [scalarOnly, kinds as EntryKind[]].filter((k, i, all) => i === 0 || k.join() !== all[0]!.join());
  return forms.map((entry) => ({ generality: 'registers' as const, pattern: a.pattern, replacement: a.replacement, pre: { entry, liveOut }, regs: a.regs }));
}
