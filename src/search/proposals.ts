/**
 * K2's proposal moves (k2-spec.md §7): change one operand, replace one instruction, turn one into a
 * NOP, replace two contiguous instructions — only inside the current window [s, e], with K2's
 * probabilities, operand ranges, pools and draw order. Candidates are written into a caller-owned
 * array (no allocation per proposal beyond the changed instructions).
 */
import type { Insn } from '../ebpf/insn.js';
import { lddwSecondHalf } from '../ebpf/insn.js';
import {
  CALL_HELPER_CHOICES, CALL_INDEX, ENDIAN_WIDTHS, EXIT_INDEX, JUMP_INDICES, K2_OPS, K2_OP_COUNT, LDDW_INDEX,
  MEMORY_GROUPS, NOP, PRANDOM_HELPER, k2OpOf, type K2Op, type Operand,
} from '../ebpf/k2-isa.js';
import type { Rng } from '../common/rng.js';
import { makePool, sampleExcluding, sampleInt, sampleIntExcept, samplePooled, type Pool } from './sampling.js';
import { Opcode, Pseudo } from '../ebpf/opcodes.js';

export type MoveKind = 'operand' | 'replace' | 'nop' | 'replace2';

/** What proposals need to know about the program being optimized. */
export interface ProposalContext {
  len: number;
  /** Map fds in map-index order (K2 picks a map by index). */
  mapFds: readonly number[];
  /** Window mode: jumps and EXIT are never introduced by a replacement. */
  isWin: boolean;
  immPool: Pool;
  offPool: Pool;
}

export interface MoveProbabilities { pInstOperand: number; pInst: number; pInstAsNop: number }

/** Pools from the instructions of [s, e] (window mode) or the whole program (§7). */
export function buildPools(insns: readonly Insn[], s: number, e: number, isWin: boolean): { immPool: Pool; offPool: Pool } {
  const imms: number[] = [], offs: number[] = [];
  const from = isWin ? s : 0, to = isWin ? e : insns.length - 1;
  for (let i = from; i <= to; i++) {
    const ins = insns[i]!;
    if (ins.op === Opcode.LDDW) { i++; continue; } // 64-bit constants are not pooled
    const op = k2OpOf(ins);
    if (!op || !op.spec) continue;
    if (op.operands.includes('imm')) imms.push(ins.imm);
    const isJump = op.group === 'ja' || op.group === 'jcond';
    if (op.operands.includes('off') && (!isJump || !isWin)) offs.push(ins.off);
  }
  return { immPool: makePool(imms), offPool: makePool(offs) };
}

/** The move type from one uniform draw on the MH stream (thresholds t1, t2, t3). */
export function chooseMove(u: number, p: MoveProbabilities): MoveKind {
  const t1 = p.pInstOperand, t2 = t1 + p.pInst, t3 = t2 + p.pInstAsNop;
  return u <= t1 ? 'operand' : u <= t2 ? 'replace' : u <= t3 ? 'nop' : 'replace2';
}

/**
 * Applies one move of kind `move` to `cand` (a copy of the current program) inside [s, e].
 * Returns the first changed slot and how many slots the move touched.
 */
export function propose(move: MoveKind, cand: Insn[], s: number, e: number, ctx: ProposalContext, rng: Rng): void {
  switch (move) {
    case 'operand': changeOperand(cand, sampleInt(rng, s, e), ctx, rng); break;
    case 'replace': selectInstruction(cand, sampleInt(rng, s, e), ctx, rng); break;
    case 'nop': cand[sampleInt(rng, s, e)] = { ...NOP }; break;
    case 'replace2': {
      const k = Math.min(2, e - s + 1);
      const start = sampleInt(rng, s, e - k + 1);
      for (let j = 0; j < k; j++) selectInstruction(cand, start + j, ctx, rng);
      break;
    }
  }
}

/** K2's restart move "re-sample k contiguous slots" (k = len for "every slot"). */
export function resampleContiguous(cand: Insn[], start: number, k: number, ctx: ProposalContext, rng: Rng): void {
  for (let j = 0; j < k; j++) selectInstruction(cand, start + j, ctx, rng);
}

function changeOperand(cand: Insn[], slot: number, ctx: ProposalContext, rng: Rng): void {
  const ins = cand[slot]!;
  const op = k2OpOf(ins);
  if (!op || op.operands.length === 0) return; // NOP, EXIT and opcodes outside K2's set have no operands
  if (op.index === CALL_INDEX && ins.imm === PRANDOM_HELPER) return;
  const which = op.operands[sampleInt(rng, 0, op.operands.length - 1)]!;
  const next = { ...ins };
  const old = ins[which];
  setOperand(next, op, which, slot, ctx, rng, old);
  cand[slot] = next;
  if (op.index === LDDW_INDEX && which === 'imm' && ins.src === Pseudo.NONE) cand[slot + 1] = lddwSecondHalf(0);
}

