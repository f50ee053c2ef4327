/**
 * Redundant loads and stores in straight-line code: a load from the slot a register was just stored
 * to or loaded from (same base register and offset, same size, nothing in between that may write
 * memory or change the registers involved) becomes a register move (or nothing, when it is the same
 * register); a store of the value the slot already holds goes. Helper calls and other stores end the
 * scan: they may write the slot.
 */
import type { Insn } from '../ebpf/insn.js';
import { isNop, NOP } from '../ebpf/k2-isa.js';
import { slotPass, type Pass, type PassContext } from './context.js';
import { at, ins, isControl, movConst, MOV32_REG, MOV64_REG, regEffects, specAt, writesMemory, type Proposal } from './insns.js';
import { Opcode } from '../ebpf/opcodes.js';

const SCAN = 32;

/** What an earlier instruction says the slot [base + off] of `size` bytes holds, scanning back from j. */
function knownSlot(ctx: PassContext, j: number, base: number, off: number, size: number): { reg: number; loaded: boolean } | { value: bigint } | undefined {
  const insns = ctx.insns;
  if (ctx.targets.has(j)) return undefined;
  let written = 0; // registers written between the earlier instruction and j
  for (let k = j - 1; k >= 0 && k >= j - SCAN; k--) {
    const x = insns[k]!, spec = specAt(x);
    if (isNop(x)) { if (ctx.targets.has(k)) return undefined; continue; }
    if (!spec) return undefined;
    if (x.op === 0 && k > 0 && insns[k - 1]!.op === Opcode.LDDW) continue; // LDDW's second half
    if (isControl(spec)) return undefined;
    const eff = regEffects(x, spec);
    const sameSlot = x.off === off && spec.size === size;
    if ((spec.kind === 'stx' || spec.kind === 'st') && x.dst === base && !(written >> base & 1)) {
      if (sameSlot) {
        if (spec.kind === 'st') return { value: size === 8 ? BigInt.asUintN(64, BigInt(x.imm)) : BigInt.asUintN(size * 8, BigInt(x.imm)) };
        return written >> x.src & 1 ? undefined : { reg: x.src, loaded: false };
      }
      if (x.off + spec.size <= off || off + size <= x.off) { written |= eff.writes; if (ctx.targets.has(k)) return undefined; continue; }
      return undefined;
    }
    if (spec.kind === 'ldx' && x.src === base && sameSlot && !(written >> base & 1)) {
      return written >> x.dst & 1 || x.dst === base ? undefined : { reg: x.dst, loaded: true };
    }
    if (writesMemory(spec)) return undefined;
    written |= eff.writes;
    if (ctx.targets.has(k)) return undefined;
  }
  return undefined;
}

function proposeAt(ctx: PassContext, j: number): Proposal | undefined {
  const x = ctx.insns[j]!, spec = specAt(x);
  if (!spec) return undefined;
  if (spec.kind === 'ldx' && (spec.size === 8 || spec.size === 4) && x.dst !== x.src) {
    const k = knownSlot(ctx, j, x.src, x.off, spec.size);
    if (!k) return undefined;
    if ('value' in k) { const m = movConst(x.dst, k.value); return m ? at(j, m) : undefined; }
    // An earlier load of the same size already zero-extended its register: a 64-bit move copies it.
    const wide = spec.size === 8 || k.loaded;
    if (k.reg === x.dst && wide) return at(j, { ...NOP });
    return at(j, ins(wide ? MOV64_REG : MOV32_REG, x.dst, k.reg, 0, 0));
  }
  if (spec.kind === 'stx') {
    const k = knownSlot(ctx, j, x.dst, x.off, spec.size);
    if (k && 'reg' in k && k.reg === x.src) return at(j, { ...NOP });
  }
  return undefined;
}

export const redundantLoads: Pass = slotPass('redundant-loads', 'reloads of a just-stored or just-loaded slot become moves; stores of what a slot holds go', proposeAt);

export type { Insn };
