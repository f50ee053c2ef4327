/**
 * Seeded single mutations of a program, the kinds a careless rewrite makes: a changed immediate,
 * offset or register, a dropped instruction (jumps across it adjusted), two neighbours swapped, and
 * a changed helper argument (the last write of an argument register before a call); for the
 * safety comparison also a removed check and another return value. Plain data
 * out: the mutant's slots and what was done, so a failure can be replayed.
 */
import { LDDW_OPCODE, type Insn } from '../ebpf/insn.js';
import { helperArgCount } from '../ebpf/helpers.js';
import { specOf } from '../ebpf/opcodes.js';
import type { Rng } from '../common/rng.js';

export const MUTATION_KINDS = ['imm', 'off', 'reg', 'drop', 'swap', 'helper-arg'] as const;
/** Plus the edits that most often break what the verifier checks: a removed check, another return value. */
export const UNSAFE_KINDS = [...MUTATION_KINDS, 'check', 'ret'] as const;
export type MutationKind = (typeof UNSAFE_KINDS)[number];

export interface Mutant { kind: MutationKind; slot: number; insns: Insn[]; what: string }

const IMMS = [0, 1, -1, 2, 4, 8, 14, 16, 0xff, 0xffff, 0x7fffffff];
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)]!;

/** Slots that start an instruction (not the second half of a 64-bit load). */
function heads(insns: readonly Insn[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < insns.length; i++) {
    out.push(i);
    if (insns[i]!.op === LDDW_OPCODE) i++;
  }
  return out;
}

const kindOf = (x: Insn): string | undefined => specOf(x.op, x.src, x.off, x.imm)?.kind;
const isJump = (x: Insn): boolean => { const k = kindOf(x); return k === 'jcond' || k === 'ja'; };
const isPlain = (x: Insn): boolean => { const k = kindOf(x); return k !== undefined && k !== 'jcond' && k !== 'ja' && k !== 'ja32' && k !== 'exit' && k !== 'lddw' && k !== 'call'; };

function newImm(rng: Rng, imm: number): number {
  const u = rng.int(4);
  const v = u === 0 ? imm + 1 : u === 1 ? imm - 1 : u === 2 ? imm ^ (1 << rng.int(8)) : pick(rng, IMMS);
  return v | 0;
}

/** Where slot j's jump, subprogram call or callback reference lands (undefined: it has none). */
function targetOf(x: Insn, j: number): number | undefined {
  const k = kindOf(x);
  if (k === 'jcond' || k === 'ja') return j + 1 + x.off;
  if (k === 'ja32' || (k === 'call' && x.src === 1) || (x.op === LDDW_OPCODE && x.src === 4)) return j + 1 + x.imm;
  return undefined;
}

/** The program without slot i, every jump, call and callback reference across it (either way) fixed. */
function drop(insns: readonly Insn[], i: number): Insn[] {
  const out: Insn[] = [];
  insns.forEach((x, j) => {
    if (j === i) return;
    const t = targetOf(x, j);
    if (t === undefined || (j < i) === (t <= i)) { out.push({ ...x }); return; }
    const delta = j < i ? -1 : 1;
    const k = kindOf(x);
    out.push(k === 'jcond' || k === 'ja' ? { ...x, off: x.off + delta } : { ...x, imm: x.imm + delta });
  });
  return out;
}

