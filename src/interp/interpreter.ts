/**
 * The concrete eBPF interpreter (the `switch` dispatch): one loop over prepared instruction arrays,
 * dispatching on the opcode byte, with kernel semantics (RFC 9669) for every row of opcodes.ts.
 * Registers are (hi, lo) int32 pairs; memory goes through bounds-checked regions; faults throw
 * ExecFault/MemoryFault, which `run.ts` turns into data.
 */
import type { Insn } from '../ebpf/insn.js';
import {
  RES_HI, RES_LO, add64, arsh64, bswap16, bswap32, gtS64, gtU64, lsh64, mul64, neg64, rsh64, sdiv32, sdiv64, smod32, smod64, sub64,
  udiv32, udiv64, umod32, umod64,
} from './alu64.js';
import { ExecFault } from './fault.js';
import type { HelperTable } from './helpers.js';
import { ETH_HLEN, type Machine } from './machine.js';
import { MAX_CALL_FRAMES, STACK_FRAME_BYTES } from '../ebpf/abi.js';
import { Alu, Atomic, CallKind, Cls, Jmp, Mask, Mode, Opcode, Pseudo, SIZE_BYTES, Size, Src } from '../ebpf/opcodes.js';

/** Instructions as parallel typed arrays: no object loads on the hot path. */
export interface PreparedCode {
  n: number;
  op: Uint8Array;
  dst: Uint8Array;
  src: Uint8Array;
  off: Int16Array;
  imm: Int32Array;
  /**
   * A dispatch variant's own runner (e.g. `compiled`), used by Session instead of `execute` when
   * present; same contract as `execute`: identical results, faults thrown as FaultAt.
   */
  run?(m: Machine, helpers: HelperTable, maxInsns: number, startPc?: number): void;
}

/**
 * Window mode's sentinel (an LD-class encoding no program uses: op 0x00, src 0xf): running it ends
 * the run normally and records its slot in `m.windowExit`. It lives in the LD branch, so ordinary
 * dispatch pays nothing for it.
 */
const enum WindowExit { OP = Cls.LD | Mode.IMM | Size.W, SRC = 0xf }
export const WINDOW_EXIT: Readonly<Insn> = Object.freeze({ op: WindowExit.OP, dst: 0, src: WindowExit.SRC, off: 0, imm: 0 });
/** Any op 0x00 / src 0xf counts (the switch checks only these two fields). */
export const isWindowExit = (x: Insn): boolean => (x.op & 0xff) === WindowExit.OP && (x.src & 0xff) === WindowExit.SRC;

export function prepare(insns: readonly Insn[]): PreparedCode {
  const n = insns.length;
  const code: PreparedCode = { n, op: new Uint8Array(n), dst: new Uint8Array(n), src: new Uint8Array(n), off: new Int16Array(n), imm: new Int32Array(n) };
  insns.forEach((ins, i) => {
    code.op[i] = ins.op; code.dst[i] = ins.dst; code.src[i] = ins.src; code.off[i] = ins.off; code.imm[i] = ins.imm;
  });
  return code;
}

export interface Frame { ret: number; r6lo: number; r6hi: number; r7lo: number; r7hi: number; r8lo: number; r8hi: number; r9lo: number; r9hi: number; r10: number }

/** A fault with the slot it happened at. */
export class FaultAt extends Error {
  constructor(readonly fault: unknown, readonly pc: number) {
    super(fault instanceof Error ? fault.message : String(fault));
  }
}

/**
 * Runs from `startPc` (window runs; normally slot 0) until the outermost exit, a helper that ends
 * the program, or a WINDOW_EXIT. Returns with r0 in m.lo[0]/m.hi[0] and the executed instruction
 * count in m.insnCount; faults throw FaultAt.
 */
