/**
 * Z3 proofs of rules, through the verifier's public checker only.
 * - On the witness: the rule's window query again, on the program and window it was learned from.
 * - In general (`registers` rules): a synthetic XDP program loads every scalar the pattern reads
 *   from the packet (fully symbolic 64-bit values; constants where the precondition fixes one),
 *   runs the pattern and returns one register live after it in r0; the same with the replacement
 *   must be equal as a whole program, for each live register. Proved under two register assignments (one
 *   the reverse of the other), so the rule is shown to hold for any values meeting its
 *   preconditions and not to depend on which registers carry them.
 *   Immediate parameters are symbolic too: each is a 32-bit packet value sign-extended into a spare
 *   register, and its K-form slots become the X-form on that register (the same operation: K-forms
 *   sign-extend their immediate; shifts are never parameters). A stack-shift rule is proved so at
 *   every shift of its range.
 */
import type { Insn } from '../ebpf/insn.js';
import { decodeProgram } from '../ebpf/insn.js';
import type { Program } from '../ebpf/program.js';
import { createZ3Checker, type Z3Impl } from '../verify/checker.js';
import { Alu, Cls, Jmp, Opcode, specOf, Src } from '../ebpf/opcodes.js';
import { generalFieldsProblem, shiftInsns, shiftsOf } from './general.js';
import { FRAME_POINTER, instantiate, type Rule } from './rule.js';

/** Registers an abstract id can be given in the synthetic program (r6 holds the packet pointer, r7 its end). */
const ASSIGNABLE = [2, 3, 4, 5, 8, 9, 0, 1] as const;
export const MAX_ABSTRACT_REGS = ASSIGNABLE.length;

export interface ProofOutcome { ok: boolean; detail: string }

const ins = (op: number, dst: number, src: number, off: number, imm: number): Insn => ({ op, dst, src, off, imm });
const XDP_DATA = 0, XDP_DATA_END = 4;

/** What one general proof compares in r0: an abstract register, a stack dword (offset), or nothing. */
export type Observed = { reg: number } | { stack: number } | undefined;

/**
 * The 8-byte-aligned stack dwords a rule's stores touch (stores based on r10 are the only memory
 * access a `registers` rule may have): the synthetic program fills them with symbolic values first.
 */
export function stackDwords(rule: Pick<Rule, 'pattern' | 'replacement'>): number[] {
  const out = new Set<number>();
  for (const x of [...rule.pattern, ...rule.replacement]) {
    const spec = specOf(x.op, x.src, x.off, x.imm);
    if (!spec || (spec.kind !== 'st' && spec.kind !== 'stx') || x.dst !== FRAME_POINTER) continue;
    for (let d = Math.floor(x.off / 8) * 8; d <= Math.floor((x.off + spec.size - 1) / 8) * 8; d += 8) out.add(d);
  }
  return [...out].sort((a, b) => a - b);
}

/** Immediate parameters in a synthetic program: the register of each, and its slots in the body. */
export interface SyntheticParams { regs: readonly number[]; slots: readonly (readonly number[])[] }

/** A K-form slot as the X-form on register `r` (ALU: the source bit; `st`: `stx`). */
function onRegister(x: Insn, r: number): Insn {
  const op = (x.op & 0x07) === Cls.ST ? (x.op & ~0x07) | Cls.STX : x.op | Src.X;
  return { ...x, op, src: r, imm: 0 };
}

/**
 * The synthetic program around `body` (pattern or replacement, abstract ids) with registers `regs`:
 * the stack dwords the rule touches, the scalars it reads and its parameters come from the packet;
 * it returns what `observe` names in r0 (r0 = 2 when undefined).
 */
