/**
 * Register and stack-byte liveness per slot (for K2's window mode, k2-spec.md §4 "What counts as
 * output"): what a window must leave equal for the rest of the program to behave the same. A
 * backward dataflow over the slot graph, preceded by a forward pass that knows which registers hold
 * r10 + constant ("stack offsets") so stores kill exactly the bytes they write and loads, atomics
 * and map helpers read exactly theirs. Whenever a pointer might reach the stack with an unknown
 * offset or extent, the whole stack is live: over-approximating liveness only makes window
 * comparisons stricter, never unsound.
 *
 * Value classes of the forward pass: a stack offset k (the register holds r10 + k), a map reference
 * (LDDW of a map fd, for helpers' key/value sizes), "not derived from r10", or unknown. Loaded
 * values count as not derived from r10 unless the program ever stores a possibly-stack value
 * (a spilled stack pointer could be reloaded). Constants are assumed not to equal stack addresses.
 */
import type { Insn } from '../ebpf/insn.js';
import { Pseudo, specOf, type OpSpec } from '../ebpf/opcodes.js';
import type { MapDef } from '../ebpf/program.js';
import { STACK_FRAME_BYTES } from '../ebpf/abi.js';
import { helperArgCount, helperProto } from '../ebpf/helpers.js';

const REGS = 11;
const WORDS = STACK_FRAME_BYTES / 4;
const ALL_REGS = (1 << REGS) - 1;
const ARG_REGS = 0b111110; // r1–r5
/** Registers r1…rN a helper call reads: the prototype's arguments (helper table); unknown helpers r1–r5. */
const helperArgRegs = (id: number): number => ((1 << (helperArgCount(id) + 1)) - 1) & ARG_REGS;

export interface Liveness {
  /** Per slot: bit r set when register r is live before the slot. */
  regs: Uint16Array;
  /** Per slot: 512 bytes, byte i ↔ address r10 − 512 + i; 1 = live before the slot. */
  stack: Uint8Array[];
}

type Val = { k: 'S'; off: number } | { k: 'M'; fd: number } | { k: 'N' } | { k: 'U' };
const N: Val = { k: 'N' }, U: Val = { k: 'U' };
type RegVals = Val[];

const same = (a: Val, b: Val): boolean => a.k === b.k && (a.k === 'S' ? a.off === (b as { off: number }).off : a.k === 'M' ? a.fd === (b as { fd: number }).fd : true);
const mayBeStack = (v: Val): boolean => v.k === 'S' || v.k === 'U';

/** Successor slots of slot i (a slot ≥ n means the run ends there). Exit and tail calls end the run. */
function successors(insns: readonly Insn[], i: number, spec: OpSpec | undefined): number[] {
  const x = insns[i]!;
  if (!spec) return [];
  switch (spec.kind) {
    case 'exit': return [];
    case 'ja': return [i + 1 + x.off];
    case 'ja32': return [i + 1 + x.imm];
    case 'jcond': return x.off === 0 ? [i + 1] : [i + 1, i + 1 + x.off];
    case 'lddw': return [i + 2];
    default: return [i + 1];
  }
}

/** Forward pass: the value class of each register before each slot (undefined = unreachable). */
function valueClasses(insns: readonly Insn[], specs: (OpSpec | undefined)[]): (RegVals | undefined)[] {
  const n = insns.length;
  const spills = insns.some((x, i) => specs[i] !== undefined && (specs[i]!.kind === 'stx' || specs[i]!.kind === 'atomic') && x.src === 10);
  const before: (RegVals | undefined)[] = new Array(n).fill(undefined);
  const entry: RegVals = new Array<Val>(REGS).fill(N);
  entry[10] = { k: 'S', off: 0 };
  before[0] = entry;
  // Stores of possibly-stack values are found as the pass runs; a second round applies them to loads.
  let loadVal: Val = spills ? U : N;
  for (let round = 0; round < 2; round++) {
    let storedStack = false;
    for (let i = 0; i < n; i++) {
      const b = before[i], spec = specs[i];
      if (!b) continue;
      const x = insns[i]!;
      if (spec && (spec.kind === 'stx' || spec.kind === 'atomic') && mayBeStack(b[x.src]!)) storedStack = true;
      const out = transfer(b, x, spec, loadVal);
      for (const t of successors(insns, i, spec)) {
        if (t < 0 || t >= n) continue;
        const cur = before[t];
        if (!cur) { before[t] = out.slice(); continue; }
        for (let r = 0; r < REGS; r++) if (!same(cur[r]!, out[r]!)) cur[r] = cur[r]!.k === 'N' && out[r]!.k === 'N' ? N : U;
      }
    }
    if (!storedStack || loadVal === U) break;
    loadVal = U;
    before.fill(undefined);
    before[0] = entry;
  }
  return before;
}

