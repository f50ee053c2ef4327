/**
 * K2's static type and constant inference (k2-spec.md §11): a forward dataflow over the CFG that
 * gives, for every slot, the abstract states each register may hold before the slot runs. Automatic
 * windows use it to tell which memory accesses have a known pointer, and window tests use it to know
 * which registers are readable at a window start.
 *
 * Offset convention: `off` is a byte offset into the object the pointer points into (context,
 * packet, map value; 0 = its first byte). For the stack, offset 0 is the LOWEST stack byte, so r10
 * (one past the highest byte of the 512-byte stack) is `stack` at offset 512 and `r10 - 8` is 504.
 * Constants are stored as unsigned 64-bit bigints.
 */
import { secondHalfMask, type Insn } from '../ebpf/insn.js';
import { CALL_KIND, PSEUDO, specOf, type OpSpec } from '../ebpf/opcodes.js';
import { contextModelOf, type Program } from '../ebpf/program.js';
import { STACK_FRAME_BYTES } from '../ebpf/abi.js';
import { HELPER_IDS } from '../ebpf/helpers.js';
import { isNop } from '../ebpf/k2-isa.js';

export type AbsKind = 'scalar' | 'const' | 'stack' | 'ctx' | 'pkt' | 'pkt_end' | 'map_ptr' | 'map_value_or_null' | 'map_value';

export interface AbsState {
  readonly kind: AbsKind;
  readonly off: number;
  /** Known value: for `const`, and the map index for `map_ptr`. */
  readonly value?: bigint;
  /** Index into the program's map list (not the fd) for map pointers and map values. */
  readonly map?: number;
}

/** r0…r10: the possible states of each register; undefined = no state (unreadable). */
export type RegStates = readonly (readonly AbsState[] | undefined)[];

/** A basic block: slots start…end inclusive; succs are indices into `StaticStates.blocks`. */
export interface BasicBlock { start: number; end: number; succs: number[] }

export interface StaticStates {
  /** Register states before each slot (every register undefined at unreachable slots). */
  before: RegStates[];
  reachable: boolean[];
  /** Reachable blocks in topological order (reverse DFS postorder from slot 0), then unreachable ones by slot. */
  blocks: BasicBlock[];
  /** Index into `blocks` of the block holding each slot. */
  blockOf: number[];
}

/** What the analysis needs to know about the program besides its instructions (a Program fits). */
export type AnalysisTarget = Pick<Program, 'progType' | 'k2InputType'> & { maps?: Program['maps'] };

const REGS = 11;
/** More states than this for one register at a block entry collapse to scalar, so loops terminate. */
const MAX_STATES = 16;

const SCALAR: AbsState = { kind: 'scalar', off: 0 };
const constant = (v: bigint): AbsState => ({ kind: 'const', off: 0, value: BigInt.asUintN(64, v) });
const keyOf = (s: AbsState): string => `${s.kind}:${s.off}:${s.value ?? ''}:${s.map ?? ''}`;
const NO_STATE: RegStates = Object.freeze(new Array<undefined>(REGS).fill(undefined));

function dedupe(states: readonly AbsState[]): AbsState[] {
  const seen = new Map<string, AbsState>();
  for (const s of states) if (!seen.has(keyOf(s))) seen.set(keyOf(s), s);
  return [...seen.values()];
}

export const isTailCall = (ins: Insn, spec: OpSpec | undefined): boolean =>
  spec?.kind === 'call' && ins.src === CALL_KIND.HELPER && ins.imm === HELPER_IDS.tail_call;

/** The instruction's row, or undefined when it acts as a NOP here (`ja +0`, second LDDW half, unknown opcode). */
function rowsOf(insns: readonly Insn[]): (OpSpec | undefined)[] {
  const half = secondHalfMask(insns);
  return insns.map((ins, i) => (half[i] || isNop(ins) ? undefined : specOf(ins.op, ins.src, ins.off, ins.imm)));
}

/** Jump target of a jump row, else undefined. */
function jumpTarget(ins: Insn, spec: OpSpec | undefined, i: number): number | undefined {
  if (spec?.kind === 'jcond' || spec?.kind === 'ja') return i + 1 + ins.off;
  if (spec?.kind === 'ja32') return i + 1 + ins.imm;
  return undefined;
}

/** Blocks end at jumps, EXIT and tail calls; a program's final non-terminator simply has no successor. */
function endsBlock(ins: Insn, spec: OpSpec | undefined): boolean {
  return jumpTarget(ins, spec, 0) !== undefined || spec?.kind === 'exit' || isTailCall(ins, spec);
}