export function syntheticProgram(body: readonly Insn[], rule: Pick<Rule, 'pre' | 'pattern' | 'replacement'>, regs: readonly number[], observe?: Observed, params: SyntheticParams = { regs: [], slots: [] }): Insn[] {
  const k = rule.pre.entry.length;
  const dwords = stackDwords(rule);
  const out: Insn[] = [
    ins(0x61, 6, 1, XDP_DATA, 0), // r6 = data
    ins(0x61, 7, 1, XDP_DATA_END, 0), // r7 = data_end
    ins(0xbf, 8, 6, 0, 0), // r8 = r6
    ins(0x07, 8, 0, 0, 8 * Math.max(k + dwords.length + params.regs.length, 1)), // r8 += 8(k + dwords + params)
  ];
  const tail: Insn[] = [];
  // Stack dwords first (through r0, which a register load may overwrite afterwards).
  dwords.forEach((d, j) => out.push(ins(0x79, 0, 6, 8 * (k + j), 0), ins(0x7b, FRAME_POINTER, 0, d, 0)));
  for (let a = 0; a < k; a++) {
    const kind = rule.pre.entry[a]!;
    const r = regs[a]!;
    if (kind.startsWith('const:')) {
      const v = BigInt(kind.slice(6));
      out.push(ins(Opcode.LDDW, r, 0, 0, Number(BigInt.asIntN(32, v))), ins(0x00, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n))));
    } else if (kind === 'scalar') out.push(ins(0x79, r, 6, 8 * a, 0)); // r = *(u64 *)(r6 + 8a)
    if ((rule.pre.liveOut >> a) & 1) tail.push(ins(0x7b, 6, r, 8 * a, 0)); // *(u64 *)(r6 + 8a) = r
  }
  // Each parameter: a 32-bit packet value, sign-extended to 64 bits as a K-form's immediate is.
  params.regs.forEach((r, m) => out.push(ins(0x61, r, 6, 8 * (k + dwords.length + m), 0), ins(Cls.ALU64 | Alu.LSH | Src.K, r, 0, 0, 32), ins(Cls.ALU64 | Alu.ARSH | Src.K, r, 0, 0, 32)));
  const loads = out.splice(4);
  const run = instantiate(body, regs);
  params.slots.forEach((slots, m) => { for (const i of slots) run[i] = onRegister(run[i]!, params.regs[m]!); });
  const result = observe === undefined ? ins(0xb7, 0, 0, 0, 2)
    : 'reg' in observe ? ins(0xbf, 0, regs[observe.reg]!, 0, 0) : ins(0x79, 0, FRAME_POINTER, observe.stack, 0);
  const code = [...loads, ...run, ...tail, result, ins(Opcode.EXIT, 0, 0, 0, 0)];
  // if r8 > r7 goto the exit with r0 = 0 (past the code)
  return [...out, ins(Cls.JMP | Jmp.JGT | Src.X, 8, 7, code.length, 0), ...code, ins(Cls.ALU64 | Alu.MOV | Src.K, 0, 0, 0, 0), ins(Opcode.EXIT, 0, 0, 0, 0)];
}

function syntheticTarget(insns: Insn[]): Program {
  return { name: 'rule', source: 'rule', insns, maps: [], progType: 'xdp' };
}

/**
 * The general proof of a `registers` rule (see the module comment), at every shift of its stack
 * range (0 first, then the extremes); not proved when `deadlineAt` (epoch ms) passes first.
 */
export function proveGeneral(rule: Rule, impl: Z3Impl, rlimit?: number, deadlineAt?: number): ProofOutcome {
  // The synthetic program checks no bounds: a shift range past the stack or a parameter on a shift must be refused here.
  const problem = generalFieldsProblem(rule);
  if (problem) return { ok: false, detail: problem };
  const shifts = rule.stackShift ? shiftsOf(rule.stackShift) : [0];
  for (const d of shifts) {
    if (deadlineAt !== undefined && Date.now() >= deadlineAt) return { ok: false, detail: `deadline before shift ${d}` };
    const at = d === 0 ? rule : { ...rule, pattern: shiftInsns(rule.pattern, d), replacement: shiftInsns(rule.replacement, d) };
    const o = proveAtShift(at, impl, rlimit);
    if (!o.ok) return rule.stackShift ? { ok: false, detail: `shift ${d}: ${o.detail}` } : o;
  }
  const params = rule.imms?.length ? ` with ${rule.imms.length} immediate parameter(s)` : '';
  const shifted = rule.stackShift ? ` at ${shifts.length} stack shift(s)` : '';
  return { ok: true, detail: `general${params}${shifted}: 2 register assignments × ${observationsOf(rule).length} observation(s)` };
}

