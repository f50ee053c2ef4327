/**
 * Conditional jumps: operand readability, and what each edge proves — a null check turns a map
 * lookup result into a value pointer on one edge and 0 on the other (for every copy of it); a
 * comparison of a packet pointer with data_end proves packet bytes present on one edge.
 */
import type { Insn } from '../ebpf/insn.js';
import type { OpSpec } from '../ebpf/opcodes.js';
import { Violation } from '../ebpf/violations.js';
import type { Core } from './core.js';
import {
  AUX, KIND, Kind, MAX_PACKET_OFF, OFF, PKT_RANGE, SYM, addFact, highOf, isSlotNumber, lowOf, refineSymbol, setReg, type Symbols, type TypeState,
} from './types.js';

export function checkJcondOperands(c: Core, ins: Insn, spec: OpSpec, pc: number): Violation {
  if (!c.st.regReadable(ins.dst)) return c.errors.fail(Violation.UnreadableRegister, pc, `r${ins.dst} is compared but not initialised`);
  if (spec.usesSrcReg && !c.st.regReadable(ins.src)) return c.errors.fail(Violation.UnreadableRegister, pc, `r${ins.src} is compared but not initialised`);
  // A comparison whose outcome depends on where the kernel placed two objects (ctx vs packet, two map
  // values, a pointer vs a number) cannot be proved either way: only null checks, packet vs data_end
  // and pointers into the same object are compared. (The kernel lets privileged programs do more.)
  const kd = c.t[KIND + ins.dst]! as Kind;
  if (!spec.usesSrcReg) {
    if (kd > Kind.Const && ins.imm !== 0) return c.errors.fail(Violation.PointerLeak, pc, `r${ins.dst} (a pointer) is compared with a number`);
    return Violation.None;
  }
  const ks = c.t[KIND + ins.src]! as Kind;
  if (kd <= Kind.Const && ks <= Kind.Const) return Violation.None;
  const pkt = (k: Kind): boolean => k === Kind.Pkt || k === Kind.PktEnd;
  if ((pkt(kd) && pkt(ks)) || (kd === ks && (kd === Kind.Stack || kd === Kind.Ctx))) return Violation.None;
  return c.errors.fail(Violation.PointerLeak, pc, `r${ins.dst} and r${ins.src}: a comparison of pointers into different objects (or a pointer and a number)`);
}

/** Applies what the edge (taken or fall-through) of this jump proves to `t`. */
export function refineEdge(t: TypeState, syms: Symbols, ins: Insn, spec: OpSpec, taken: boolean, slot: number): void {
  if (spec.width !== 64) return;
  const cond = spec.cond;
  if (!spec.usesSrcReg) {
    if (ins.imm !== 0 || (cond !== 'jeq' && cond !== 'jne') || t[KIND + ins.dst] !== Kind.MapValueOrNull) {
      boundScalar(t, syms, ins, cond, taken, slot);
      return;
    }
    const isNull = (cond === 'jeq') === taken;
    const id = t[SYM + ins.dst]!;
    for (let r = 0; r < 11; r++) {
      if (t[KIND + r] !== Kind.MapValueOrNull || t[SYM + r] !== id) continue;
      if (isNull) setReg(t, r, Kind.Const, 0, 0, 0);
      else setReg(t, r, Kind.MapValue, 0, 0, t[AUX + r]!);
    }
    return;
  }
  const kd = t[KIND + ins.dst], ks = t[KIND + ins.src];
  let proven: boolean;
  let p: number;
  if (kd === Kind.Pkt && ks === Kind.PktEnd) {
    p = ins.dst; // pkt' OP data_end
    proven = cond === 'jgt' || cond === 'jge' ? !taken : (cond === 'jlt' || cond === 'jle') && taken;
  } else if (kd === Kind.PktEnd && ks === Kind.Pkt) {
    p = ins.src; // data_end OP pkt'
    proven = cond === 'jgt' || cond === 'jge' ? taken : (cond === 'jlt' || cond === 'jle') && !taken;
  } else {
    return;
  }
  if (proven) markRange(t, syms, p);
  // The other edge says pkt' ≥ data_end: the kernel marks that register as past the end (mark_pkt_end)
  // and refuses any access through it, whatever was proved before; we stop treating it as a pointer.
  else if (cond === 'jgt' || cond === 'jge' || cond === 'jlt' || cond === 'jle') setReg(t, p, Kind.Mixed, 0, 0, 0);
}