export function execute(m: Machine, c: PreparedCode, helpers: HelperTable, maxInsns: number, startPc = 0): void {
  const lo = m.lo, hi = m.hi, mem = m.mem;
  const OP = c.op, DST = c.dst, SRC = c.src, OFF = c.off, IMM = c.imm, n = c.n;
  const frames: Frame[] = [];
  let pc = startPc;
  let budget = maxInsns;
  try {
  for (;;) {
    if (pc >= n || pc < 0) { pc++; throw new ExecFault('invalid-instruction', `execution left the program at slot ${pc - 1}`); }
    if (--budget < 0) { pc++; throw new ExecFault('budget', `instruction budget of ${maxInsns} exhausted`); }
    const op = OP[pc]!, d = DST[pc]!, s = SRC[pc]!, off = OFF[pc]!, imm = IMM[pc]!;
    pc++;
    switch (op & Mask.CLASS) {
      case Cls.ALU64: {
        let blo: number, bhi: number;
        if (op & Src.X) { blo = lo[s]!; bhi = hi[s]!; } else { blo = imm; bhi = imm >> 31; }
        const alo = lo[d]!, ahi = hi[d]!;
        switch (op & Mask.OP) {
          case Alu.ADD: add64(ahi, alo, bhi, blo); lo[d] = RES_LO; hi[d] = RES_HI; break;
          case Alu.SUB: sub64(ahi, alo, bhi, blo); lo[d] = RES_LO; hi[d] = RES_HI; break;
          case Alu.MUL: mul64(ahi, alo, bhi, blo); lo[d] = RES_LO; hi[d] = RES_HI; break;
          case Alu.DIV: if (off === 1) sdiv64(ahi, alo, bhi, blo); else if (off === 0) udiv64(ahi, alo, bhi, blo); else badInsn(op, pc); lo[d] = RES_LO; hi[d] = RES_HI; break;
          case Alu.OR: lo[d] = alo | blo; hi[d] = ahi | bhi; break;
          case Alu.AND: lo[d] = alo & blo; hi[d] = ahi & bhi; break;
          case Alu.LSH: lsh64(ahi, alo, blo & 63); lo[d] = RES_LO; hi[d] = RES_HI; break;
          case Alu.RSH: rsh64(ahi, alo, blo & 63); lo[d] = RES_LO; hi[d] = RES_HI; break;
          case Alu.NEG: neg64(ahi, alo); lo[d] = RES_LO; hi[d] = RES_HI; break;
          case Alu.MOD: if (off === 1) smod64(ahi, alo, bhi, blo); else if (off === 0) umod64(ahi, alo, bhi, blo); else badInsn(op, pc); lo[d] = RES_LO; hi[d] = RES_HI; break;
          case Alu.XOR: lo[d] = alo ^ blo; hi[d] = ahi ^ bhi; break;
          case Alu.MOV:
            if (off === 0) { lo[d] = blo; hi[d] = bhi; }
            else if (off === 8) { const v = (blo << 24) >> 24; lo[d] = v; hi[d] = v >> 31; }
            else if (off === 16) { const v = (blo << 16) >> 16; lo[d] = v; hi[d] = v >> 31; }
            else if (off === 32) { lo[d] = blo; hi[d] = blo >> 31; }
            else badInsn(op, pc);
            break;
          case Alu.ARSH: arsh64(ahi, alo, blo & 63); lo[d] = RES_LO; hi[d] = RES_HI; break;
          case Alu.END: // bswap (0xd7): unconditional byte swap
            if (imm === 16) { lo[d] = bswap16(alo); hi[d] = 0; } else if (imm === 32) { lo[d] = bswap32(alo); hi[d] = 0; } else if (imm === 64) { lo[d] = bswap32(ahi); hi[d] = bswap32(alo); } else badInsn(op, pc);
            break;
          default: badInsn(op, pc);
        }
        break;
      }
      case Cls.ALU: { // results zero-extended
        const b = op & Src.X ? lo[s]! : imm;
        const a = lo[d]!;
        let r: number;
        switch (op & Mask.OP) {
          case Alu.ADD: r = (a + b) | 0; break;
          case Alu.SUB: r = (a - b) | 0; break;
          case Alu.MUL: r = Math.imul(a, b); break;
          case Alu.DIV: r = off === 0 ? udiv32(a, b) : off === 1 ? sdiv32(a, b) : badInsn(op, pc); break;
          case Alu.OR: r = a | b; break;
          case Alu.AND: r = a & b; break;
          case Alu.LSH: r = a << (b & 31); break;
          case Alu.RSH: r = a >>> (b & 31); break;
          case Alu.NEG: r = -a | 0; break;
          case Alu.MOD: r = off === 0 ? umod32(a, b) : off === 1 ? smod32(a, b) : badInsn(op, pc); break;
          case Alu.XOR: r = a ^ b; break;
          case Alu.MOV: r = off === 0 ? b : off === 8 ? (b << 24) >> 24 : off === 16 ? (b << 16) >> 16 : badInsn(op, pc); break;
          case Alu.ARSH: r = a >> (b & 31); break;
          case Alu.END: // le (0xd4) / be (0xdc)
            if (op & Src.X) { // be
              if (imm === 16) r = bswap16(a); else if (imm === 32) r = bswap32(a); else if (imm === 64) { lo[d] = bswap32(hi[d]!); hi[d] = bswap32(a); continue; } else r = badInsn(op, pc);
            } else {
              if (imm === 16) r = a & 0xffff; else if (imm === 32) r = a; else if (imm === 64) continue; else r = badInsn(op, pc);
            }
            break;
          default: r = badInsn(op, pc);
        }
        lo[d] = r; hi[d] = 0;
        break;
      }
      case Cls.JMP: case Cls.JMP32: {
        const code = op & Mask.OP;
        if (code === Jmp.JA) { pc += (op & Mask.CLASS) === Cls.JMP32 ? imm : off; break; } // ja / ja32 (gotol)
        if (code === Jmp.CALL) {
          if ((op & Mask.CLASS) !== Cls.JMP) badInsn(op, pc);
          if (op & Src.X) { callHelper(m, helpers, lo[d]!); if (m.stopped) return; break; } // callx: helper id in dst
          if (s === CallKind.LOCAL) { // BPF-to-BPF call: new frame, callee-saved r6–r9
            if (frames.length + 1 >= MAX_CALL_FRAMES) throw new ExecFault('call-depth', `call depth exceeds ${MAX_CALL_FRAMES} frames`);
            frames.push({ ret: pc, r6lo: lo[6]!, r6hi: hi[6]!, r7lo: lo[7]!, r7hi: hi[7]!, r8lo: lo[8]!, r8hi: hi[8]!, r9lo: lo[9]!, r9hi: hi[9]!, r10: lo[10]! });
            lo[10] = lo[10]! - STACK_FRAME_BYTES;
            pc += imm;
            break;
          }
          if (s !== CallKind.HELPER) throw new ExecFault('unsupported-helper', `kfunc calls (call with src=${s}) are not executed`);
          callHelper(m, helpers, imm);
          if (m.stopped) return;
          break;
        }
        if (code === Jmp.EXIT) {
          const f = frames.pop();
          if (!f) return;
          pc = f.ret;
          lo[6] = f.r6lo; hi[6] = f.r6hi; lo[7] = f.r7lo; hi[7] = f.r7hi; lo[8] = f.r8lo; hi[8] = f.r8hi; lo[9] = f.r9lo; hi[9] = f.r9hi; lo[10] = f.r10;
          break;
        }
        let taken: boolean;
        const alo = lo[d]!;
        let blo: number, bhi: number;
        if (op & Src.X) { blo = lo[s]!; bhi = hi[s]!; } else { blo = imm; bhi = imm >> 31; }
        if ((op & Mask.CLASS) === Cls.JMP32) {
          switch (code) {
            case Jmp.JEQ: taken = alo === blo; break;
            case Jmp.JGT: taken = alo >>> 0 > blo >>> 0; break;
            case Jmp.JGE: taken = alo >>> 0 >= blo >>> 0; break;
            case Jmp.JSET: taken = (alo & blo) !== 0; break;
            case Jmp.JNE: taken = alo !== blo; break;
            case Jmp.JSGT: taken = alo > blo; break;
            case Jmp.JSGE: taken = alo >= blo; break;
            case Jmp.JLT: taken = alo >>> 0 < blo >>> 0; break;
            case Jmp.JLE: taken = alo >>> 0 <= blo >>> 0; break;
            case Jmp.JSLT: taken = alo < blo; break;
            case Jmp.JSLE: taken = alo <= blo; break;
            default: taken = badInsn(op, pc) as never;
          }
        } else {
          const ahi = hi[d]!;
          switch (code) {
            case Jmp.JEQ: taken = alo === blo && ahi === bhi; break;
            case Jmp.JGT: taken = gtU64(ahi, alo, bhi, blo); break;
            case Jmp.JGE: taken = !gtU64(bhi, blo, ahi, alo); break;
            case Jmp.JSET: taken = ((alo & blo) | (ahi & bhi)) !== 0; break;
            case Jmp.JNE: taken = alo !== blo || ahi !== bhi; break;
            case Jmp.JSGT: taken = gtS64(ahi, alo, bhi, blo); break;
            case Jmp.JSGE: taken = !gtS64(bhi, blo, ahi, alo); break;
            case Jmp.JLT: taken = gtU64(bhi, blo, ahi, alo); break;
            case Jmp.JLE: taken = !gtU64(ahi, alo, bhi, blo); break;
            case Jmp.JSLT: taken = gtS64(bhi, blo, ahi, alo); break;
            case Jmp.JSLE: taken = !gtS64(ahi, alo, bhi, blo); break;
            default: taken = badInsn(op, pc) as never;
          }
        }
        if (taken) pc += off;
        break;
      }
      case Cls.LDX: { // zero- or sign-extending
        const size = op & Mask.SIZE;
        const v = mem.translate(hi[s]!, lo[s]!, off, SIZE_BYTES[size]!, false);
        const o = mem.offset;
        const sx = (op & Mask.MODE) === Mode.MEMSX;
        if ((op & Mask.MODE) !== Mode.MEM && !sx) badInsn(op, pc);
        switch (size) {
          case Size.B: { const x = v.getUint8(o); lo[d] = sx ? (x << 24) >> 24 : x; break; }
          case Size.H: { const x = v.getUint16(o, true); lo[d] = sx ? (x << 16) >> 16 : x; break; }
          case Size.W: lo[d] = v.getInt32(o, true); if (!sx) { hi[d] = 0; continue; } break;
          default: if (sx) badInsn(op, pc); lo[d] = v.getInt32(o, true); hi[d] = v.getInt32(o + 4, true); continue;
        }
        hi[d] = sx ? lo[d]! >> 31 : 0;
        break;
      }
      case Cls.ST: case Cls.STX: { // and atomics
        const mode = op & Mask.MODE;
        const size = op & Mask.SIZE;
        const v = mem.translate(hi[d]!, lo[d]!, off, SIZE_BYTES[size]!, true);
        const o = mem.offset;
        if (mode === Mode.ATOMIC && (op & Mask.CLASS) === Cls.STX) { atomic(m, v, o, size, s, imm, op, pc); break; }
        if (mode !== Mode.MEM) badInsn(op, pc);
        let vlo: number, vhi: number;
        if ((op & Mask.CLASS) === Cls.STX) { vlo = lo[s]!; vhi = hi[s]!; } else { vlo = imm; vhi = imm >> 31; }
        switch (size) {
          case Size.B: v.setUint8(o, vlo & 0xff); break;
          case Size.H: v.setUint16(o, vlo & 0xffff, true); break;
          case Size.W: v.setInt32(o, vlo, true); break;
          default: v.setInt32(o, vlo, true); v.setInt32(o + 4, vhi, true);
        }
        break;
      }
      case Cls.LD: { // 64-bit immediate loads and the legacy packet loads
        if (op === Opcode.LDDW) {
          const immHi = IMM[pc]!;
          pc++; // the second slot is part of this instruction (so a fault here reports it)
          loadImm64(m, d, s, imm, immHi);
          break;
        }
        if (op === WindowExit.OP && s === WindowExit.SRC) { m.windowExit = pc - 1; return; }
        const mode = op & Mask.MODE;
        if (mode !== Mode.ABS && mode !== Mode.IND) badInsn(op, pc);
        const size = SIZE_BYTES[op & Mask.SIZE]!;
        if (!loadPacket(m, mode === Mode.ABS ? imm : (lo[s]! + imm) | 0, size)) return;
        break;
      }
    }
  }
  } catch (e) {
    throw new FaultAt(e, pc - 1);
  } finally {
    m.insnCount = maxInsns - budget;
  }
}


