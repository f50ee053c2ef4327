/**
 * K2's automatic window selection (k2-spec.md §11 "Automatic windows"), used when no --win_s_list is
 * given: runs of straight-line, analysable instructions inside each basic block, cut into windows of
 * at most 4 slots.
 */
import type { Insn } from '../ebpf/insn.js';
import { specOf } from '../ebpf/opcodes.js';
import type { Program } from '../ebpf/program.js';
import { isNop, k2OpOf } from '../ebpf/k2-isa.js';
import { analyzeStates, type AbsKind, type RegStates, type StaticStates } from './static-states.js';

export const MAX_WINDOW = 4;

/** Pointer kinds a window test can build memory for; map_value_or_null and map_ptr are not dereferenceable. */
const ADDRESSABLE: ReadonlySet<AbsKind> = new Set<AbsKind>(['stack', 'ctx', 'pkt', 'map_value']);

/** The register an instruction dereferences, if any: LDX reads through src, stores and XADD through dst. */
export function addressRegister(ins: Insn): number | undefined {
  if (isNop(ins)) return undefined;
  const kind = specOf(ins.op, ins.src, ins.off, ins.imm)?.kind;
  if (kind === 'ldx') return ins.src;
  if (kind === 'st' || kind === 'stx' || kind === 'atomic') return ins.dst;
  return undefined;
}

/** Exactly one static state, and it is a pointer the window can address. */
function hasSinglePointer(regs: RegStates, r: number): boolean {
  const states = regs[r];
  return states?.length === 1 && ADDRESSABLE.has(states[0]!.kind);
}

/**
 * Rule 1. Also requires the slot to be reachable: dead code has no states, and a window there could
 * never be exercised by a test.
 */
export function isEligible(insns: readonly Insn[], i: number, st: StaticStates): boolean {
  const ins = insns[i]!;
  if (!st.reachable[i]) return false;
  const op = k2OpOf(ins); // undefined for unsupported opcodes and for LDDW second halves (opcode 0)
  if (!op || op.group === 'ja' || op.group === 'jcond' || op.group === 'exit' || op.group === 'call' || op.k2Name === 'LDDW') return false;
  const addr = addressRegister(ins);
  return addr === undefined || hasSinglePointer(st.before[i]!, addr);
}

/** Rule 3: windows of 4 from the run start, plus one final window over the last 4 when a remainder is left. */
function cutRun(first: number, last: number, s: number[], e: number[]): void {
  const len = last - first + 1;
  if (len < 2) return;
  if (len <= MAX_WINDOW) { s.push(first); e.push(last); return; }
  let k = first;
  for (; k + MAX_WINDOW - 1 <= last; k += MAX_WINDOW) { s.push(k); e.push(k + MAX_WINDOW - 1); }
  if (k <= last) { s.push(last - MAX_WINDOW + 1); e.push(last); }
}

export function autoWindows(program: Program): { s: number[]; e: number[] } {
  const s: number[] = [];
  const e: number[] = [];
  for (const [first, last] of eligibleRuns(program)) cutRun(first, last, s, e);
  // Rule 4: K2 sorts the two lists independently (pairs stay aligned because windows never nest).
  return { s: s.sort((a, c) => a - c), e: e.sort((a, c) => a - c) };
}

/**
 * Rule 2: the maximal runs [first, last] of eligible slots within each basic block, blocks in
 * topological order. A run never holds a jump, exit, call (helper or BPF-to-BPF) or LDDW, and never
 * straddles a block boundary, so no jump (a loop's back-edge included) enters or leaves it midway.
 * `exclude` cuts runs at further slots (the window scheduler's LD_ABS/LD_IND), as do the program's
 * frozen slots (an object's relocated ones).
 */
export function eligibleRuns(program: Program, exclude?: (ins: Insn) => boolean): [number, number][] {
  const insns = program.insns;
  const st = analyzeStates(insns, program);
  const frozen = new Set(program.frozen ?? []);
  const runs: [number, number][] = [];
  for (const b of st.blocks) {
    let runStart = -1;
    for (let i = b.start; i <= b.end + 1; i++) {
      const ok = i <= b.end && isEligible(insns, i, st) && !frozen.has(i) && !(exclude?.(insns[i]!) ?? false);
      if (ok && runStart < 0) runStart = i;
      if (!ok && runStart >= 0) { runs.push([runStart, i - 1]); runStart = -1; }
    }
  }
  return runs;
}
