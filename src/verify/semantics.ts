/**
 * SMT semantics of the opcode table: one function per row kind (alu, neg, movsx, endian, bswap,
 * jcond, ldx/ldxs, st/stx, atomic, lddw, ldabs/ldind), reading the row's fields (alu, cond, width,
 * size, usesSrcReg, atomic, fetch) exactly as the interpreter does: 32-bit results zero-extended,
 * shift amounts masked, division by zero → 0, modulo by zero → dst unchanged.
 */
import type { Insn } from '../ebpf/insn.js';
import type { AluOp, JmpCond, OpSpec } from '../ebpf/opcodes.js';
import type { SymEnv } from './env.js';
import { bytesToValue, inferAlts, loadBytes, pointerReg, storeBytes, valueToBytes, Unsupported, type FaultSink } from './memory.js';
import type { Alt, Reg, SymState } from './state.js';
import type { Term, TermBuilder } from './term.js';
import { Pseudo } from '../ebpf/opcodes.js';

export interface Ctx { env: SymEnv; s: SymState; reach: Term; sink: FaultSink }

/** The second operand: src register or the immediate (sign-extended to the width). */
function operand(tb: TermBuilder, c: Ctx, ins: Insn, spec: OpSpec, w: number): Term {
  if (spec.usesSrcReg) return tb.resize(c.s.regs[ins.src]!.v, w);
  return tb.bv(BigInt(ins.imm), w);
}

export function aluOp(tb: TermBuilder, op: AluOp, w: number, a: Term, b: Term): Term {
  const zero = tb.bv(0, w);
  const amount = (): Term => tb.and_(b, tb.bv(w - 1, w));
  switch (op) {
    case 'add': return tb.add(a, b);
    case 'sub': return tb.sub(a, b);
    case 'mul': return tb.mul(a, b);
    case 'div': return tb.ite(tb.eq(b, zero), zero, tb.udiv(a, b));
    case 'sdiv': return tb.ite(tb.eq(b, zero), zero, tb.sdiv(a, b));
    case 'mod': return tb.ite(tb.eq(b, zero), a, tb.urem(a, b));
    case 'smod': return tb.ite(tb.eq(b, zero), a, tb.srem(a, b));
    case 'or': return tb.or_(a, b);
    case 'and': return tb.and_(a, b);
    case 'xor': return tb.xor(a, b);
    case 'lsh': return tb.shl(a, amount());
    case 'rsh': return tb.lshr(a, amount());
    case 'arsh': return tb.ashr(a, amount());
    case 'mov': return b;
    case 'neg': return tb.neg(a);
  }
}

function withProvenance(c: Ctx, v: Term): Reg {
  return pointerReg(c.env, v, inferAlts(c.env, v));
}

/** kind 'alu' and 'neg'. Pointer provenance survives mov64 and 64-bit add/sub of a scalar. */
export function alu(c: Ctx, ins: Insn, spec: OpSpec): void {
  const tb = c.env.tb;
  const w = spec.width;
  const dst = c.s.regs[ins.dst]!;
  const a = tb.resize(dst.v, w);
  const b = spec.kind === 'neg' ? a : operand(tb, c, ins, spec, w);
  const r = tb.resize(aluOp(tb, spec.alu!, w, a, b), 64);
  let alts: readonly Alt[] | undefined;
  if (w === 64) {
    const src = spec.usesSrcReg ? c.s.regs[ins.src]! : undefined;
    if (spec.alu === 'mov') alts = src?.alts;
    else if ((spec.alu === 'add' || spec.alu === 'sub') && dst.alts && !src?.alts) {
      alts = dst.alts.map((x) => ({ ...x, off: spec.alu === 'add' ? tb.add(x.off, b) : tb.sub(x.off, b) }));
    } else if (spec.alu === 'add' && !dst.alts && src?.alts) {
      alts = src.alts.map((x) => ({ ...x, off: tb.add(x.off, a) }));
    }
  }
  c.s.regs[ins.dst] = alts ? pointerReg(c.env, r, alts) : withProvenance(c, r);
}

/** kind 'movsx': sign-extend the low `size` bytes of src to the width, then zero-extend to 64. */
export function movsx(c: Ctx, ins: Insn, spec: OpSpec): void {
  const tb = c.env.tb;
  const bits = spec.size * 8;
  const x = tb.sext(tb.extract(bits - 1, 0, c.s.regs[ins.src]!.v), spec.width - bits);
  c.s.regs[ins.dst] = { v: tb.resize(x, 64) };
}

function bswap(tb: TermBuilder, v: Term): Term {
  const n = v.sort / 8;
  let out = tb.extract(7, 0, v);
  for (let j = 1; j < n; j++) out = tb.concat(out, tb.extract(8 * j + 7, 8 * j, v));
  return out;
}

/** kinds 'endian' (le: truncate; be: swap) and 'bswap' (always swap); result zero-extended. */
export function endian(c: Ctx, ins: Insn, spec: OpSpec): void {
  const tb = c.env.tb;
  const bits = spec.size * 8;
  const low = tb.extract(bits - 1, 0, c.s.regs[ins.dst]!.v);
  const swap = spec.kind === 'bswap' || spec.name.startsWith('be');
  c.s.regs[ins.dst] = { v: tb.resize(swap ? bswap(tb, low) : low, 64) };
}

