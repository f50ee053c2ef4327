/** LLVM-syntax text assembler (placeholder; being written). */
import { InputError } from './errors.js';
import type { Insn } from './insn.js';

export function assemble(_text: string): Insn[] {
  throw new InputError('the text assembler is not built yet');
}
