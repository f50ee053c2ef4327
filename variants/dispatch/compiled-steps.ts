/**
 * The per-slot closures of the `compiled` dispatch: for each instruction, one function specialised
 * on its opcode-table row (kind, alu/cond, width, size, K/X) with dst, src, immediates and its
 * successor slots captured as constants; it runs the instruction and returns the next slot. The
 * shared semantics (64-bit ALU, LDDW, packet loads, atomics, helpers) come from src/interp.
 */
import type { Insn } from '../../src/ebpf/insn.js';
import { Alu, CallKind, Cls, Mask, Mode, Opcode, Pseudo, Src, specOf, type OpSpec } from '../../src/ebpf/opcodes.js';
import {
  RES_HI, RES_LO, add64, arsh64, bswap16, bswap32, gtS64, gtU64, lsh64, mul64, neg64, rsh64, sdiv32, sdiv64, smod32, smod64,
  sub64, udiv32, udiv64, umod32, umod64,
} from '../../src/interp/alu64.js';
import { ExecFault } from '../../src/interp/fault.js';
import { KERNEL_HELPERS, type HelperTable } from '../../src/interp/helpers.js';
import { FaultAt, atomic, badInsn, callHelper, loadImm64, loadPacket, type Frame } from '../../src/interp/interpreter.js';
import type { Machine } from '../../src/interp/machine.js';
import { MAX_CALL_FRAMES, STACK_FRAME_BYTES } from '../../src/ebpf/abi.js';

/** Runs one instruction; returns the next slot, or STOP when the program ended. */
export type Step = (lo: Int32Array, hi: Int32Array, m: Machine) => number;
/** Beyond any program (≥ n); a jump whose target is exactly this is left to the switch interpreter. */
export const STOP = 0x3ead_beef;

/** What call and exit steps need of the current run (runs never nest: helpers run no eBPF). */
export const runState: { helpers: HelperTable; frames: Frame[] } = { helpers: KERNEL_HELPERS, frames: [] };

/**
 * The step for slot i, or undefined when the switch interpreter must run the candidate instead:
 * encodings with no table row that it still executes (e.g. `neg` with the X bit), registers past
 * r10 (it indexes past the register file), LDDW in the last slot, a jump to exactly STOP.
 */
export function compileStep(insns: readonly Insn[], i: number): Step | undefined {
  // Normalised as the switch's typed arrays store them (Uint8/Int16/Int32), so both see the same operands.
  const x = insns[i]!;
  const op = x.op & 0xff, d = x.dst & 0xff, s = x.src & 0xff, off = (x.off << 16) >> 16, imm = x.imm | 0;
  const next = i + 1;
  const cls = op & Mask.CLASS;
  // LD-class bytes that are neither LDDW nor LD_ABS/LD_IND (e.g. an LDDW's second slot): the switch rejects them first.
  if (cls === Cls.LD && op !== Opcode.LDDW && (op & Mask.MODE) !== Mode.ABS && (op & Mask.MODE) !== Mode.IND) return () => badInsn(op, next);
  const spec = specOf(op, s, off, imm);
  if (!spec || d > 10 || s > 10) return undefined;
  switch (spec.kind) {
    case 'alu': case 'neg': return cls === Cls.ALU64 ? alu64(spec, d, s, imm, next) : alu32(spec, d, s, imm, next);
    case 'movsx': {
      if (cls === Cls.ALU) return off === 8 ? (lo, hi) => { lo[d] = (lo[s]! << 24) >> 24; hi[d] = 0; return next; } : (lo, hi) => { lo[d] = (lo[s]! << 16) >> 16; hi[d] = 0; return next; };
      if (off === 8) return (lo, hi) => { const v = (lo[s]! << 24) >> 24; lo[d] = v; hi[d] = v >> 31; return next; };
      if (off === 16) return (lo, hi) => { const v = (lo[s]! << 16) >> 16; lo[d] = v; hi[d] = v >> 31; return next; };
      return (lo, hi) => { const v = lo[s]!; lo[d] = v; hi[d] = v >> 31; return next; };
    }
    case 'endian': case 'bswap': return byteOrder(op, d, imm, next);
    case 'ja': { const t = next + off; return jumpTo(t, () => () => t); }
    case 'ja32': { const t = next + imm; return jumpTo(t, () => () => t); }
    case 'jcond': return jumpTo(next + off, () => (cls === Cls.JMP32 ? jcond32(spec, d, s, imm, next, next + off) : jcond64(spec, d, s, imm, next, next + off)));
    case 'call': return call(s, imm, next);
    case 'callx': return (lo, _hi, m) => { callHelper(m, runState.helpers, lo[d]!); return m.stopped ? STOP : next; };
    case 'exit': return exit;
    case 'ldx': case 'ldxs': return load(spec, d, s, off, next);
    case 'st': case 'stx': return store(spec, d, s, off, imm, next);
    case 'atomic': {
      const size = spec.size, sizeCode = op & Mask.SIZE;
      return (lo, hi, m) => { const v = m.mem.translate(hi[d]!, lo[d]!, off, size, true); atomic(m, v, m.mem.offset, sizeCode, s, imm, op, next); return next; };
    }
    case 'lddw': {
      const second = insns[i + 1];
      if (!second) return undefined;
      const immHi = second.imm | 0, after = i + 2;
      if (s === Pseudo.NONE) return (lo, hi) => { lo[d] = imm; hi[d] = immHi; return after; };
      // A missing map faults at the second slot, as in the switch (its pc has moved past it).
      return (_lo, _hi, m) => { try { loadImm64(m, d, s, imm, immHi); } catch (e) { throw new FaultAt(e, next); } return after; };
    }
    case 'ldabs': { const size = spec.size; return (_lo, _hi, m) => (loadPacket(m, imm, size) ? next : STOP); }
    case 'ldind': { const size = spec.size; return (lo, _hi, m) => (loadPacket(m, (lo[s]! + imm) | 0, size) ? next : STOP); }
  }
}