/** LDDW's effect on dst (the second slot's imm is `immHi`); a missing map or unknown pseudo source throws. */
export function loadImm64(m: Machine, d: number, s: number, imm: number, immHi: number): void {
  if (s === Pseudo.NONE) { m.lo[d] = imm; m.hi[d] = immHi; return; }
  const map = m.mapsByFd.get(imm);
  if (s === Pseudo.MAP_FD && map) { m.lo[d] = map.handle; m.hi[d] = 0; return; }
  if (s === Pseudo.MAP_VALUE && map) { map.touch(); m.lo[d] = (map.region.base + immHi) | 0; m.hi[d] = 0; return; }
  throw new ExecFault('invalid-instruction', s === Pseudo.MAP_FD || s === Pseudo.MAP_VALUE ? `no map with fd ${imm}` : `64-bit immediate load with pseudo source ${s} is not executed`);
}

/**
 * LD_ABS/LD_IND of `size` bytes at packet offset `at` into r0 (big-endian). Out of bounds ends the
 * program with r0 = 0, as the kernel does: returns whether execution continues.
 */
export function loadPacket(m: Machine, at: number, size: number): boolean {
  if (at < 0) return loadBelowZero(m, at, size);
  const start = m.dataStart, len = m.dataEnd - start;
  if (!m.packet || at + size > len || size === 8) { m.lo[0] = 0; m.hi[0] = 0; return false; }
  const pv = m.packet.view, po = start - m.packet.base + at;
  m.lo[0] = size === 1 ? pv.getUint8(po) : size === 2 ? pv.getUint16(po, false) : pv.getInt32(po, false);
  m.hi[0] = 0;
  return true;
}