/** One mutation of `kind` (undefined when the program has no slot it applies to). */
export function mutateOnce(rng: Rng, insns: readonly Insn[], kind: MutationKind): Mutant | undefined {
  const hs = heads(insns);
  const copy = (): Insn[] => insns.map((x) => ({ ...x }));
  switch (kind) {
    case 'imm': {
      const slots = hs.filter((i) => { const k = kindOf(insns[i]!); return k !== 'exit' && k !== 'call' && k !== 'lddw' && k !== 'ja' && !(k === 'jcond' && specOf(insns[i]!.op, 0, 0, 0)?.usesSrcReg); });
      if (slots.length === 0) return undefined;
      const i = pick(rng, slots), out = copy();
      out[i]!.imm = newImm(rng, out[i]!.imm);
      return { kind, slot: i, insns: out, what: `slot ${i}: imm ${insns[i]!.imm} → ${out[i]!.imm}` };
    }
    case 'off': {
      const slots = hs.filter((i) => { const k = kindOf(insns[i]!); return k === 'ldx' || k === 'ldxs' || k === 'st' || k === 'stx' || k === 'atomic' || k === 'jcond' || k === 'ja'; });
      if (slots.length === 0) return undefined;
      const i = pick(rng, slots), out = copy();
      out[i]!.off = out[i]!.off + pick(rng, [-8, -4, -2, -1, 1, 2, 4, 8]);
      return { kind, slot: i, insns: out, what: `slot ${i}: off ${insns[i]!.off} → ${out[i]!.off}` };
    }
    case 'reg': {
      const slots = hs.filter((i) => { const k = kindOf(insns[i]!); return k !== undefined && k !== 'exit' && k !== 'call' && k !== 'ja'; });
      if (slots.length === 0) return undefined;
      const i = pick(rng, slots), out = copy();
      const field = rng.int(2) === 0 ? 'dst' : 'src';
      out[i]![field] = pick(rng, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].filter((r) => r !== insns[i]![field]));
      return { kind, slot: i, insns: out, what: `slot ${i}: ${field} r${insns[i]![field]} → r${out[i]![field]}` };
    }
    case 'drop': {
      const slots = hs.filter((i) => isPlain(insns[i]!));
      if (slots.length === 0) return undefined;
      const i = pick(rng, slots);
      return { kind, slot: i, insns: drop(insns, i), what: `slot ${i} dropped` };
    }
    case 'swap': {
      const slots = hs.filter((i) => i + 1 < insns.length && isPlain(insns[i]!) && isPlain(insns[i + 1]!));
      if (slots.length === 0) return undefined;
      const i = pick(rng, slots), out = copy();
      [out[i], out[i + 1]] = [out[i + 1]!, out[i]!];
      return { kind, slot: i, insns: out, what: `slots ${i} and ${i + 1} swapped` };
    }
    case 'helper-arg': {
      // The last instruction before a call that writes one of its argument registers.
      const sites: number[] = [];
      for (const c of hs) {
        const x = insns[c]!;
        if (kindOf(x) !== 'call' || x.src !== 0) continue;
        const nargs = helperArgCount(x.imm);
        for (let j = c - 1; j >= Math.max(0, c - 12); j--) {
          const y = insns[j]!;
          if (!isPlain(y)) break;
          if (y.dst >= 1 && y.dst <= nargs && kindOf(y) === 'alu') { sites.push(j); break; }
        }
      }
      if (sites.length === 0) return undefined;
      const i = pick(rng, sites), out = copy();
      const usesSrc = specOf(out[i]!.op, out[i]!.src, out[i]!.off, out[i]!.imm)?.usesSrcReg;
      if (usesSrc) out[i]!.src = pick(rng, [0, 6, 7, 8, 9, 10].filter((r) => r !== out[i]!.src));
      else out[i]!.imm = rng.int(2) ? out[i]!.imm + pick(rng, [-8, 8, -4, 4, 1]) : newImm(rng, out[i]!.imm);
      return { kind, slot: i, insns: out, what: `slot ${i} (helper argument r${out[i]!.dst}): ${usesSrc ? `src r${insns[i]!.src} → r${out[i]!.src}` : `imm ${insns[i]!.imm} → ${out[i]!.imm}`}` };
    }
    case 'check': {
      // A conditional jump (a null, bounds or range check) made always taken or never taken.
      const slots = hs.filter((i) => kindOf(insns[i]!) === 'jcond' && insns[i]!.off !== 0);
      if (slots.length === 0) return undefined;
      const i = pick(rng, slots), out = copy();
      const taken = rng.int(2) === 0;
      out[i] = { op: 0x05, dst: 0, src: 0, off: taken ? insns[i]!.off : 0, imm: 0 };
      return { kind, slot: i, insns: out, what: `slot ${i}: check ${taken ? 'always taken' : 'removed'}` };
    }
    case 'ret': {
      // The instruction before an exit replaced by r0 = imm (return values the program type may forbid).
      const slots = hs.filter((i) => i + 1 < insns.length && kindOf(insns[i + 1]!) === 'exit' && isPlain(insns[i]!));
      if (slots.length === 0) return undefined;
      const i = pick(rng, slots), out = copy();
      out[i] = { op: 0xb7, dst: 0, src: 0, off: 0, imm: pick(rng, [-1, 2, 3, 7, 0x7fffffff]) };
      return { kind, slot: i, insns: out, what: `slot ${i}: r0 = ${out[i]!.imm} before the exit` };
    }
  }
}

/** A mutant of a random applicable kind (tries the kinds in a random order). */
export function mutate(rng: Rng, insns: readonly Insn[], kinds: readonly MutationKind[] = MUTATION_KINDS): Mutant | undefined {
  const order = [...kinds];
  for (let k = order.length - 1; k > 0; k--) { const j = rng.int(k + 1); [order[k], order[j]] = [order[j]!, order[k]!]; }
  for (const kind of order) { const m = mutateOnce(rng, insns, kind); if (m) return m; }
  return undefined;
}