function jumpTo(target: number, make: () => Step): Step | undefined {
  return target === STOP ? undefined : make();
}

function alu64(spec: OpSpec, d: number, s: number, imm: number, next: number): Step {
  const x = spec.usesSrcReg, blo = imm, bhi = imm >> 31, k = imm & 63;
  switch (spec.alu) {
    case 'add': return x ? (lo, hi) => { add64(hi[d]!, lo[d]!, hi[s]!, lo[s]!); lo[d] = RES_LO; hi[d] = RES_HI; return next; } : (lo, hi) => { add64(hi[d]!, lo[d]!, bhi, blo); lo[d] = RES_LO; hi[d] = RES_HI; return next; };
    case 'sub': return x ? (lo, hi) => { sub64(hi[d]!, lo[d]!, hi[s]!, lo[s]!); lo[d] = RES_LO; hi[d] = RES_HI; return next; } : (lo, hi) => { sub64(hi[d]!, lo[d]!, bhi, blo); lo[d] = RES_LO; hi[d] = RES_HI; return next; };
    case 'mul': return x ? (lo, hi) => { mul64(hi[d]!, lo[d]!, hi[s]!, lo[s]!); lo[d] = RES_LO; hi[d] = RES_HI; return next; } : (lo, hi) => { mul64(hi[d]!, lo[d]!, bhi, blo); lo[d] = RES_LO; hi[d] = RES_HI; return next; };
    case 'div': return x ? (lo, hi) => { udiv64(hi[d]!, lo[d]!, hi[s]!, lo[s]!); lo[d] = RES_LO; hi[d] = RES_HI; return next; } : (lo, hi) => { udiv64(hi[d]!, lo[d]!, bhi, blo); lo[d] = RES_LO; hi[d] = RES_HI; return next; };
    case 'sdiv': return x ? (lo, hi) => { sdiv64(hi[d]!, lo[d]!, hi[s]!, lo[s]!); lo[d] = RES_LO; hi[d] = RES_HI; return next; } : (lo, hi) => { sdiv64(hi[d]!, lo[d]!, bhi, blo); lo[d] = RES_LO; hi[d] = RES_HI; return next; };
    case 'mod': return x ? (lo, hi) => { umod64(hi[d]!, lo[d]!, hi[s]!, lo[s]!); lo[d] = RES_LO; hi[d] = RES_HI; return next; } : (lo, hi) => { umod64(hi[d]!, lo[d]!, bhi, blo); lo[d] = RES_LO; hi[d] = RES_HI; return next; };
    case 'smod': return x ? (lo, hi) => { smod64(hi[d]!, lo[d]!, hi[s]!, lo[s]!); lo[d] = RES_LO; hi[d] = RES_HI; return next; } : (lo, hi) => { smod64(hi[d]!, lo[d]!, bhi, blo); lo[d] = RES_LO; hi[d] = RES_HI; return next; };
    case 'or': return x ? (lo, hi) => { lo[d] = lo[d]! | lo[s]!; hi[d] = hi[d]! | hi[s]!; return next; } : (lo, hi) => { lo[d] = lo[d]! | blo; hi[d] = hi[d]! | bhi; return next; };
    case 'and': return x ? (lo, hi) => { lo[d] = lo[d]! & lo[s]!; hi[d] = hi[d]! & hi[s]!; return next; } : (lo, hi) => { lo[d] = lo[d]! & blo; hi[d] = hi[d]! & bhi; return next; };
    case 'xor': return x ? (lo, hi) => { lo[d] = lo[d]! ^ lo[s]!; hi[d] = hi[d]! ^ hi[s]!; return next; } : (lo, hi) => { lo[d] = lo[d]! ^ blo; hi[d] = hi[d]! ^ bhi; return next; };
    case 'mov': return x ? (lo, hi) => { lo[d] = lo[s]!; hi[d] = hi[s]!; return next; } : (lo, hi) => { lo[d] = blo; hi[d] = bhi; return next; };
    case 'lsh': return x ? (lo, hi) => { lsh64(hi[d]!, lo[d]!, lo[s]! & 63); lo[d] = RES_LO; hi[d] = RES_HI; return next; } : (lo, hi) => { lsh64(hi[d]!, lo[d]!, k); lo[d] = RES_LO; hi[d] = RES_HI; return next; };
    case 'rsh': return x ? (lo, hi) => { rsh64(hi[d]!, lo[d]!, lo[s]! & 63); lo[d] = RES_LO; hi[d] = RES_HI; return next; } : (lo, hi) => { rsh64(hi[d]!, lo[d]!, k); lo[d] = RES_LO; hi[d] = RES_HI; return next; };
    case 'arsh': return x ? (lo, hi) => { arsh64(hi[d]!, lo[d]!, lo[s]! & 63); lo[d] = RES_LO; hi[d] = RES_HI; return next; } : (lo, hi) => { arsh64(hi[d]!, lo[d]!, k); lo[d] = RES_LO; hi[d] = RES_HI; return next; };
    default: return (lo, hi) => { neg64(hi[d]!, lo[d]!); lo[d] = RES_LO; hi[d] = RES_HI; return next; }; // neg
  }
}

