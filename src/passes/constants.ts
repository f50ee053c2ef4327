/**
 * Constant folding and propagation: an ALU result the static analysis knows becomes `mov r, C`; a
 * register operand with a known value becomes an immediate (ALU, conditional jumps, stack stores),
 * and a branch whose outcome is known becomes `ja` or a NOP. These rarely save an instruction by
 * themselves; they make the definitions they read dead for the dead-code pass.
 */
import type { Insn } from '../ebpf/insn.js';
import type { AluOp, JmpCond } from '../ebpf/opcodes.js';
import { slotPass, type PassContext, type Pass } from './context.js';
import { at, imm64, ins, JA, movConst, specAt, type Proposal } from './insns.js';
import { NOP } from '../ebpf/k2-isa.js';

const M64 = (1n << 64n) - 1n;

/** dst op src at `width` bits (kernel semantics), or undefined for operations not folded here. */
export function foldAlu(op: AluOp, width: 32 | 64, a: bigint, b: bigint): bigint | undefined {
  const w = BigInt(width), mask = (1n << w) - 1n;
  a &= mask; b &= mask;
  const sh = b & (w - 1n);
  const signed = (v: bigint): bigint => BigInt.asIntN(width, v);
  let r: bigint;
  switch (op) {
    case 'add': r = a + b; break;
    case 'sub': r = a - b; break;
    case 'mul': r = a * b; break;
    case 'div': r = b === 0n ? 0n : a / b; break;
    case 'mod': r = b === 0n ? a : a % b; break;
    case 'or': r = a | b; break;
    case 'and': r = a & b; break;
    case 'xor': r = a ^ b; break;
    case 'lsh': r = a << sh; break;
    case 'rsh': r = a >> sh; break;
    case 'arsh': r = signed(a) >> sh; break;
    case 'mov': r = b; break;
    default: return undefined;
  }
  return BigInt.asUintN(64, r & mask) & M64;
}

/** Whether `a cond b` holds (operands already cut to the jump's width). */
export function jumpTaken(cond: JmpCond, width: 32 | 64, a: bigint, b: bigint): boolean {
  const mask = (1n << BigInt(width)) - 1n;
  a &= mask; b &= mask;
  const sa = BigInt.asIntN(width, a), sb = BigInt.asIntN(width, b);
  switch (cond) {
    case 'jeq': return a === b;
    case 'jne': return a !== b;
    case 'jgt': return a > b;
    case 'jge': return a >= b;
    case 'jlt': return a < b;
    case 'jle': return a <= b;
    case 'jset': return (a & b) !== 0n;
    case 'jsgt': return sa > sb;
    case 'jsge': return sa >= sb;
    case 'jslt': return sa < sb;
    case 'jsle': return sa <= sb;
  }
}

/** Operation bits of the jump that tests `b op a` for `a op b`. */
const FLIP: Record<JmpCond, number> = {
  jeq: 0x10, jne: 0x50, jset: 0x40, jgt: 0xa0, jlt: 0x20, jge: 0xb0, jle: 0x30, jsgt: 0xc0, jslt: 0x60, jsge: 0xd0, jsle: 0x70,
};

/** The immediate standing for `v` as a `width`-bit operand, or undefined. */
const immFor = (width: 32 | 64, v: bigint): number | undefined => (width === 32 ? Number(BigInt.asIntN(32, v)) : imm64(v));

function proposeAt(ctx: PassContext, i: number): Proposal | undefined {
  const x = ctx.insns[i]!, spec = specAt(x);
  if (!spec) return undefined;
  const c = (r: number): bigint | undefined => ctx.constAt(i, r);
  const immVal = (): bigint => BigInt(x.imm);
  if (spec.kind === 'alu' && spec.alu !== 'neg' && x.off === 0) {
    const b = spec.usesSrcReg ? c(x.src) : immVal();
    const a = spec.alu === 'mov' ? 0n : c(x.dst);
    if (b !== undefined && a !== undefined) {
      const v = foldAlu(spec.alu!, spec.width, a, b);
      const m = v === undefined ? undefined : movConst(x.dst, v);
      if (m && !(spec.alu === 'mov' && !spec.usesSrcReg)) return at(i, m);
    }
    if (spec.usesSrcReg && b !== undefined && x.src !== x.dst) {
      const imm = immFor(spec.width, b);
      if (imm !== undefined) return at(i, ins(x.op & ~0x08, x.dst, 0, 0, imm));
    }
    return undefined;
  }
  if (spec.kind === 'jcond') {
    const b = spec.usesSrcReg ? c(x.src) : BigInt.asUintN(64, immVal());
    const a = c(x.dst);
    if (a !== undefined && b !== undefined) {
      return at(i, jumpTaken(spec.cond!, spec.width, a, b) ? ins(JA, 0, 0, x.off, 0) : { ...NOP });
    }
    if (spec.usesSrcReg && b !== undefined) {
      const imm = immFor(spec.width, b);
      if (imm !== undefined) return at(i, ins(x.op & ~0x08, x.dst, 0, x.off, imm));
    }
    // A known left operand: the comparison turned around, so the constant becomes the immediate.
    if (spec.usesSrcReg && a !== undefined && x.src !== x.dst) {
      const imm = immFor(spec.width, a);
      const flipped = FLIP[spec.cond!];
      if (imm !== undefined) return at(i, ins((x.op & 0x07) | flipped, x.src, 0, x.off, imm));
    }
    return undefined;
  }
  if (spec.kind === 'stx' && ctx.storeImmOk(i, x.dst)) {
    const v = c(x.src);
    if (v === undefined) return undefined;
    const imm = spec.size === 8 ? imm64(v) : Number(BigInt.asIntN(32, v));
    if (imm !== undefined) return at(i, ins(x.op - 1, x.dst, 0, x.off, imm)); // stx → st of the same size
  }
  return undefined;
}

export const constants: Pass = slotPass('constants', 'constant folding and propagation (known results as mov, known operands as immediates, decided branches)', proposeAt);

export type { Insn };
