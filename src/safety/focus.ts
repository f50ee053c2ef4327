/**
 * The window-focused check's saved analysis (SafetyChecker.focus): `start`'s state at the window's
 * first slot, pass 1's per-slot results, and — when the window neither jumps nor is jumped into —
 * `start`'s state right after the window, where a candidate's flow that arrives in the same state
 * can stop (the rest of the flow is `start`'s, which is safe).
 */
import { LDDW_OPCODE, type Insn } from '../ebpf/insn.js';
import type { OpSpec } from '../ebpf/opcodes.js';
import { NUM_REGS, type SafetyState } from './state.js';
import type { TypeState } from './types.js';

/** The stack frame's bytes whose readability the safety state tracks. */
const STACK_BYTES = 512;

/** `start`'s state at slot e + 1 (fall-through from the window), its rest known safe. */
export interface After { live: boolean; st: SafetyState; t: TypeState }

/** `start`'s analysis at slot s of a window [s, e] (see SafetyChecker.focus). */
export interface Focus {
  start: readonly Insn[]; s: number; e: number; n: number;
  /** Whether slot s is reachable along the fall-through edge, and the state there. */
  live: boolean; st: SafetyState; t: TypeState;
  /** Pending in-states of the slots ≥ s that jumps before s reach. */
  pending: { slot: number; st: SafetyState; t: TypeState }[];
  symMin: Float64Array; symMax: Float64Array;
  /** Pass 1's per-slot results for `start`. */
  specs: (OpSpec | undefined)[]; groups: Uint8Array; targets: Int32Array; half: Uint8Array;
  after?: After | undefined;
}

/**
 * Whether `insns` holds `f.start`'s instruction objects outside the window (candidates copy them),
 * 64-bit loads in the same window slots as `start` (so the same slots are second halves, pass 1's
 * `half` flags hold), and — when the window starts at a load's second half — that half as in
 * `start` (the saved state at s has the load's value).
 */
export function fitsFocus(insns: readonly Insn[], f: Focus): boolean {
  const start = f.start, s = f.s;
  for (let i = 0; i < s; i++) if (insns[i] !== start[i]) return false;
  for (let i = s; i <= f.e; i++) if ((insns[i]!.op === LDDW_OPCODE) !== (start[i]!.op === LDDW_OPCODE)) return false;
  if (f.half[s] && !sameInsn(insns[s]!, start[s]!)) return false;
  for (let i = f.e + 1; i < f.n; i++) if (insns[i] !== start[i]) return false;
  return true;
}

function sameInsn(a: Insn, b: Insn): boolean {
  return a.op === b.op && a.dst === b.dst && a.src === b.src && a.off === b.off && a.imm === b.imm;
}

/** Same readable registers and stack bytes (constant work: 11 + 512 flags, whatever the program's length). */
export function sameReadability(a: SafetyState, b: SafetyState): boolean {
  for (let r = 0; r < NUM_REGS; r++) if (a.regReadable(r) !== b.regReadable(r)) return false;
  for (let j = 0; j < STACK_BYTES; j++) if (a.stackReadable(j, 1) !== b.stackReadable(j, 1)) return false;
  return true;
}

/** Same abstract register values, symbols and packet facts. */
export function sameTypes(a: TypeState, b: TypeState): boolean {
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}