/** Classic BPF's negative LD_ABS/LD_IND bases: offsets from the network or link-layer header. */
const SKF_NET_OFF = -0x10_0000, SKF_LL_OFF = -0x20_0000;

/**
 * LD_ABS/LD_IND at a negative offset (the kernel's bpf_internal_load_pointer_neg_helper): from
 * SKF_NET_OFF up it reads relative to the network header (after the 14-byte Ethernet header),
 * from SKF_LL_OFF up relative to the frame start; anything else, or past the frame, ends the
 * program with r0 = 0. Returns whether execution continues.
 */
function loadBelowZero(m: Machine, at: number, size: number): boolean {
  const p = m.packet;
  const frameLen = p ? m.dataEnd - p.base : 0;
  let pos = -1;
  if (at >= SKF_NET_OFF) pos = Math.min(ETH_HLEN, frameLen) + at - SKF_NET_OFF;
  else if (at >= SKF_LL_OFF) pos = at - SKF_LL_OFF;
  if (!p || m.model !== 'skb' || size === 8 || pos < 0 || pos + size > frameLen) { m.lo[0] = 0; m.hi[0] = 0; return false; }
  m.lo[0] = size === 1 ? p.view.getUint8(pos) : size === 2 ? p.view.getUint16(pos, false) : p.view.getInt32(pos, false);
  m.hi[0] = 0;
  return true;
}