/** One proof per live register and per stack dword the rule stores to (nothing observed: r0 = 2). */
function observationsOf(rule: Rule): Observed[] {
  const k = rule.pre.entry.length;
  const observed: Observed[] = [];
  for (let a = 0; a < k; a++) if ((rule.pre.liveOut >> a) & 1) observed.push({ reg: a });
  for (const d of stackDwords(rule)) observed.push({ stack: d });
  if (observed.length === 0) observed.push(undefined);
  return observed;
}

function proveAtShift(rule: Rule, impl: Z3Impl, rlimit?: number): ProofOutcome {
  const k = rule.pre.entry.length;
  const imms = rule.imms ?? [];
  if (k + imms.length > MAX_ABSTRACT_REGS) return { ok: false, detail: `${k} registers and ${imms.length} parameters: more than ${MAX_ABSTRACT_REGS}` };
  const paramRegs = ASSIGNABLE.slice(k, k + imms.length);
  const forward = ASSIGNABLE.slice(0, k);
  const assignments = [forward, [...forward].reverse()];
  // One proof per live register, returned in r0: the whole-program query compares r0 exactly (its
  // packet comparison missed a differing 64-bit store in our tests, so the proof does not rely on it).
  // Every stack dword the rule stores to is compared too (the rule holds whatever they held before).
  const observed = observationsOf(rule);
  for (const regs of assignments) {
    for (const o of observed) {
      const original = syntheticProgram(rule.pattern, rule, regs, o, { regs: paramRegs, slots: imms.map((p) => p.pattern) });
      const candidate = syntheticProgram(rule.replacement, rule, regs, o, { regs: paramRegs, slots: imms.map((p) => p.replacement) });
      const checker = createZ3Checker(syntheticTarget(original), { impl, cache: false, ...(rlimit !== undefined ? { rlimit } : {}) });
      const r = checker.check(candidate, original);
      if (r.verdict !== 'equal') return { ok: false, detail: `registers ${regs.map((x) => `r${x}`).join(',')}${o === undefined ? '' : 'reg' in o ? `, a${o.reg} live` : `, stack ${o.stack}`}: ${r.verdict}${checker.last?.reason ? ` (${checker.last.reason})` : ''}` };
    }
  }
  return { ok: true, detail: 'general' };
}

/** The witness program of a rule, and its start and rewritten instruction lists. */
export function witnessOf(rule: Rule): { program: Program; start: Insn[]; rewritten: Insn[] } {
  const w = rule.witness;
  const start = decodeProgram(Buffer.from(w.start, 'hex'));
  const concrete = rule.generality === 'registers' ? instantiate(rule.replacement, w.regs ?? []) : rule.replacement;
  const rewritten = start.slice();
  for (let i = 0; i < concrete.length; i++) rewritten[w.s + i] = { ...concrete[i]! };
  const program: Program = {
    name: w.name, source: w.name, insns: start, maps: w.maps,
    ...(w.progType !== undefined ? { progType: w.progType } : {}),
    ...(w.k2InputType !== undefined ? { k2InputType: w.k2InputType } : {}),
    ...(w.maxPktSize !== undefined ? { maxPktSize: w.maxPktSize } : {}),
  };
  return { program, start, rewritten };
}

/** The window proof on the rule's witness. */
export function proveOnWitness(rule: Rule, impl: Z3Impl, rlimit?: number): ProofOutcome {
  const { program, start, rewritten } = witnessOf(rule);
  const checker = createZ3Checker(program, { impl, cache: false, ...(rlimit !== undefined ? { rlimit } : {}) });
  const r = checker.check(rewritten, start, { start, s: rule.witness.s, e: rule.witness.e });
  return r.verdict === 'equal' ? { ok: true, detail: 'witness window' } : { ok: false, detail: `witness window: ${r.verdict}${checker.last?.reason ? ` (${checker.last.reason})` : ''}` };
}

/** Every proof a stored rule must pass: the witness, and for `registers` rules the general proof. */
export function proveRule(rule: Rule, impl: Z3Impl, rlimit?: number): ProofOutcome {
  const w = proveOnWitness(rule, impl, rlimit);
  if (!w.ok || rule.generality === 'concrete') return w;
  const g = proveGeneral(rule, impl, rlimit);
  return g.ok ? { ok: true, detail: `${w.detail} + ${g.detail}` } : g;
}