/**
 * An unsigned comparison of a number with a non-negative immediate bounds it from above on one edge
 * (`if r2 > 7552 goto` → r2 ∈ [0, 7552] on the fall-through, as the kernel's reg_set_min_max): the
 * register becomes a fresh symbol with the narrowed range, so a map-value or packet pointer may be moved
 * by it (bcc's execsnoop indexes its 7,720-byte value so). Only that register: copies keep their
 * (wider) range, which errs on the safe side. The symbol is this slot's and edge's (refineSymbol): without
 * back edges each slot runs at most once per execution, so it names one number per run.
 */
function boundScalar(t: TypeState, syms: Symbols, ins: Insn, cond: string | undefined, taken: boolean, slot: number): void {
  const d = ins.dst, k = t[KIND + d]! as Kind;
  if ((k !== Kind.Scalar && k !== Kind.Const) || ins.imm < 0) return; // a negative imm is a huge unsigned bound
  let hi: number;
  if (cond === 'jgt' && !taken) hi = ins.imm;
  else if (cond === 'jge' && !taken) hi = ins.imm - 1;
  else if (cond === 'jlt' && taken) hi = ins.imm - 1;
  else if (cond === 'jle' && taken) hi = ins.imm;
  else return;
  const sym = t[SYM + d]!, off = t[OFF + d]!;
  if (k === Kind.Const && sym === 0) return; // already one known number
  // As u64 the value is ≤ hi, so as a signed number it lies in [0, hi] too.
  const lo = k === Kind.Const ? Math.max(0, lowOf(syms, sym, off)) : 0;
  if (k === Kind.Const) hi = Math.min(hi, highOf(syms, sym, off));
  if (hi < lo) return; // the edge cannot be taken: keeping the wider value is sound
  const id = refineSymbol(syms, slot, d, taken);
  syms.min[id] = lo;
  syms.max[id] = hi;
  setReg(t, d, Kind.Const, id, 0, 0);
}

/**
 * pkt + sym + off ≤ data_end holds: bytes [0, off) past pkt + sym are present. For the strict
 * comparisons one more byte would be, which we do not claim (as older kernels did not).
 */
function markRange(t: TypeState, syms: Symbols, p: number): void {
  const sym = t[SYM + p]!, off = t[OFF + p]!;
  // The kernel learns no range when the pointer may lie more than MAX_PACKET_OFF past pkt
  // (find_good_pkt_pointers: umax + off > 0xffff); the soundness harness found xdp1 with r4 = pkt + n + 65535.
  if (highOf(syms, sym, off) > MAX_PACKET_OFF) return;
  if (sym !== 0 && off > 0 && off <= MAX_PACKET_OFF) addFact(t, sym, off);
  if (isSlotNumber(syms, sym)) return; // a pointer of its own: its check proves nothing for fixed offsets
  const fixed = lowOf(syms, sym, off);
  if (fixed > t[PKT_RANGE]! && fixed <= MAX_PACKET_OFF) t[PKT_RANGE] = fixed;
}

/**
 * A comparison of two known numbers (a constant register with an immediate or another constant
 * register), decided as the machine would: 1 taken, 0 not taken, −1 not known. Constants are exact
 * signed 64-bit values (types.ts CONST_LIMIT); the kernel prunes such edges the same way
 * (is_branch_taken), which is what lets a loop's counter end it (unroll.ts).
 */
export function decideConst(t: TypeState, ins: Insn, spec: OpSpec): number {
  const d = ins.dst;
  if (t[KIND + d] !== Kind.Const || t[SYM + d] !== 0) return -1;
  let b: number;
  if (spec.usesSrcReg) {
    if (t[KIND + ins.src] !== Kind.Const || t[SYM + ins.src] !== 0) return -1;
    b = t[OFF + ins.src]!;
  } else b = ins.imm; // sign-extended to 64 bits, as the machine does
  if (!Number.isInteger(t[OFF + d]!) || !Number.isInteger(b)) return -1;
  const w = spec.width === 32 ? 32 : 64;
  const ua = BigInt.asUintN(w, BigInt(t[OFF + d]!)), ub = BigInt.asUintN(w, BigInt(b));
  const sa = BigInt.asIntN(w, ua), sb = BigInt.asIntN(w, ub);
  let r: boolean;
  switch (spec.cond) {
    case 'jeq': r = ua === ub; break;
    case 'jne': r = ua !== ub; break;
    case 'jset': r = (ua & ub) !== 0n; break;
    case 'jgt': r = ua > ub; break;
    case 'jge': r = ua >= ub; break;
    case 'jlt': r = ua < ub; break;
    case 'jle': r = ua <= ub; break;
    case 'jsgt': r = sa > sb; break;
    case 'jsge': r = sa >= sb; break;
    case 'jslt': r = sa < sb; break;
    case 'jsle': r = sa <= sb; break;
    default: return -1;
  }
  return r ? 1 : 0;
}