export function compare(tb: TermBuilder, cond: JmpCond, a: Term, b: Term): Term {
  switch (cond) {
    case 'jeq': return tb.eq(a, b);
    case 'jne': return tb.not(tb.eq(a, b));
    case 'jgt': return tb.ult(b, a);
    case 'jge': return tb.ule(b, a);
    case 'jlt': return tb.ult(a, b);
    case 'jle': return tb.ule(a, b);
    case 'jsgt': return tb.slt(b, a);
    case 'jsge': return tb.sle(b, a);
    case 'jslt': return tb.slt(a, b);
    case 'jsle': return tb.sle(a, b);
    case 'jset': return tb.not(tb.eq(tb.and_(a, b), tb.bv(0, a.sort)));
  }
}

/** kind 'jcond': the taken-branch condition. */
export function jcond(c: Ctx, ins: Insn, spec: OpSpec): Term {
  const tb = c.env.tb;
  const w = spec.width;
  return compare(tb, spec.cond!, tb.resize(c.s.regs[ins.dst]!.v, w), operand(tb, c, ins, spec, w));
}

/** kinds 'ldx' (zero-extending) and 'ldxs' (sign-extending). */
export function ldx(c: Ctx, ins: Insn, spec: OpSpec): void {
  const tb = c.env.tb;
  const v = bytesToValue(c.env, loadBytes(c.env, c.s, c.reach, c.sink, c.s.regs[ins.src]!, ins.off, spec.size));
  const r = spec.kind === 'ldxs' ? tb.sext(v, 64 - v.sort) : tb.zext(v, 64 - v.sort);
  c.s.regs[ins.dst] = spec.kind === 'ldx' && spec.size >= 4 ? withProvenance(c, r) : { v: r };
}

/** kinds 'st' (sign-extended immediate) and 'stx' (register), truncated to the access size. */
export function store(c: Ctx, ins: Insn, spec: OpSpec): void {
  const tb = c.env.tb;
  const v = spec.kind === 'st' ? tb.bv(BigInt(ins.imm), 64) : c.s.regs[ins.src]!.v;
  storeBytes(c.env, c.s, c.reach, c.sink, c.s.regs[ins.dst]!, ins.off, valueToBytes(c.env, v, spec.size));
}

/** kind 'atomic': read-modify-write; FETCH puts the old value in src; cmpxchg compares with r0. */
export function atomic(c: Ctx, ins: Insn, spec: OpSpec): void {
  const tb = c.env.tb;
  const w = spec.width;
  const base = c.s.regs[ins.dst]!;
  const old = bytesToValue(c.env, loadBytes(c.env, c.s, c.reach, c.sink, base, ins.off, spec.size, true));
  const x = tb.resize(c.s.regs[ins.src]!.v, w);
  let nv: Term;
  switch (spec.atomic!) {
    case 'add': nv = tb.add(old, x); break;
    case 'or': nv = tb.or_(old, x); break;
    case 'and': nv = tb.and_(old, x); break;
    case 'xor': nv = tb.xor(old, x); break;
    case 'xchg': nv = x; break;
    case 'cmpxchg': nv = tb.ite(tb.eq(old, tb.resize(c.s.regs[0]!.v, w)), x, old); break;
  }
  storeBytes(c.env, c.s, c.reach, c.sink, base, ins.off, valueToBytes(c.env, nv, spec.size));
  if (spec.atomic === 'cmpxchg') c.s.regs[0] = { v: tb.resize(old, 64) };
  else if (spec.fetch) c.s.regs[ins.src] = { v: tb.resize(old, 64) };
}

/** kind 'lddw': a 64-bit constant, a map handle (pseudo source 1) or a map value's address (2). */
export function lddw(c: Ctx, ins: Insn, next: Insn | undefined): void {
  const tb = c.env.tb;
  if (ins.src === Pseudo.NONE) {
    const v = tb.bv((BigInt(next?.imm ?? 0) << 32n) | BigInt(ins.imm >>> 0), 64);
    c.s.regs[ins.dst] = withProvenance(c, v);
    return;
  }
  if (ins.src === Pseudo.MAP_FD) {
    const m = c.env.maps.find((x) => x.def.fd === ins.imm);
    if (!m) { c.sink.fault(c.reach); return; }
    c.s.regs[ins.dst] = withProvenance(c, tb.bv(0x3800_0000 + m.def.fd * 16, 64));
    return;
  }
  if (ins.src === Pseudo.MAP_VALUE) {
    // Global data (libbpf's .data/.rodata/.bss maps): the address of entry 0 of a one-entry array
    // plus an offset — the pointer a lookup of key 0 would give, and always present. Its initial
    // bytes stay the map's uninterpreted initial contents, so a proof holds for any contents.
    const m = c.env.maps.find((x) => x.def.fd === ins.imm);
    if (!m) { c.sink.fault(c.reach); return; }
    const off = next?.imm ?? 0;
    if (m.kind !== 'dense' || !m.readable || off < 0 || off >= m.def.valueSize) throw new Unsupported(`map value address into map '${m.def.name}' at offset ${off}`);
    const key = tb.bv(0, m.keyBits);
    c.s.regs[ins.dst] = pointerReg(c.env, tb.bv(m.base + off, 64), [{ g: tb.T, r: { entry: { map: m.index, key } }, off: tb.bv(off, 64) }]);
    return;
  }
  throw new Unsupported(`64-bit load with pseudo source ${ins.src}`);
}
