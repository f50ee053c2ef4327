/**
 * ALU instructions: operand readability, division by an immediate zero, and pointer arithmetic.
 * K2's rules plus the kernel's: mov64 copies a value's kind; add/sub of a constant moves a pointer;
 * add of a register is fine unless both may be pointers; pointer − pointer is a number; anything
 * else touching a pointer (other ops, 32-bit ops, pkt_end/map-handle/unchecked arithmetic) is unsafe.
 */
import type { Insn } from '../ebpf/insn.js';
import type { OpSpec } from '../ebpf/opcodes.js';
import { Violation } from '../ebpf/violations.js';
import type { Core } from './core.js';
import { AUX, CONST_LIMIT, KIND, Kind, MAX_PACKET_OFF, OFF, PTR_OFF_LIMIT, SYM, highOf, isScalarKind, isSlotNumber, lowOf, refineSymbol, setReg } from './types.js';

/** Pointers that may be moved by arithmetic (not pkt_end, map handles, unchecked lookups, Mixed). */
const movable = (k: Kind): boolean => k === Kind.Ctx || k === Kind.Stack || k === Kind.Pkt || k === Kind.MapValue;

function ptrFail(c: Core, pc: number, what: string): Violation {
  return c.errors.fail(Violation.PointerArithmetic, pc, what);
}

export function checkAlu(c: Core, ins: Insn, spec: OpSpec, pc: number): Violation {
  const st = c.st, t = c.t;
  const d = ins.dst, s = ins.src, usesSrc = spec.usesSrcReg;
  if (usesSrc && !st.regReadable(s)) return c.errors.fail(Violation.UnreadableRegister, pc, `r${s} is read but not initialised`);
  const ks = usesSrc ? (t[KIND + s]! as Kind) : Kind.Const;

  if (spec.alu === 'mov' || spec.kind === 'movsx') {
    st.setRegReadable(d, true);
    if (!usesSrc) {
      setReg(t, d, Kind.Const, 0, spec.width === 64 ? ins.imm : ins.imm >>> 0, 0);
    } else if (spec.width === 64 && spec.kind === 'alu') {
      setReg(t, d, ks, t[SYM + s]!, t[OFF + s]!, t[AUX + s]!);
    } else {
      if (!isScalarKind(ks)) return ptrFail(c, pc, `r${s}: ${spec.name} of a pointer`);
      const known = spec.kind === 'alu' && ks === Kind.Const && t[SYM + s] === 0;
      setReg(t, d, known ? Kind.Const : Kind.Scalar, 0, known ? t[OFF + s]! >>> 0 : 0, 0);
    }
    return Violation.None;
  }

  if (!st.regReadable(d)) return c.errors.fail(Violation.UnreadableRegister, pc, `r${d} is read but not initialised`);
  const kd = t[KIND + d]! as Kind;
  const op = spec.alu;
  if (!usesSrc && ins.imm === 0 && (op === 'div' || op === 'sdiv' || op === 'mod' || op === 'smod')) {
    return c.errors.fail(Violation.DivisionByZero, pc, `${spec.name} by the immediate 0`);
  }
  // The verifier refuses a shift by an immediate outside [0, width) ("invalid shift").
  if (!usesSrc && (op === 'lsh' || op === 'rsh' || op === 'arsh') && (ins.imm < 0 || ins.imm >= spec.width)) {
    return c.errors.fail(Violation.InvalidInstruction, pc, `${spec.name} by ${ins.imm}: shifts by an immediate must be in [0, ${spec.width})`);
  }
  if ((op === 'add' || op === 'sub') && spec.width === 64) return addSub64(c, ins, op === 'sub', pc);
  if (!isScalarKind(kd) || !isScalarKind(ks)) return ptrFail(c, pc, `${spec.name} on a pointer`);
  // 32-bit add of an immediate to a known number stays known (mov32 + add32 pairs); the rest is unknown.
  if (op === 'add' && spec.width === 32 && !usesSrc && kd === Kind.Const && t[SYM + d] === 0) {
    setReg(t, d, Kind.Const, 0, (t[OFF + d]! + ins.imm) >>> 0, 0);
  } else if ((op === 'lsh' || op === 'rsh') && shiftBounds(c, ins, spec, pc)) {
    // bounded (shiftBounds set d)
  } else if (op === 'and' && !usesSrc && ins.imm >= 0) {
    // x & k with k ≥ 0 lies in [0, k] (as u64 and as s64, for either width): the kernel bounds it so,
    // and packet parsers move pointers by it (`(iph->ihl & 0xf) * 4`).
    if (kd === Kind.Const && t[SYM + d] === 0 && Number.isInteger(t[OFF + d]!)) {
      setReg(t, d, Kind.Const, 0, Number(BigInt(t[OFF + d]!) & BigInt(ins.imm)), 0);
    } else {
      const id = refineSymbol(c.syms, pc, d, true); // a slot's own symbol: ALU slots make no comparison
      c.syms.min[id] = 0;
      c.syms.max[id] = ins.imm;
      setReg(t, d, Kind.Const, id, 0, 0);
    }
  } else {
    setReg(t, d, Kind.Scalar, 0, 0, 0);
  }
  return Violation.None;
}