function transfer(b: RegVals, x: Insn, spec: OpSpec | undefined, loadVal: Val): RegVals {
  const out = b.slice();
  if (!spec) return out;
  const d = x.dst, s = x.src;
  switch (spec.kind) {
    case 'alu': {
      const a = b[d]!;
      if (spec.width === 64 && spec.alu === 'mov') { out[d] = spec.usesSrcReg ? b[s]! : N; break; }
      if (spec.width === 64 && !spec.usesSrcReg && a.k === 'S' && (spec.alu === 'add' || spec.alu === 'sub')) {
        out[d] = { k: 'S', off: a.off + (spec.alu === 'add' ? x.imm : -x.imm) };
        break;
      }
      const src = spec.usesSrcReg ? b[s]! : N;
      out[d] = mayBeStack(a) || mayBeStack(src) ? U : N;
      break;
    }
    case 'neg': case 'endian': case 'bswap': out[d] = mayBeStack(b[d]!) ? U : N; break;
    case 'movsx': out[d] = mayBeStack(b[s]!) ? U : N; break;
    case 'lddw': out[d] = s === Pseudo.MAP_FD ? { k: 'M', fd: x.imm } : N; break;
    case 'ldx': case 'ldxs': out[d] = loadVal; break;
    case 'ldabs': case 'ldind': out[0] = N; break;
    case 'atomic': if (spec.fetch) { if (spec.atomic === 'cmpxchg') out[0] = loadVal; else out[s] = loadVal; } break;
    case 'call': case 'callx':
      out[0] = N;
      for (let r = 1; r <= 5; r++) out[r] = N;
      break;
    default: break;
  }
  return out;
}

/** Marks the `size` bytes at stack offset `off` (r10-relative) in `bytes`; returns false when out of frame. */
function markRange(bytes: Uint8Array, off: number, size: number, v: 0 | 1): void {
  const lo = Math.max(0, STACK_FRAME_BYTES + off), hi = Math.min(STACK_FRAME_BYTES, STACK_FRAME_BYTES + off + size);
  if (lo < hi) bytes.fill(v, lo, hi);
}

/** Reads of `size` bytes through a register of class `v` at displacement `off`. */
function readThrough(live: Uint8Array, v: Val, off: number, size: number): void {
  if (v.k === 'S') markRange(live, v.off + off, size, 1);
  else if (v.k === 'U') live.fill(1);
}

/** Live-in of slot i from its live-out (`regs`, `stack` are updated in place). */
function backwardStep(x: Insn, spec: OpSpec | undefined, b: RegVals, maps: ReadonlyMap<number, MapDef>, io: { regs: number; stack: Uint8Array }): void {
  if (!spec) { io.regs = 0; io.stack.fill(0); return; }
  const d = x.dst, s = x.src, bit = (r: number): number => 1 << r;
  switch (spec.kind) {
    case 'alu': case 'neg': case 'endian': case 'bswap': case 'movsx': {
      io.regs &= ~bit(d);
      const mov = spec.kind === 'movsx' || spec.alu === 'mov';
      if (!mov) io.regs |= bit(d);
      if (spec.usesSrcReg) io.regs |= bit(s);
      break;
    }
    case 'lddw': io.regs &= ~bit(d); break;
    case 'ldx': case 'ldxs':
      io.regs &= ~bit(d);
      io.regs |= bit(s);
      readThrough(io.stack, b[s]!, x.off, spec.size);
      break;
    case 'st': case 'stx': {
      const base = b[d]!;
      if (base.k === 'S') markRange(io.stack, base.off + x.off, spec.size, 0);
      io.regs |= bit(d);
      if (spec.kind === 'stx') io.regs |= bit(s);
      break;
    }
    case 'atomic':
      if (spec.fetch) io.regs &= ~bit(spec.atomic === 'cmpxchg' ? 0 : s);
      io.regs |= bit(d) | bit(s) | (spec.atomic === 'cmpxchg' ? 1 : 0);
      readThrough(io.stack, b[d]!, x.off, spec.size);
      break;
    case 'ldabs': case 'ldind': // r0 ← packet bytes; r1–r5 clobbered (unreadable after it, as after a call); reads r6 (the skb)
      io.regs &= ~(1 | ARG_REGS);
      io.regs |= bit(6) | (spec.kind === 'ldind' ? bit(s) : 0);
      break;
    case 'jcond': io.regs |= bit(d) | (spec.usesSrcReg ? bit(s) : 0); break;
    case 'exit': io.regs = 1; io.stack.fill(0); break;
    case 'call': case 'callx': {
      if (spec.kind === 'call' && s !== 0) { io.regs = ALL_REGS; io.stack.fill(1); break; } // local calls / kfuncs: everything
      io.regs &= ~(1 | ARG_REGS);
      io.regs |= spec.kind === 'callx' ? ARG_REGS | bit(d) : helperArgRegs(x.imm);
      helperReads(spec.kind === 'call' ? x.imm : -1, b, maps, io.stack);
      break;
    }
    default: break;
  }
}