/** `pc` is the slot after the instruction (as in the loop, where pc was already advanced). */
export function badInsn(op: number, pc: number): never {
  throw new ExecFault('invalid-instruction', `invalid instruction (opcode 0x${op.toString(16).padStart(2, '0')}) at slot ${pc - 1}`);
}

export function callHelper(m: Machine, helpers: HelperTable, id: number): void {
  const h = helpers[id];
  if (!h) throw new ExecFault('unsupported-helper', `unsupported helper ${id}`);
  h(m);
}

/** An atomic read-modify-write at view `v`, byte `o`; `pc` is the slot after the instruction. */
export function atomic(m: Machine, v: DataView, o: number, size: number, s: number, imm: number, op: number, pc: number): void {
  const lo = m.lo, hi = m.hi;
  const fetch = (imm & Atomic.FETCH) !== 0;
  const code = imm & ~Atomic.FETCH;
  if (size === Size.W) {
    const old = v.getInt32(o, true);
    const x = lo[s]!;
    let r: number;
    switch (code) {
      case Atomic.ADD: r = (old + x) | 0; break;
      case Atomic.OR: r = old | x; break;
      case Atomic.AND: r = old & x; break;
      case Atomic.XOR: r = old ^ x; break;
      case Atomic.XCHG: if (!fetch) badInsn(op, pc + 1); r = x; break;
      case Atomic.CMPXCHG: if (!fetch) badInsn(op, pc + 1); r = old === lo[0] ? x : old; lo[0] = old; hi[0] = 0; v.setInt32(o, r, true); return;
      default: return badInsn(op, pc + 1);
    }
    v.setInt32(o, r, true);
    if (fetch) { lo[s] = old; hi[s] = 0; }
    return;
  }
  if (size !== Size.DW) badInsn(op, pc + 1);
  const olo = v.getInt32(o, true), ohi = v.getInt32(o + 4, true);
  const xlo = lo[s]!, xhi = hi[s]!;
  let rlo: number, rhi: number;
  switch (code) {
    case Atomic.ADD: { const l = (olo >>> 0) + (xlo >>> 0); rlo = l | 0; rhi = (ohi + xhi + (l > 0xffff_ffff ? 1 : 0)) | 0; break; }
    case Atomic.OR: rlo = olo | xlo; rhi = ohi | xhi; break;
    case Atomic.AND: rlo = olo & xlo; rhi = ohi & xhi; break;
    case Atomic.XOR: rlo = olo ^ xlo; rhi = ohi ^ xhi; break;
    case Atomic.XCHG: if (!fetch) badInsn(op, pc + 1); rlo = xlo; rhi = xhi; break;
    case Atomic.CMPXCHG: {
      if (!fetch) badInsn(op, pc + 1);
      const eq = olo === lo[0] && ohi === hi[0];
      if (eq) { v.setInt32(o, xlo, true); v.setInt32(o + 4, xhi, true); }
      lo[0] = olo; hi[0] = ohi;
      return;
    }
    default: return badInsn(op, pc + 1);
  }
  v.setInt32(o, rlo, true); v.setInt32(o + 4, rhi, true);
  if (fetch) { lo[s] = olo; hi[s] = ohi; }
}

