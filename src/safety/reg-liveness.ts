/**
 * Which registers the safety checker may still look at, per slot (bit r: r is read — its readability
 * or abstract value consulted — on some path from the slot's entry before it is overwritten). The
 * checker's transfer of every other register is independent of the rest: it is touched only by the
 * instruction that writes it and by joins and edge refinements of that register alone, so two flows
 * that differ only in such dead registers reach the same verdict. Conservative: every instruction
 * reads its dst and src fields; only moves, loads, 64-bit loads and helper calls overwrite.
 */
import { LDDW_OPCODE, type Insn } from '../ebpf/insn.js';
import { isNop } from '../ebpf/k2-isa.js';
import { specOf } from '../ebpf/opcodes.js';

const ALL = 0x7ff;
const R1_TO_R5 = 0b111110;
const R0_TO_R5 = 0b111111;
const R10 = 1 << 10;

/** Live-in register masks of slots [0, n) (forward jumps only: one backward pass). */
export function liveRegisters(insns: readonly Insn[]): Uint16Array {
  const n = insns.length;
  const live = new Uint16Array(n + 1);
  const half = new Uint8Array(n + 1);
  for (let i = 0; i + 1 < n; i++) if (!half[i] && insns[i]!.op === LDDW_OPCODE) half[i + 1] = 1;
  for (let i = n - 1; i >= 0; i--) {
    const ins = insns[i]!;
    const next = live[i + 1]!;
    if (half[i] || isNop(ins)) { live[i] = next; continue; }
    const s = specOf(ins.op, ins.src, ins.off, ins.imm);
    const regs = (1 << (ins.dst & 15)) | (1 << (ins.src & 15));
    let out: number;
    if (!s) out = ALL;
    else if (s.kind === 'exit') out = 1 | R10;
    else if (s.kind === 'ja' || s.kind === 'ja32') out = live[i + 1 + (s.kind === 'ja32' ? ins.imm : ins.off)] ?? ALL;
    else if (s.kind === 'jcond') out = next | (live[i + 1 + ins.off] ?? ALL) | regs;
    else if (s.kind === 'call') out = (next & ~R0_TO_R5) | R1_TO_R5;
    else if (s.kind === 'lddw') out = next & ~(1 << ins.dst); // `next` is its second half's: the slot after
    else if (s.alu === 'mov' || s.kind === 'movsx') out = (next & ~(1 << ins.dst)) | (s.usesSrcReg ? 1 << ins.src : 0);
    else if (s.kind === 'ldx' || s.kind === 'ldxs') out = (next & ~(1 << ins.dst)) | (1 << ins.src);
    else if (s.kind === 'ldabs' || s.kind === 'ldind') out = ALL;
    else if (s.kind === 'atomic') out = next | regs | 1; // cmpxchg compares r0
    else out = next | regs;
    live[i] = (out | R10) & ALL;
  }
  return live;
}