/**
 * Stack bytes a helper call reads, from its prototype: map keys and values by the map's sizes, other
 * memory it may read (or an unknown helper's pointer arguments) conservatively the whole stack when
 * the argument might point there. Memory a helper only writes is not read.
 */
function helperReads(id: number, b: RegVals, maps: ReadonlyMap<number, MapDef>, live: Uint8Array): void {
  const proto = id >= 0 ? helperProto(id) : undefined;
  if (!proto) { for (let r = 1; r <= 5; r++) if (mayBeStack(b[r]!)) { live.fill(1); return; } return; }
  const m = b[1]!.k === 'M' ? maps.get((b[1] as { fd: number }).fd) : undefined;
  proto.args.forEach((a, i) => {
    const v = b[i + 1]!;
    if (!mayBeStack(v)) return;
    switch (a.kind) {
      case 'scalar': case 'size': case 'ctx': case 'map': case 'mem-write': return;
      case 'map-key': if (m) readThrough(live, v, 0, m.keySize); else live.fill(1); return;
      case 'map-value': if (m) readThrough(live, v, 0, m.valueSize); else live.fill(1); return;
      case 'mem-read': case 'mem-read-write':
        if (a.size && 'bytes' in a.size) readThrough(live, v, 0, a.size.bytes); else live.fill(1);
        return;
      default: live.fill(1);
    }
  });
}

export function liveness(insns: readonly Insn[], maps: readonly MapDef[]): Liveness {
  const n = insns.length;
  const specs = insns.map((x) => specOf(x.op, x.src, x.off, x.imm));
  const second = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (specs[i]?.kind === 'lddw' && !second[i]) second[i + 1] = 1;
  for (let i = 0; i < n; i++) if (second[i]) specs[i] = undefined;
  const vals = valueClasses(insns, specs);
  const byFd = new Map(maps.map((m) => [m.fd, m]));
  const regs = new Uint16Array(n);
  // One buffer for every slot's stack bytes, also seen as 32-bit words: unions and comparisons a word at a time.
  const buf = new ArrayBuffer((n + 1) * STACK_FRAME_BYTES);
  const stack = Array.from({ length: n }, (_, i) => new Uint8Array(buf, i * STACK_FRAME_BYTES, STACK_FRAME_BYTES));
  const words = Array.from({ length: n }, (_, i) => new Uint32Array(buf, i * STACK_FRAME_BYTES, WORDS));
  const io = { regs: 0, stack: new Uint8Array(buf, n * STACK_FRAME_BYTES, STACK_FRAME_BYTES) };
  const ioWords = new Uint32Array(buf, n * STACK_FRAME_BYTES, WORDS);
  const fallback: RegVals = new Array<Val>(REGS).fill(U);
  // Forward jumps only in practice: one reverse sweep (exact then: every successor is final when
  // read); with a backward jump, repeat while anything changes.
  for (let changed = true; changed;) {
    changed = false;
    let backward = false;
    for (let i = n - 1; i >= 0; i--) {
      if (second[i]) continue;
      io.regs = 0; io.stack.fill(0);
      for (const t of successors(insns, i, specs[i])) {
        if (t < 0 || t >= n) continue;
        if (t <= i) backward = true;
        io.regs |= regs[t]!;
        const w = words[t]!;
        for (let j = 0; j < WORDS; j++) ioWords[j]! |= w[j]!;
      }
      backwardStep(insns[i]!, specs[i], vals[i] ?? fallback, byFd, io);
      if (io.regs !== regs[i] || !equalWords(ioWords, words[i]!)) { regs[i] = io.regs; words[i]!.set(ioWords); changed = true; }
    }
    for (let i = 0; i < n; i++) if (second[i] && i + 1 < n) { regs[i] = regs[i + 1]!; stack[i]!.set(stack[i + 1]!); }
    if (!backward) break;
  }
  return { regs, stack };
}

function equalWords(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const NONE_STACK = new Uint8Array(STACK_FRAME_BYTES);

/** Live state where a window run stopped at `slot` (past the end: nothing is live). */
export function liveAt(lv: Liveness, slot: number): { regs: number; stack: Uint8Array } {
  if (slot < 0 || slot >= lv.regs.length) return { regs: 0, stack: NONE_STACK };
  return { regs: lv.regs[slot]!, stack: lv.stack[slot]! };
}

/** The live stack bytes of a slot as a sorted index list (what window tests compare). */
export function liveStackBytes(lv: Liveness, slot: number): number[] {
  const st = liveAt(lv, slot).stack, out: number[] = [];
  for (let j = 0; j < STACK_FRAME_BYTES; j++) if (st[j]) out.push(j);
  return out;
}