/** 64-bit add/sub: the only arithmetic allowed on pointers. */
function addSub64(c: Core, ins: Insn, sub: boolean, pc: number): Violation {
  const t = c.t, d = ins.dst, s = ins.src;
  const kd = t[KIND + d]! as Kind;
  const dPtr = !isScalarKind(kd);
  if (!(ins.op & 0x08)) { // immediate
    const off = t[OFF + d]! + (sub ? -ins.imm : ins.imm);
    if (!dPtr) {
      if (kd === Kind.Const && Math.abs(off) <= CONST_LIMIT) t[OFF + d] = off;
      else setReg(t, d, Kind.Scalar, 0, 0, 0);
      return Violation.None;
    }
    if (!movable(kd)) return ptrFail(c, pc, `arithmetic on r${d}, a pointer that cannot be moved`);
    if (Math.abs(off) > PTR_OFF_LIMIT) return ptrFail(c, pc, `pointer offset ${off} out of range`);
    t[OFF + d] = off;
    return Violation.None;
  }
  const ks = t[KIND + s]! as Kind;
  const sPtr = !isScalarKind(ks);
  if (dPtr && sPtr) {
    if (!sub) return ptrFail(c, pc, `r${d} += r${s}: both may be pointers`);
    setReg(t, d, Kind.Scalar, 0, 0, 0); // pointer difference
    return Violation.None;
  }
  if (!dPtr && !sPtr) {
    scalarAddSub(c, d, s, sub);
    return Violation.None;
  }
  if (sub && sPtr) return ptrFail(c, pc, `r${d} -= r${s}: a number minus a pointer`);
  // pointer ± number; the result lands in d (for number + pointer, the pointer is s).
  const p = dPtr ? d : s, n = dPtr ? s : d;
  const kp = t[KIND + p]! as Kind;
  if (!movable(kp)) return ptrFail(c, pc, `arithmetic on r${p}, a pointer that cannot be moved`);
  const kn = t[KIND + n]! as Kind;
  const psym = t[SYM + p]!, nsym = t[SYM + n]!;
  const noff = t[OFF + n]!;
  if (kn === Kind.Const && nsym === 0) {
    const off = t[OFF + p]! + (sub ? -noff : noff);
    if (Math.abs(off) > PTR_OFF_LIMIT) return ptrFail(c, pc, `pointer offset ${off} out of range`);
    setReg(t, d, kp, psym, off, t[AUX + p]!);
  } else if (!sub && kn === Kind.Const && psym === 0 && varOffsetOk(c, kp, nsym, noff + t[OFF + p]!)) {
    if (kp === Kind.Pkt && isSlotNumber(c.syms, nsym)) {
      // pkt + a ranged number: a pointer of its own (the kernel gives it a fresh id), so a bounds check
      // on one such pointer says nothing about another made from the same number.
      const id = refineSymbol(c.syms, pc, d, true);
      c.syms.min[id] = lowOf(c.syms, nsym, noff + t[OFF + p]!);
      c.syms.max[id] = highOf(c.syms, nsym, noff + t[OFF + p]!);
      setReg(t, d, kp, id, 0, t[AUX + p]!);
    } else setReg(t, d, kp, nsym, noff + t[OFF + p]!, t[AUX + p]!);
  } else if (!sub && kn === Kind.Const && psym !== 0 && nsym !== 0 && varOffsetOk(c, kp, -1, 0, sumRange(c, p, n))) {
    // Both the pointer and the number vary (a header behind a variable-length one): the sum is a
    // fresh number of this slot with the summed range (relations to the two are given up).
    const [lo, hi] = sumRange(c, p, n);
    const id = refineSymbol(c.syms, pc, d, true);
    c.syms.min[id] = lo;
    c.syms.max[id] = hi;
    setReg(t, d, kp, id, 0, t[AUX + p]!);
  } else if (kn !== Kind.Const || lowOf(c.syms, nsym, noff) < -PTR_OFF_LIMIT || highOf(c.syms, nsym, noff) > PTR_OFF_LIMIT) {
    // The kernel refuses pointer math with a number it cannot bound ("math between … pointer and register with unbounded min value").
    return ptrFail(c, pc, `r${p} ${sub ? '-' : '+'} r${n}: a pointer moved by a number we cannot bound`);
  } else {
    setReg(t, d, Kind.Mixed, 0, 0, 0); // a pointer at an offset we do not track: not dereferenceable
  }
  return Violation.None;
}

