/** LLVM-syntax disassembler (placeholder; being written). */
import type { Insn } from './insn.js';

export function disassemble(insns: readonly Insn[]): string[] {
  return insns.map((i) => `op 0x${i.op.toString(16)}`);
}