/** 32-bit ALU: the result is zero-extended. */
function alu32(spec: OpSpec, d: number, s: number, b: number, next: number): Step {
  const x = spec.usesSrcReg, k = b & 31;
  switch (spec.alu) {
    case 'add': return x ? (lo, hi) => { lo[d] = (lo[d]! + lo[s]!) | 0; hi[d] = 0; return next; } : (lo, hi) => { lo[d] = (lo[d]! + b) | 0; hi[d] = 0; return next; };
    case 'sub': return x ? (lo, hi) => { lo[d] = (lo[d]! - lo[s]!) | 0; hi[d] = 0; return next; } : (lo, hi) => { lo[d] = (lo[d]! - b) | 0; hi[d] = 0; return next; };
    case 'mul': return x ? (lo, hi) => { lo[d] = Math.imul(lo[d]!, lo[s]!); hi[d] = 0; return next; } : (lo, hi) => { lo[d] = Math.imul(lo[d]!, b); hi[d] = 0; return next; };
    case 'div': return x ? (lo, hi) => { lo[d] = udiv32(lo[d]!, lo[s]!); hi[d] = 0; return next; } : (lo, hi) => { lo[d] = udiv32(lo[d]!, b); hi[d] = 0; return next; };
    case 'sdiv': return x ? (lo, hi) => { lo[d] = sdiv32(lo[d]!, lo[s]!); hi[d] = 0; return next; } : (lo, hi) => { lo[d] = sdiv32(lo[d]!, b); hi[d] = 0; return next; };
    case 'mod': return x ? (lo, hi) => { lo[d] = umod32(lo[d]!, lo[s]!); hi[d] = 0; return next; } : (lo, hi) => { lo[d] = umod32(lo[d]!, b); hi[d] = 0; return next; };
    case 'smod': return x ? (lo, hi) => { lo[d] = smod32(lo[d]!, lo[s]!); hi[d] = 0; return next; } : (lo, hi) => { lo[d] = smod32(lo[d]!, b); hi[d] = 0; return next; };
    case 'or': return x ? (lo, hi) => { lo[d] = lo[d]! | lo[s]!; hi[d] = 0; return next; } : (lo, hi) => { lo[d] = lo[d]! | b; hi[d] = 0; return next; };
    case 'and': return x ? (lo, hi) => { lo[d] = lo[d]! & lo[s]!; hi[d] = 0; return next; } : (lo, hi) => { lo[d] = lo[d]! & b; hi[d] = 0; return next; };
    case 'xor': return x ? (lo, hi) => { lo[d] = lo[d]! ^ lo[s]!; hi[d] = 0; return next; } : (lo, hi) => { lo[d] = lo[d]! ^ b; hi[d] = 0; return next; };
    case 'mov': return x ? (lo, hi) => { lo[d] = lo[s]!; hi[d] = 0; return next; } : (lo, hi) => { lo[d] = b; hi[d] = 0; return next; };
    case 'lsh': return x ? (lo, hi) => { lo[d] = lo[d]! << (lo[s]! & 31); hi[d] = 0; return next; } : (lo, hi) => { lo[d] = lo[d]! << k; hi[d] = 0; return next; };
    case 'rsh': return x ? (lo, hi) => { lo[d] = lo[d]! >>> (lo[s]! & 31); hi[d] = 0; return next; } : (lo, hi) => { lo[d] = lo[d]! >>> k; hi[d] = 0; return next; };
    case 'arsh': return x ? (lo, hi) => { lo[d] = lo[d]! >> (lo[s]! & 31); hi[d] = 0; return next; } : (lo, hi) => { lo[d] = lo[d]! >> k; hi[d] = 0; return next; };
    default: return (lo, hi) => { lo[d] = -lo[d]! | 0; hi[d] = 0; return next; }; // neg
  }
}

