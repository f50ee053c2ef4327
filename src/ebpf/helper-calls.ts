/**
 * Recognising helper calls in bytecode (opcode 0x85 with src = CALL_KIND.HELPER, imm = the helper id
 * of the helper table), for stages that treat one helper specially.
 */
import { HELPER_IDS } from './helpers.js';
import type { Insn } from './insn.js';
import { CALL_KIND, Opcode } from './opcodes.js';


export function isHelperCall(i: Insn, id: number): boolean {
  return i.op === Opcode.CALL && i.src === CALL_KIND.HELPER && i.imm === id;
}

/**
 * get_prandom_u32 call sites: an input carries one random u32 for each (the interpreter's inputs and
 * the SMT encoding's symbolic randoms; in a loop-free program each site runs at most once).
 */
export function prandomCallSites(insns: readonly Insn[]): number {
  let n = 0;
  for (const i of insns) if (isHelperCall(i, HELPER_IDS.get_prandom_u32)) n++;
  return n;
}