/** The range of register p's offset plus register n's value. */
function sumRange(c: Core, p: number, n: number): [number, number] {
  const t = c.t;
  return [lowOf(c.syms, t[SYM + p]!, t[OFF + p]!) + lowOf(c.syms, t[SYM + n]!, t[OFF + n]!), highOf(c.syms, t[SYM + p]!, t[OFF + p]!) + highOf(c.syms, t[SYM + n]!, t[OFF + n]!)];
}

/** Packet and map-value pointers may take a bounded symbolic offset (checked again at each access). */
function varOffsetOk(c: Core, k: Kind, sym: number, off: number, range?: [number, number]): boolean {
  const lo = range ? range[0] : lowOf(c.syms, sym, off), hi = range ? range[1] : highOf(c.syms, sym, off);
  if (k === Kind.Pkt) return lo >= 0 && hi <= MAX_PACKET_OFF;
  return k === Kind.MapValue && lo >= -PTR_OFF_LIMIT && hi <= PTR_OFF_LIMIT;
}

/** Number ± number, keeping "symbol + constant" where it stays exact. */
function scalarAddSub(c: Core, d: number, s: number, sub: boolean): void {
  const t = c.t;
  if (t[KIND + d] !== Kind.Const || t[KIND + s] !== Kind.Const) {
    setReg(t, d, Kind.Scalar, 0, 0, 0);
    return;
  }
  const sd = t[SYM + d]!, ss = t[SYM + s]!;
  const off = sub ? t[OFF + d]! - t[OFF + s]! : t[OFF + d]! + t[OFF + s]!;
  let sym: number;
  if (ss === 0) sym = sd;
  else if (!sub && sd === 0) sym = ss;
  else if (sub && sd === ss) sym = 0;
  else sym = -1;
  if (sym < 0 || Math.abs(off) > CONST_LIMIT) setReg(t, d, Kind.Scalar, 0, 0, 0);
  else setReg(t, d, Kind.Const, sym, off, 0);
}

/** d ← the range of a non-negative number shifted by a known amount (or a bounded one), when it stays exact; false: not known. */
function shiftBounds(c: Core, ins: Insn, spec: OpSpec, pc: number): boolean {
  const t = c.t, d = ins.dst;
  if (t[KIND + d] !== Kind.Const) return false;
  const lo = lowOf(c.syms, t[SYM + d]!, t[OFF + d]!), hi = highOf(c.syms, t[SYM + d]!, t[OFF + d]!);
  let a: number, b: number;
  if (spec.usesSrcReg) {
    if (t[KIND + ins.src] !== Kind.Const) return false;
    a = lowOf(c.syms, t[SYM + ins.src]!, t[OFF + ins.src]!);
    b = highOf(c.syms, t[SYM + ins.src]!, t[OFF + ins.src]!);
  } else a = b = ins.imm;
  // A 32-bit shift works on the low half: exact here only when the number already fits it (and a left shift stays in it).
  const limit = spec.width === 32 ? 2 ** 32 - 1 : CONST_LIMIT;
  if (!(lo >= 0 && hi <= limit && a >= 0 && b < spec.width && Number.isInteger(lo) && Number.isInteger(hi))) return false;
  let nlo: number, nhi: number;
  if (spec.alu === 'lsh') { nlo = lo * 2 ** a; nhi = hi * 2 ** b; if (nhi > limit) return false; } else { nlo = Math.floor(lo / 2 ** b); nhi = Math.floor(hi / 2 ** a); }
  if (nlo === nhi) { setReg(t, d, Kind.Const, 0, nlo, 0); return true; }
  const id = refineSymbol(c.syms, pc, d, true);
  c.syms.min[id] = nlo;
  c.syms.max[id] = nhi;
  setReg(t, d, Kind.Const, id, 0, 0);
  return true;
}