/** le/be (ALU class: to little- or big-endian) and bswap (ALU64 class: unconditional). */
function byteOrder(op: number, d: number, bits: number, next: number): Step {
  const swap = op === (Cls.ALU64 | Src.K | Alu.END) || op === (Cls.ALU | Src.X | Alu.END); // bswap, be
  if (bits === 16) return swap ? (lo, hi) => { lo[d] = bswap16(lo[d]!); hi[d] = 0; return next; } : (lo, hi) => { lo[d] = lo[d]! & 0xffff; hi[d] = 0; return next; };
  if (bits === 32) return swap ? (lo, hi) => { lo[d] = bswap32(lo[d]!); hi[d] = 0; return next; } : (_lo, hi) => { hi[d] = 0; return next; };
  return swap ? (lo, hi) => { const a = lo[d]!; lo[d] = bswap32(hi[d]!); hi[d] = bswap32(a); return next; } : () => next;
}

function jcond64(spec: OpSpec, d: number, s: number, imm: number, next: number, t: number): Step {
  const b = imm, bh = imm >> 31;
  if (spec.usesSrcReg) {
    switch (spec.cond) {
      case 'jeq': return (lo, hi) => (lo[d] === lo[s] && hi[d] === hi[s] ? t : next);
      case 'jne': return (lo, hi) => (lo[d] !== lo[s] || hi[d] !== hi[s] ? t : next);
      case 'jset': return (lo, hi) => (((lo[d]! & lo[s]!) | (hi[d]! & hi[s]!)) !== 0 ? t : next);
      case 'jgt': return (lo, hi) => (gtU64(hi[d]!, lo[d]!, hi[s]!, lo[s]!) ? t : next);
      case 'jge': return (lo, hi) => (!gtU64(hi[s]!, lo[s]!, hi[d]!, lo[d]!) ? t : next);
      case 'jlt': return (lo, hi) => (gtU64(hi[s]!, lo[s]!, hi[d]!, lo[d]!) ? t : next);
      case 'jle': return (lo, hi) => (!gtU64(hi[d]!, lo[d]!, hi[s]!, lo[s]!) ? t : next);
      case 'jsgt': return (lo, hi) => (gtS64(hi[d]!, lo[d]!, hi[s]!, lo[s]!) ? t : next);
      case 'jsge': return (lo, hi) => (!gtS64(hi[s]!, lo[s]!, hi[d]!, lo[d]!) ? t : next);
      case 'jslt': return (lo, hi) => (gtS64(hi[s]!, lo[s]!, hi[d]!, lo[d]!) ? t : next);
      default: return (lo, hi) => (!gtS64(hi[d]!, lo[d]!, hi[s]!, lo[s]!) ? t : next); // jsle
    }
  }
  switch (spec.cond) {
    case 'jeq': return (lo, hi) => (lo[d] === b && hi[d] === bh ? t : next);
    case 'jne': return (lo, hi) => (lo[d] !== b || hi[d] !== bh ? t : next);
    case 'jset': return (lo, hi) => (((lo[d]! & b) | (hi[d]! & bh)) !== 0 ? t : next);
    case 'jgt': return (lo, hi) => (gtU64(hi[d]!, lo[d]!, bh, b) ? t : next);
    case 'jge': return (lo, hi) => (!gtU64(bh, b, hi[d]!, lo[d]!) ? t : next);
    case 'jlt': return (lo, hi) => (gtU64(bh, b, hi[d]!, lo[d]!) ? t : next);
    case 'jle': return (lo, hi) => (!gtU64(hi[d]!, lo[d]!, bh, b) ? t : next);
    case 'jsgt': return (lo, hi) => (gtS64(hi[d]!, lo[d]!, bh, b) ? t : next);
    case 'jsge': return (lo, hi) => (!gtS64(bh, b, hi[d]!, lo[d]!) ? t : next);
    case 'jslt': return (lo, hi) => (gtS64(bh, b, hi[d]!, lo[d]!) ? t : next);
    default: return (lo, hi) => (!gtS64(hi[d]!, lo[d]!, bh, b) ? t : next); // jsle
  }
}

