/**
 * Instruction helpers the passes share: building instructions, which registers an instruction reads
 * and writes, jump targets, and constants as instructions. The analyses here only propose rewrites;
 * the window proof decides, so they may be approximate but should rarely propose what fails.
 */
import type { Insn } from '../ebpf/insn.js';
import { Opcode, specOf, type OpSpec } from '../ebpf/opcodes.js';
import { isNop } from '../ebpf/k2-isa.js';

export const ins = (op: number, dst: number, src: number, off: number, imm: number): Insn => ({ op, dst, src, off, imm });
export const specAt = (x: Insn): OpSpec | undefined => specOf(x.op, x.src, x.off, x.imm);
export { sameInsn } from '../ebpf/insn.js';

export const MOV64_IMM = 0xb7, MOV64_REG = 0xbf, MOV32_IMM = 0xb4, MOV32_REG = 0xbc, JA = 0x05;
const ARGS = 0b111110, CALLER_SAVED = 0b111111;

/** Registers read (bit r) and written by `x`; helper and local calls read r1–r5 and clobber r0–r5. */
export function regEffects(x: Insn, spec = specAt(x)): { reads: number; writes: number } {
  if (!spec || isNop(x)) return { reads: 0, writes: 0 };
  const d = 1 << x.dst, s = 1 << x.src;
  switch (spec.kind) {
    case 'alu':
      if (spec.alu === 'mov') return { reads: spec.usesSrcReg ? s : 0, writes: d };
      return { reads: d | (spec.usesSrcReg ? s : 0), writes: d };
    case 'neg': case 'endian': case 'bswap': return { reads: d, writes: d };
    case 'movsx': return { reads: s, writes: d };
    case 'jcond': return { reads: d | (spec.usesSrcReg ? s : 0), writes: 0 };
    case 'ja': case 'ja32': return { reads: 0, writes: 0 };
    case 'exit': return { reads: 1, writes: 0 };
    case 'call': case 'callx': return { reads: ARGS | (spec.kind === 'callx' ? d : 0), writes: CALLER_SAVED };
    case 'lddw': return { reads: 0, writes: d };
    case 'ldx': case 'ldxs': return { reads: s, writes: d };
    case 'st': return { reads: d, writes: 0 };
    case 'stx': return { reads: d | s, writes: 0 };
    case 'atomic':
      if (spec.atomic === 'cmpxchg') return { reads: d | s | 1, writes: 1 };
      return { reads: d | s, writes: spec.fetch ? s : 0 };
    case 'ldabs': case 'ldind': return { reads: (1 << 6) | (spec.kind === 'ldind' ? s : 0), writes: CALLER_SAVED };
    default: return { reads: 0x7ff, writes: 0x7ff };
  }
}

/** Whether the instruction transfers control (a local scan stops after it). */
export function isControl(spec: OpSpec | undefined): boolean {
  return !spec || spec.kind === 'jcond' || spec.kind === 'ja' || spec.kind === 'ja32' || spec.kind === 'exit' || spec.kind === 'call' || spec.kind === 'callx';
}

/** Whether the instruction may write memory (stores, atomics, calls). */
export function writesMemory(spec: OpSpec | undefined): boolean {
  return !spec || spec.kind === 'st' || spec.kind === 'stx' || spec.kind === 'atomic' || spec.kind === 'call' || spec.kind === 'callx';
}

/** Slots some jump lands on (a local scan may not run past one: another path enters there). */
export function jumpTargets(insns: readonly Insn[]): Set<number> {
  const out = new Set<number>();
  for (let i = 0; i < insns.length; i++) {
    const x = insns[i]!, spec = specAt(x);
    if (!spec || isNop(x)) continue;
    if (spec.kind === 'jcond' || spec.kind === 'ja') out.add(i + 1 + x.off);
    else if (spec.kind === 'ja32') out.add(i + 1 + x.imm);
    else if (spec.kind === 'call' && x.src === 1) out.add(i + 1 + x.imm);
  }
  return out;
}

/** The slot after `i` in straight-line order (LDDW takes two). */
export const nextSlot = (insns: readonly Insn[], i: number): number => (insns[i]!.op === Opcode.LDDW ? i + 2 : i + 1);

/** `dst = v` as one instruction: mov64 of a sign-extended imm32, or mov32 (zero-extends) of a u32. */
export function movConst(dst: number, v: bigint): Insn | undefined {
  const u = BigInt.asUintN(64, v);
  const s32 = BigInt.asIntN(32, u);
  if (BigInt.asUintN(64, s32) === u) return ins(MOV64_IMM, dst, 0, 0, Number(s32));
  if (u < 1n << 32n) return ins(MOV32_IMM, dst, 0, 0, Number(BigInt.asIntN(32, u)));
  return undefined;
}

/** The imm32 whose sign extension is `v` (64-bit operands), or undefined. */
export function imm64(v: bigint): number | undefined {
  const u = BigInt.asUintN(64, v);
  const s32 = BigInt.asIntN(32, u);
  return BigInt.asUintN(64, s32) === u ? Number(s32) : undefined;
}

/** A proposal's window: slots s…e of the current program replaced by `replacement` (same length). */
export interface Proposal { s: number; e: number; replacement: Insn[] }

/** A one-slot proposal. */
export const at = (i: number, x: Insn): Proposal => ({ s: i, e: i, replacement: [x] });

/** Slots a path from the entry reaches (jumps, both ways of a branch, local calls; exit ends a path). */
export function reachableSlots(insns: readonly Insn[]): boolean[] {
  const seen = new Array<boolean>(insns.length).fill(false);
  const todo = [0];
  while (todo.length > 0) {
    const i = todo.pop()!;
    if (i < 0 || i >= insns.length || seen[i]) continue;
    seen[i] = true;
    const x = insns[i]!, spec = specAt(x);
    if (!spec) { todo.push(i + 1); continue; }
    switch (spec.kind) {
      case 'exit': break;
      case 'ja': todo.push(i + 1 + x.off); break;
      case 'ja32': todo.push(i + 1 + x.imm); break;
      case 'jcond': todo.push(i + 1, i + 1 + x.off); break;
      case 'lddw': seen[i + 1] = true; todo.push(i + 2); break;
      case 'call': if (x.src === 1) todo.push(i + 1 + x.imm); todo.push(i + 1); break;
      default: todo.push(i + 1);
    }
  }
  return seen;
}
