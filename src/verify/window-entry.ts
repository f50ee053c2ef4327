/**
 * What a window query assumes about how control reaches the window (src/verify/window.ts): only
 * from the program's entry, straight through the prefix. The prefix and both windows are encoded
 * as a loop-free DAG (a backward jump there is refused by the encoder), but the shared suffix is
 * never encoded, so the query itself cannot see control that comes back: a jump after the window
 * into the window or the prefix (a loop), a BPF-to-BPF call or a callback reference (bpf_loop,
 * for_each_map_elem, …) whose target lies in the prefix or window, or a window whose first slot is
 * the second half of a 64-bit load (the prefix would read the start program's half, the candidate
 * its own). From such paths the window runs from states the prefix never produces, so "equal"
 * would prove nothing: the query answers "unknown" with the reason instead.
 */
import { LDDW_OPCODE, type Insn } from '../ebpf/insn.js';
import { specOf } from '../ebpf/opcodes.js';

const BPF_PSEUDO_CALL = 1, BPF_PSEUDO_FUNC = 4;

/** Why control may reach slots ≤ e other than from slot 0 through [0, s), or undefined. */
export function windowReentry(insns: readonly Insn[], s: number, e: number): string | undefined {
  const n = insns.length;
  for (let i = 0; i < n; i++) {
    const x = insns[i]!;
    if (x.op === LDDW_OPCODE) {
      if (i + 1 === s) return `the window starts at the second half of the 64-bit load at slot ${i}`;
      if (x.src === BPF_PSEUDO_FUNC && i + 1 + x.imm <= e) return `slot ${i} passes a callback at slot ${i + 1 + x.imm}, in or before the window`;
      i++;
      continue;
    }
    const spec = specOf(x.op, x.src, x.off, x.imm);
    if (!spec) continue;
    if (spec.kind === 'call' && x.src === BPF_PSEUDO_CALL && i + 1 + x.imm <= e) return `slot ${i} calls the subprogram at slot ${i + 1 + x.imm}, in or before the window`;
    if (i <= e) continue; // jumps in the prefix and window: the encoder refuses backward ones
    const target = spec.kind === 'ja' || spec.kind === 'jcond' ? i + 1 + x.off : spec.kind === 'ja32' ? i + 1 + x.imm : undefined;
    if (target !== undefined && target <= e) return `slot ${i} jumps back to slot ${target}, in or before the window`;
  }
  return undefined;
}