/** JMP32: the low halves only. */
function jcond32(spec: OpSpec, d: number, s: number, imm: number, next: number, t: number): Step {
  const x = spec.usesSrcReg, b = imm, bu = imm >>> 0;
  switch (spec.cond) {
    case 'jeq': return x ? (lo) => (lo[d] === lo[s] ? t : next) : (lo) => (lo[d] === b ? t : next);
    case 'jne': return x ? (lo) => (lo[d] !== lo[s] ? t : next) : (lo) => (lo[d] !== b ? t : next);
    case 'jset': return x ? (lo) => ((lo[d]! & lo[s]!) !== 0 ? t : next) : (lo) => ((lo[d]! & b) !== 0 ? t : next);
    case 'jgt': return x ? (lo) => (lo[d]! >>> 0 > lo[s]! >>> 0 ? t : next) : (lo) => (lo[d]! >>> 0 > bu ? t : next);
    case 'jge': return x ? (lo) => (lo[d]! >>> 0 >= lo[s]! >>> 0 ? t : next) : (lo) => (lo[d]! >>> 0 >= bu ? t : next);
    case 'jlt': return x ? (lo) => (lo[d]! >>> 0 < lo[s]! >>> 0 ? t : next) : (lo) => (lo[d]! >>> 0 < bu ? t : next);
    case 'jle': return x ? (lo) => (lo[d]! >>> 0 <= lo[s]! >>> 0 ? t : next) : (lo) => (lo[d]! >>> 0 <= bu ? t : next);
    case 'jsgt': return x ? (lo) => (lo[d]! > lo[s]! ? t : next) : (lo) => (lo[d]! > b ? t : next);
    case 'jsge': return x ? (lo) => (lo[d]! >= lo[s]! ? t : next) : (lo) => (lo[d]! >= b ? t : next);
    case 'jslt': return x ? (lo) => (lo[d]! < lo[s]! ? t : next) : (lo) => (lo[d]! < b ? t : next);
    default: return x ? (lo) => (lo[d]! <= lo[s]! ? t : next) : (lo) => (lo[d]! <= b ? t : next); // jsle
  }
}

function call(s: number, imm: number, next: number): Step | undefined {
  if (s === CallKind.HELPER) return (_lo, _hi, m) => { callHelper(m, runState.helpers, imm); return m.stopped ? STOP : next; };
  if (s === CallKind.KFUNC) return () => { throw new ExecFault('unsupported-helper', `kfunc calls (call with src=${s}) are not executed`); };
  // BPF-to-BPF call: a new frame, callee-saved r6–r9 and the frame pointer restored at its exit.
  const t = next + imm;
  if (t === STOP) return undefined;
  return (lo, hi) => {
    const f = runState.frames;
    if (f.length + 1 >= MAX_CALL_FRAMES) throw new ExecFault('call-depth', `call depth exceeds ${MAX_CALL_FRAMES} frames`);
    f.push({ ret: next, r6lo: lo[6]!, r6hi: hi[6]!, r7lo: lo[7]!, r7hi: hi[7]!, r8lo: lo[8]!, r8hi: hi[8]!, r9lo: lo[9]!, r9hi: hi[9]!, r10: lo[10]! });
    lo[10] = lo[10]! - STACK_FRAME_BYTES;
    return t;
  };
}