function buildCfg(insns: readonly Insn[], rows: readonly (OpSpec | undefined)[]): { blocks: BasicBlock[]; blockOf: number[]; reachable: boolean[] } {
  const n = insns.length;
  const half = secondHalfMask(insns);
  const leader = new Uint8Array(n);
  leader[0] = 1;
  rows.forEach((spec, i) => {
    const t = jumpTarget(insns[i]!, spec, i);
    if (t !== undefined && t >= 0 && t < n && !half[t]) leader[t] = 1;
    if (endsBlock(insns[i]!, spec) && i + 1 < n) leader[i + 1] = 1;
  });
  const bySlot: BasicBlock[] = [];
  for (let i = 0; i < n; i++) {
    if (leader[i]) bySlot.push({ start: i, end: i, succs: [] });
    else bySlot[bySlot.length - 1]!.end = i;
  }
  const slotBlock = new Array<number>(n);
  bySlot.forEach((b, k) => { for (let i = b.start; i <= b.end; i++) slotBlock[i] = k; });
  for (const b of bySlot) {
    const ins = insns[b.end]!;
    const spec = rows[b.end];
    const fallsThrough = !(spec?.kind === 'exit' || spec?.kind === 'ja' || spec?.kind === 'ja32' || isTailCall(ins, spec));
    if (fallsThrough && b.end + 1 < n) b.succs.push(slotBlock[b.end + 1]!);
    const t = jumpTarget(ins, spec, b.end);
    if (t !== undefined && t >= 0 && t < n) b.succs.push(slotBlock[t]!);
  }
  // Reverse postorder of an iterative DFS from block 0: every forward edge goes to a later block.
  const visited = new Uint8Array(bySlot.length);
  const post: number[] = [];
  const stack: { b: number; next: number }[] = [{ b: 0, next: 0 }];
  visited[0] = 1;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const succ = bySlot[top.b]!.succs[top.next++];
    if (succ === undefined) { post.push(top.b); stack.pop(); continue; }
    if (!visited[succ]) { visited[succ] = 1; stack.push({ b: succ, next: 0 }); }
  }
  const order = [...post.reverse(), ...bySlot.map((_, k) => k).filter((k) => !visited[k])];
  const newIndex = new Array<number>(bySlot.length);
  order.forEach((old, k) => { newIndex[old] = k; });
  const blocks = order.map((old) => ({ ...bySlot[old]!, succs: bySlot[old]!.succs.map((s) => newIndex[s]!) }));
  const reachable = new Array<boolean>(n).fill(false);
  for (const k of post) for (let i = bySlot[k]!.start; i <= bySlot[k]!.end; i++) reachable[i] = true;
  return { blocks, blockOf: slotBlock.map((k) => newIndex[k]!), reachable };
}

interface Env { xdp: boolean; mapIndexOfFd: Map<number, number> }

/** ADD64XC: moves a pointer's offset, or adds to a known constant. */
function addImm(states: readonly AbsState[] | undefined, imm: number): AbsState[] {
  if (!states) return [SCALAR];
  return dedupe(states.map((s) => s.kind === 'scalar' ? s : s.kind === 'const' ? constant(s.value! + BigInt(imm)) : { ...s, off: s.off + imm }));
}

function lddwState(ins: Insn, high: Insn | undefined, env: Env): AbsState {
  if (ins.src === PSEUDO.NONE) return constant((BigInt(high?.imm ?? 0) << 32n) | BigInt(ins.imm >>> 0));
  const map = ins.src === PSEUDO.MAP_FD ? env.mapIndexOfFd.get(ins.imm) : undefined;
  return map === undefined ? SCALAR : { kind: 'map_ptr', off: 0, value: BigInt(map), map };
}

/** XDP (xdp_md): a 32-bit load of `data` (offset 0) or `data_end` (offset 4) through the context pointer. */
function xdpContextLoad(ins: Insn, spec: OpSpec, regs: RegStates, env: Env): AbsState | undefined {
  const base = regs[ins.src];
  if (!env.xdp || spec.size !== 4 || base?.length !== 1 || base[0]!.kind !== 'ctx' || base[0]!.off !== 0) return undefined;
  return ins.off === 0 ? { kind: 'pkt', off: 0 } : ins.off === 4 ? { kind: 'pkt_end', off: 0 } : undefined;
}

/** Applies slot i's effect on registers (in place). */
function step(regs: (readonly AbsState[] | undefined)[], insns: readonly Insn[], i: number, spec: OpSpec | undefined, env: Env): void {
  const ins = insns[i]!;
  if (!spec) return;
  switch (spec.kind) {
    case 'alu':
      if (spec.alu === 'mov' && spec.width === 64) regs[ins.dst] = spec.usesSrcReg ? regs[ins.src] : [constant(BigInt(ins.imm))];
      else if (spec.alu === 'mov' && !spec.usesSrcReg) regs[ins.dst] = [constant(BigInt(ins.imm >>> 0))];
      else if (spec.alu === 'add' && spec.width === 64 && !spec.usesSrcReg) regs[ins.dst] = addImm(regs[ins.dst], ins.imm);
      else regs[ins.dst] = [SCALAR];
      return;
    case 'lddw': regs[ins.dst] = [lddwState(ins, insns[i + 1], env)]; return;
    case 'ldx': regs[ins.dst] = [xdpContextLoad(ins, spec, regs, env) ?? SCALAR]; return;
    case 'call': case 'callx': {
      const maps = spec.kind === 'call' && ins.src === CALL_KIND.HELPER && ins.imm === HELPER_IDS.map_lookup_elem
        ? (regs[1] ?? []).filter((s) => s.kind === 'map_ptr') : [];
      regs[0] = maps.length > 0 ? dedupe(maps.map((s) => ({ kind: 'map_value_or_null', off: 0, map: s.map! }))) : [SCALAR];
      for (let r = 1; r <= 5; r++) regs[r] = undefined; // caller-saved: clobbered by the helper
      return;
    }
    case 'ldabs': case 'ldind': regs[0] = [SCALAR]; return;
    case 'atomic': if (spec.fetch) regs[spec.atomic === 'cmpxchg' ? 0 : ins.src] = [SCALAR]; return;
    default: if (spec.writesDst) regs[ins.dst] = [SCALAR];
  }
}

