/**
 * ebpf — the bottom stage: the one opcode table, the Insn type and its codec, the LLVM-syntax
 * assembler and disassembler, the program loaders (raw bytecode, K2 files, clang objects), and the
 * vocabulary every other stage shares (InputError, the helper table, ABI numbers, K2's proposal
 * ISA and NOP, safety violation codes and error strategies, the hex codec).
 * May import: nothing.
 */
export { InputError, inFile } from './errors.js';
export { decodeProgram, encodeProgram, type Insn } from './insn.js';
export { assemble } from './asm.js';
export { disassemble } from './disasm.js';
export { loadProgram } from './load.js';
export { HELPER_IDS } from './helpers.js';
export { STACK_FRAME_BYTES, MAX_CALL_FRAMES, STACK_REGION_BYTES } from './abi.js';
export { hex, fromHex } from './hex.js';
export { Violation, SafetyViolation, type ErrorStrategy } from './violations.js';
