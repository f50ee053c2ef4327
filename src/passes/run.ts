/**
 * The pass driver: rounds of every selected pass until a round changes nothing (or the deadline).
 * Each pass proposes window rewrites on the current program; each proposal is applied only when the
 * whole rewritten program passes the safety check and the window proof (the search's proof: equal
 * from every state the program reaches there, on everything live after) says "equal". Proposals
 * whose windows overlap one already applied in the same pass call wait for the next round; a
 * proposal once refused is not asked again. Deterministic for a given program, pass list and Z3.
 */
import { encodeProgram, type Insn } from '../ebpf/insn.js';
import { realInsnCount } from '../ebpf/k2-isa.js';
import { changesFrozen, type Program } from '../ebpf/program.js';
import { InputError } from '../ebpf/errors.js';
import { windowQuery, type EquivalenceChecker } from '../search/equivalence.js';
import { PassContext } from './context.js';
import { reachableSlots, sameInsn } from './insns.js';
import { isNop, NOP } from '../ebpf/k2-isa.js';
import { PASSES } from './registry.js';

export const PASS_NAMES: readonly string[] = PASSES.map((p) => p.name);

/** `all`, `none` or a comma list of pass names (in any order; they run in the registry's order). */
export function parsePassList(text: string): string[] {
  const t = text.trim();
  if (t === 'all') return [...PASS_NAMES];
  if (t === 'none' || t === '') return [];
  const names = t.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const n of names) if (!PASS_NAMES.includes(n)) throw new InputError(`--passes: unknown pass '${n}' (have: all, none, ${PASS_NAMES.join(', ')})`);
  return PASS_NAMES.filter((n) => names.includes(n));
}

/** The RunReport's credit of one pass. */
export interface PassCredit {
  pass: string;
  /** Rewrites proved and applied. */
  applied: number;
  /** Real instructions (slots that are not NOPs) the applied rewrites removed. */
  removed: number;
  /** Proposals the safety check or the proof refused (never applied). */
  rejected: number;
  ms: number;
}

export interface PassesOutcome {
  insns: Insn[];
  credits: PassCredit[];
  rounds: number;
  proofs: number;
  ms: number;
  /** The deadline ended the passes before a fixed point. */
  timedOut: boolean;
  /** Why no pass ran (the input itself fails the safety check: no rewrite of it could pass). */
  skipped?: string;
}

export interface PassesOptions {
  passes: readonly string[];
  /** A window prover (Z3, with window queries). */
  checker: EquivalenceChecker;
  /** Safety check of a whole candidate program. */
  safe: (insns: readonly Insn[]) => boolean;
  /** After `safe` passed a program with loops: the loop copies its check proved enough (for the window proof). */
  loopCopies?: () => number | undefined;
  /** Epoch ms after which no new proof starts. */
  deadlineAt?: number;
  maxRounds?: number;
}

export function runPasses(program: Program, opts: PassesOptions): PassesOutcome {
  const t0 = performance.now();
  const selected = PASSES.filter((p) => opts.passes.includes(p.name));
  const credits = selected.map((p): PassCredit => ({ pass: p.name, applied: 0, removed: 0, rejected: 0, ms: 0 }));
  const refused = new Set<string>();
  let cur = program.insns.map((x) => ({ ...x }));
  let rounds = 0, proofs = 0, timedOut = false;
  if (!opts.safe(cur)) return { insns: cur, credits, rounds, proofs, ms: Math.round((performance.now() - t0) * 100) / 100, timedOut, skipped: 'the input fails the safety check' };
  const late = (): boolean => opts.deadlineAt !== undefined && Date.now() >= opts.deadlineAt;
  for (let changed = true; changed && rounds < (opts.maxRounds ?? 12) && !timedOut;) {
    changed = false;
    rounds++;
    for (let k = 0; k < selected.length && !timedOut; k++) {
      const pass = selected[k]!, credit = credits[k]!;
      const p0 = performance.now();
      const proposals = pass.propose(new PassContext(program, cur));
      const taken: [number, number][] = [];
      for (const p of proposals) {
        if (late()) { timedOut = true; break; }
        if (taken.some(([s, e]) => p.s <= e && s <= p.e)) continue;
        if (p.replacement.every((x, j) => sameInsn(x, cur[p.s + j]!))) continue;
        const key = `${pass.name}:${p.s}:${p.e}:${Buffer.from(encodeProgram(p.replacement)).toString('hex')}`;
        if (refused.has(key)) continue;
        const cand = cur.slice();
        for (let j = 0; j < p.replacement.length; j++) cand[p.s + j] = { ...p.replacement[j]! };
        // Code the rewrite leaves unreachable (a decided branch) goes with it: the kernel refuses unreachable code.
        const w = dropUnreachable(cand, p.s, p.e);
        if (changesFrozen(program, cur, cand)) { refused.add(key); continue; } // the object's loader owns those slots
        proofs++;
        if (!opts.safe(cand) || opts.checker.check(cand, program.insns, windowQuery(cur, w.s, w.e, opts.loopCopies?.())).verdict !== 'equal') {
          credit.rejected++;
          refused.add(key);
          continue;
        }
        credit.applied++;
        credit.removed += realInsnCount(cur) - realInsnCount(cand);
        cur = cand;
        taken.push([w.s, w.e]);
        changed = true;
      }
      credit.ms += performance.now() - p0;
    }
  }
  for (const c of credits) c.ms = Math.round(c.ms * 100) / 100;
  return { insns: cur, credits, rounds, proofs, ms: Math.round((performance.now() - t0) * 100) / 100, timedOut };
}

/** NOPs in place of the slots of `insns` no path reaches (in place); the window grown to cover them. */
function dropUnreachable(insns: Insn[], s: number, e: number): { s: number; e: number } {
  const seen = reachableSlots(insns);
  for (let i = 0; i < insns.length; i++) {
    if (seen[i] || isNop(insns[i]!)) continue;
    insns[i] = { ...NOP };
    s = Math.min(s, i); e = Math.max(e, i);
  }
  return { s, e };
}