const exit: Step = (lo, hi) => {
  const f = runState.frames.pop();
  if (!f) return STOP;
  lo[6] = f.r6lo; hi[6] = f.r6hi; lo[7] = f.r7lo; hi[7] = f.r7hi; lo[8] = f.r8lo; hi[8] = f.r8hi; lo[9] = f.r9lo; hi[9] = f.r9hi; lo[10] = f.r10;
  return f.ret;
};

/** LDX (zero-extending) and LDXS (sign-extending) through the bounds-checked address space. */
function load(spec: OpSpec, d: number, s: number, off: number, next: number): Step {
  const size = spec.size;
  if (spec.kind === 'ldxs') {
    if (size === 1) return (lo, hi, m) => { const v = m.mem.translate(hi[s]!, lo[s]!, off, 1, false); const x = (v.getUint8(m.mem.offset) << 24) >> 24; lo[d] = x; hi[d] = x >> 31; return next; };
    if (size === 2) return (lo, hi, m) => { const v = m.mem.translate(hi[s]!, lo[s]!, off, 2, false); const x = (v.getUint16(m.mem.offset, true) << 16) >> 16; lo[d] = x; hi[d] = x >> 31; return next; };
    return (lo, hi, m) => { const v = m.mem.translate(hi[s]!, lo[s]!, off, 4, false); const x = v.getInt32(m.mem.offset, true); lo[d] = x; hi[d] = x >> 31; return next; };
  }
  if (size === 1) return (lo, hi, m) => { const v = m.mem.translate(hi[s]!, lo[s]!, off, 1, false); lo[d] = v.getUint8(m.mem.offset); hi[d] = 0; return next; };
  if (size === 2) return (lo, hi, m) => { const v = m.mem.translate(hi[s]!, lo[s]!, off, 2, false); lo[d] = v.getUint16(m.mem.offset, true); hi[d] = 0; return next; };
  if (size === 4) return (lo, hi, m) => { const v = m.mem.translate(hi[s]!, lo[s]!, off, 4, false); lo[d] = v.getInt32(m.mem.offset, true); hi[d] = 0; return next; };
  return (lo, hi, m) => { const v = m.mem.translate(hi[s]!, lo[s]!, off, 8, false); const o = m.mem.offset; lo[d] = v.getInt32(o, true); hi[d] = v.getInt32(o + 4, true); return next; };
}

/** ST (immediate, sign-extended) and STX (register). */
function store(spec: OpSpec, d: number, s: number, off: number, imm: number, next: number): Step {
  const size = spec.size, ih = imm >> 31;
  if (spec.kind === 'stx') {
    if (size === 1) return (lo, hi, m) => { m.mem.translate(hi[d]!, lo[d]!, off, 1, true).setUint8(m.mem.offset, lo[s]! & 0xff); return next; };
    if (size === 2) return (lo, hi, m) => { m.mem.translate(hi[d]!, lo[d]!, off, 2, true).setUint16(m.mem.offset, lo[s]! & 0xffff, true); return next; };
    if (size === 4) return (lo, hi, m) => { m.mem.translate(hi[d]!, lo[d]!, off, 4, true).setInt32(m.mem.offset, lo[s]!, true); return next; };
    return (lo, hi, m) => { const v = m.mem.translate(hi[d]!, lo[d]!, off, 8, true), o = m.mem.offset; v.setInt32(o, lo[s]!, true); v.setInt32(o + 4, hi[s]!, true); return next; };
  }
  if (size === 1) return (lo, hi, m) => { m.mem.translate(hi[d]!, lo[d]!, off, 1, true).setUint8(m.mem.offset, imm & 0xff); return next; };
  if (size === 2) return (lo, hi, m) => { m.mem.translate(hi[d]!, lo[d]!, off, 2, true).setUint16(m.mem.offset, imm & 0xffff, true); return next; };
  if (size === 4) return (lo, hi, m) => { m.mem.translate(hi[d]!, lo[d]!, off, 4, true).setInt32(m.mem.offset, imm, true); return next; };
  return (lo, hi, m) => { const v = m.mem.translate(hi[d]!, lo[d]!, off, 8, true), o = m.mem.offset; v.setInt32(o, imm, true); v.setInt32(o + 4, ih, true); return next; };
}