/** Draws a value for one operand; `old` given means "exclude the old value" (operand change). */
function setOperand(ins: Insn, op: K2Op, which: Operand, slot: number, ctx: ProposalContext, rng: Rng, old?: number): void {
  const draw = (a: number, b: number): number => (old === undefined ? sampleInt(rng, a, b) : sampleIntExcept(rng, a, b, old));
  switch (which) {
    case 'dst': ins.dst = draw(0, op.group === 'st' ? 10 : 9); return;
    case 'src': ins.src = draw(0, 10); return;
    case 'off':
      if (op.group === 'ja' || op.group === 'jcond') ins.off = draw(0, ctx.len - slot - 2);
      else ins.off = samplePooled(rng, ctx.offPool, old ?? Number.NaN);
      return;
    case 'imm': ins.imm = drawImm(op, ins, ctx, rng, old); return;
  }
}

function drawImm(op: K2Op, ins: Insn, ctx: ProposalContext, rng: Rng, old: number | undefined): number {
  const draw = (a: number, b: number): number => (old === undefined ? sampleInt(rng, a, b) : sampleIntExcept(rng, a, b, old));
  const spec = op.spec!;
  if (spec.kind === 'endian') return ENDIAN_WIDTHS[draw(0, 2)]!;
  if (spec.kind === 'call') return CALL_HELPER_CHOICES[draw(0, 3)]!;
  if (spec.kind === 'lddw') {
    if (ins.src === Pseudo.NONE) return 0; // a 64-bit constant's only "range" is 0 (K2)
    return ctx.mapFds.length === 0 ? ins.imm : ctx.mapFds[draw(0, ctx.mapFds.length - 1)]!;
  }
  if (spec.alu === 'lsh' || spec.alu === 'rsh' || spec.alu === 'arsh') return draw(0, spec.width === 64 ? 63 : 31);
  return samplePooled(rng, ctx.immPool, old ?? Number.NaN);
}

const GROUP_INDICES: Readonly<Record<string, readonly number[]>> = Object.fromEntries(
  Object.entries(MEMORY_GROUPS).map(([g, names]) => [g, names.map((n) => K2_OPS.findIndex((o) => o.k2Name === n))]),
);

function memoryGroup(op: K2Op): readonly number[] | undefined {
  const spec = op.spec;
  if (!spec) return undefined;
  if (spec.kind === 'ldx') return GROUP_INDICES['ldx'];
  if (spec.kind === 'st') return GROUP_INDICES['st'];
  if (spec.kind === 'stx') return GROUP_INDICES['stx'];
  if (spec.kind === 'atomic') return GROUP_INDICES['xadd'];
  return undefined;
}

/** K2's excluded opcode indices, ascending: the old one, CALL, LDDW, and jumps (last slot, window mode) and EXIT (window mode). */
const EXCLUSION_CACHE = new Map<number, readonly number[]>();
function exclusions(oldIndex: number, noJumps: boolean, noExit: boolean): readonly number[] {
  const key = oldIndex * 4 + (noJumps ? 2 : 0) + (noExit ? 1 : 0);
  let list = EXCLUSION_CACHE.get(key);
  if (!list) {
    const set = new Set<number>([oldIndex, CALL_INDEX, LDDW_INDEX]);
    if (noJumps) for (const j of JUMP_INDICES) set.add(j);
    if (noExit) set.add(EXIT_INDEX);
    list = [...set].sort((a, b) => a - b);
    EXCLUSION_CACHE.set(key, list);
  }
  return list;
}

/** K2's mod_select_inst: a new instruction for `slot`. */
function selectInstruction(cand: Insn[], slot: number, ctx: ProposalContext, rng: Rng): void {
  const ins = cand[slot]!;
  const op = k2OpOf(ins);
  if (op && op.index === CALL_INDEX && ins.imm === PRANDOM_HELPER) return;
  const group = op ? memoryGroup(op) : undefined;
  if (op && group && rng.float() < 0.5) {
    // Swap the opcode within its memory group, keeping registers and offset.
    const others = group.filter((g) => g !== op.index);
    const nop = K2_OPS[others[sampleInt(rng, 0, others.length - 1)]!]!;
    const next: Insn = { op: nop.spec!.opcode, dst: ins.dst, src: 0, off: ins.off, imm: nop.spec!.kind === 'atomic' ? nop.spec!.match!.value : 0 };
    if (nop.operands.includes('src')) next.src = ins.src;
    if (nop.operands.includes('imm') && op.operands.includes('imm')) next.imm = ins.imm;
    cand[slot] = next;
    return;
  }
  const idx = sampleExcluding(rng, K2_OP_COUNT, exclusions(op ? op.index : 0, slot === ctx.len - 1 || ctx.isWin, ctx.isWin));
  const nop = K2_OPS[idx]!;
  if (!nop.spec) { cand[slot] = { ...NOP }; return; }
  const next: Insn = { op: nop.spec.opcode, dst: 0, src: 0, off: 0, imm: 0 };
  if (nop.spec.match?.field === 'imm') next.imm = nop.spec.match.value;
  for (const w of nop.operands) setOperand(next, nop, w, slot, ctx, rng);
  cand[slot] = next;
}
