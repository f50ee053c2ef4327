/**
 * The safety checker's pass 1: each slot's encoding on its own (known rows, registers, r10
 * read-only, LDDW shape and map fds, jump targets forward and in range), recorded per slot as the
 * row, a small-integer group for pass 2's switch, and the jump target.
 */
import { LDDW_OPCODE, type Insn } from '../ebpf/insn.js';
import { CallKind, OPS, PSEUDO, Pseudo, specOf, type OpKind, type OpSpec } from '../ebpf/opcodes.js';
import { Violation, type ErrorStrategy } from '../ebpf/violations.js';
import type { ProgInfo } from './context.js';

const MAX_REG = 10;
const RESERVED_CHECKED = ['dst', 'src', 'off', 'imm'] as const;

/** Instruction groups as small integers, per opcode-table row, so the hot loops switch on numbers. */
export const enum Group { Alu, Load, Store, Atomic, Lddw, LdPacket, Call, Exit, Ja, Jcond, Unsupported }
const GROUP_OF_KIND: Record<OpKind, Group> = {
  alu: Group.Alu, neg: Group.Alu, movsx: Group.Alu, endian: Group.Alu, bswap: Group.Alu,
  ldx: Group.Load, ldxs: Group.Load, st: Group.Store, stx: Group.Store, atomic: Group.Atomic,
  lddw: Group.Lddw, ldabs: Group.LdPacket, ldind: Group.LdPacket, call: Group.Call, callx: Group.Unsupported,
  exit: Group.Exit, ja: Group.Ja, ja32: Group.Ja, jcond: Group.Jcond,
};
export const GROUP: Uint8Array = Uint8Array.from(OPS, (s) => GROUP_OF_KIND[s.kind]);
/** Pseudo sources of LDDW we model: 0 a constant, 1 a map handle (fd), 2 a map value address (fd + offset). */

/** Pass 1's per-slot results: row (undefined for NOPs and LDDW second halves), group, jump target, second-half flag. */
export interface SlotTables {
  specs: (OpSpec | undefined)[];
  groups: Uint8Array;
  targets: Int32Array;
  half: Uint8Array;
  /** Whether backward jumps pass pass 1 (the checker then checks an unrolled copy: unroll.ts); counted in `backEdges`. */
  loopsAllowed: boolean;
  backEdges: number;
}

/** Sets `half[i]` for LDDW second halves in [0, n); false when the last slot is a load's first half. */
export function markHalves(insns: readonly Insn[], n: number, half: Uint8Array): boolean {
  let prevLddw = false;
  for (let i = 0; i < n; i++) {
    const h: boolean = prevLddw;
    half[i] = h ? 1 : 0;
    prevLddw = !h && insns[i]!.op === LDDW_OPCODE;
  }
  return !prevLddw;
}

/** Pass 1 for one slot (its `half` flag already set): records its row, group and jump target in `p`. */
export function checkSlot(p: SlotTables, info: ProgInfo, fail: ErrorStrategy, insns: readonly Insn[], i: number, n: number): Violation {
  const half = p.half, specs = p.specs, groups = p.groups, targets = p.targets;
  const ins = insns[i]!;
  specs[i] = undefined;
  if (half[i]) {
    if (ins.op !== 0 || ins.dst !== 0 || ins.src !== 0 || ins.off !== 0) return fail.fail(Violation.InvalidInstruction, i, 'malformed second half of a 64-bit immediate load');
    return Violation.None;
  }
  if (ins.op === 0) return Violation.None; // K2's NOP
  const s = specOf(ins.op, ins.src, ins.off, ins.imm);
  if (!s) return fail.fail(Violation.InvalidInstruction, i, `unknown instruction (opcode 0x${ins.op.toString(16)})`);
  // The kernel rejects any field the instruction does not use that is not zero ("uses reserved fields").
  for (const f of RESERVED_CHECKED) {
    if (ins[f] !== 0 && !s.fields.includes(f) && s.match?.field !== f) return fail.fail(Violation.InvalidInstruction, i, `${s.name} uses reserved fields (${f} = ${ins[f]})`);
  }
  const g = GROUP[s.id]! as Group;
  if (ins.dst > MAX_REG || (ins.src > MAX_REG && g !== Group.Lddw && g !== Group.Call)) return fail.fail(Violation.InvalidInstruction, i, 'register number above r10');
  if ((s.writesDst && ins.dst === 10) || (g === Group.Atomic && s.fetch && s.atomic !== 'cmpxchg' && ins.src === 10)) {
    return fail.fail(Violation.ReadOnlyR10, i, 'r10 is read-only');
  }
  switch (g) {
    case Group.Jcond: case Group.Ja: {
      const target = i + 1 + (s.kind === 'ja32' ? ins.imm : ins.off);
      if (target <= i && !p.loopsAllowed) return fail.fail(Violation.BackEdge, i, `backward jump to ${target}`);
      if (target < 0) return fail.fail(Violation.JumpTarget, i, `jump to ${target}, before the start`);
      if (target >= n) return fail.fail(Violation.JumpTarget, i, `jump to ${target}, past the end (${n} slots)`);
      if (half[target]) return fail.fail(Violation.JumpTarget, i, `jump into the second half of a 64-bit load (${target})`);
      if (target <= i) p.backEdges++;
      targets[i] = target;
      break;
    }
    case Group.Call:
      if (ins.src !== CallKind.HELPER) return fail.fail(Violation.InvalidInstruction, i, 'BPF-to-BPF and kfunc calls are not supported');
      break;
    case Group.Unsupported:
      return fail.fail(Violation.InvalidInstruction, i, `${s.name} is not supported`);
    case Group.Lddw:
      if (ins.src > PSEUDO.MAP_VALUE) return fail.fail(Violation.InvalidInstruction, i, `64-bit load with pseudo source ${ins.src} is not supported`);
      if (ins.src !== Pseudo.NONE && !info.fdIndex.has(ins.imm)) return fail.fail(Violation.InvalidInstruction, i, `no map with fd ${ins.imm}`);
      break;
    case Group.LdPacket:
      if (info.model !== 'skb' && info.model !== 'raw') return fail.fail(Violation.InvalidInstruction, i, 'LD_ABS/LD_IND need a socket-buffer or raw context');
      break;
    default:
      break;
  }
  specs[i] = s;
  groups[i] = g;
  return Violation.None;
}

/** Slots the control-flow graph reaches from slot 0 (both edges of every comparison), from pass 1's tables. */
export function reachable(p: SlotTables, n: number): Uint8Array {
  const { groups, specs, targets, half } = p;
  const seen = new Uint8Array(n);
  const work = [0];
  while (work.length > 0) {
    const i = work.pop()!;
    if (i >= n || seen[i]) continue;
    seen[i] = 1;
    if (specs[i] === undefined) { if (!half[i]) work.push(i + 1); continue; } // K2's NOP falls through
    switch (groups[i]! as Group) {
      case Group.Exit: break;
      case Group.Ja: work.push(targets[i]!); break;
      case Group.Jcond: work.push(i + 1, targets[i]!); break;
      case Group.Lddw: if (i + 1 < n) seen[i + 1] = 1; work.push(i + 2); break;
      default: work.push(i + 1);
    }
  }
  return seen;
}

/** The first slot that jumps backward (pass 1 done). */
export function firstBackEdge(p: SlotTables, n: number): number {
  for (let i = 0; i < n; i++) if ((p.groups[i] === Group.Ja || p.groups[i] === Group.Jcond) && p.specs[i] !== undefined && p.targets[i]! <= i) return i;
  return 0;
}