/** `if rX == 0` / `if rX != 0` (64-bit, immediate 0): null-checks a map lookup result on each edge. */
function refineEdge(regs: RegStates, ins: Insn, spec: OpSpec | undefined, taken: boolean): RegStates {
  if (spec?.kind !== 'jcond' || spec.width !== 64 || spec.usesSrcReg || ins.imm !== 0) return regs;
  if (spec.cond !== 'jeq' && spec.cond !== 'jne') return regs;
  const states = regs[ins.dst];
  if (!states?.some((s) => s.kind === 'map_value_or_null')) return regs;
  const isNull = (spec.cond === 'jeq') === taken;
  const out = [...regs];
  out[ins.dst] = dedupe(states.map((s) => s.kind !== 'map_value_or_null' ? s : isNull ? constant(0n) : { ...s, kind: 'map_value' }));
  return out;
}

/**
 * Joins predecessor contributions into a block's entry state. A register keeps states only if every
 * contribution has some; the previous entry state is included so the iteration only grows (terminates).
 */
function join(contribs: readonly RegStates[], old: RegStates | undefined, saturated: Uint8Array): RegStates {
  const out: (readonly AbsState[] | undefined)[] = [];
  for (let r = 0; r < REGS; r++) {
    if (contribs.some((c) => c[r] === undefined) || (old && old[r] === undefined)) { out.push(undefined); continue; }
    const union = dedupe([...(old?.[r] ?? []), ...contribs.flatMap((c) => c[r]!)]);
    if (saturated[r] || union.length > MAX_STATES) { saturated[r] = 1; out.push([SCALAR]); } else out.push(union);
  }
  return out;
}

const sameStates = (a: RegStates, b: RegStates): boolean =>
  a.every((s, r) => (s === undefined) === (b[r] === undefined) && (s === undefined || s.map(keyOf).sort().join() === b[r]!.map(keyOf).sort().join()));

export function analyzeStates(insns: readonly Insn[], target: AnalysisTarget): StaticStates {
  const rows = rowsOf(insns);
  const half = secondHalfMask(insns);
  const { blocks, blockOf, reachable } = buildCfg(insns, rows);
  const env: Env = {
    xdp: contextModelOf(target.progType, target.k2InputType) === 'xdp',
    mapIndexOfFd: new Map((target.maps ?? []).map((m, k) => [m.fd, k])),
  };
  const start: RegStates = NO_STATE.map((_, r) => r === 1 ? [{ kind: 'ctx', off: 0 } as AbsState] : r === 10 ? [{ kind: 'stack', off: STACK_FRAME_BYTES } as AbsState] : undefined);
  const before: RegStates[] = insns.map(() => NO_STATE);
  const entry: (RegStates | undefined)[] = blocks.map(() => undefined);
  const saturated = blocks.map(() => new Uint8Array(REGS));
  /** Per block, the state it passes along each outgoing edge (one entry per succs element). */
  const edgeOut: (RegStates[] | undefined)[] = blocks.map(() => undefined);
  const preds: number[][] = blocks.map(() => []);
  blocks.forEach((b, k) => b.succs.forEach((s) => preds[s]!.push(k)));

  for (let changed = true; changed;) {
    changed = false;
    for (let k = 0; k < blocks.length; k++) {
      const b = blocks[k]!;
      if (!reachable[b.start]) continue;
      const contribs: RegStates[] = b.start === 0 ? [start] : [];
      for (const p of new Set(preds[k])) blocks[p]!.succs.forEach((s, e) => { if (s === k && edgeOut[p]) contribs.push(edgeOut[p]![e]!); });
      if (contribs.length === 0) continue;
      const next = join(contribs, entry[k], saturated[k]!);
      if (entry[k] && sameStates(entry[k]!, next)) continue;
      entry[k] = next;
      changed = true;
      const regs = [...next];
      for (let i = b.start; i <= b.end; i++) {
        // The second LDDW slot is not executed: it shows the state before the LDDW.
        before[i] = half[i] ? before[i - 1]! : [...regs];
        step(regs, insns, i, rows[i], env);
      }
      // buildCfg pushes the fall-through edge first and the jump edge last.
      const last = insns[b.end]!;
      const t = jumpTarget(last, rows[b.end], b.end);
      const hasJumpEdge = t !== undefined && t >= 0 && t < insns.length;
      edgeOut[k] = b.succs.map((_, e) => refineEdge(regs, last, rows[b.end], hasJumpEdge && e === b.succs.length - 1));
    }
  }
  return { before, reachable, blocks, blockOf };
}
