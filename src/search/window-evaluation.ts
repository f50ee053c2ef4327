/**
 * Window tests (K2's --is_win, k2-spec.md §4): instead of running a candidate's whole program, run
 * only its window [s,e] from the machine state the start program P has when it reaches the window,
 * and compare the live-out state. Our way, exact: entry states are real runs of P's prefix on
 * whole-program test inputs (P with the window replaced by WINDOW_EXIT), snapshotted where they
 * stop; expected outputs are P's window code (every slot outside [s,e] a WINDOW_EXIT) run from
 * there. Because the rest of the program is P's in both, equal live registers, live stack bytes
 * and memory at the same exit slot mean the same whole-program behaviour on that input.
 */
import { liveAt, liveness, type Liveness } from '../analysis/liveness.js';
import { STACK_FRAME_BYTES } from '../ebpf/abi.js';
import { secondHalfMask, type Insn } from '../ebpf/insn.js';
import { defaultInputSize, type Program } from '../ebpf/program.js';
import { WINDOW_EXIT, prepare, type PreparedCode } from '../interp/interpreter.js';
import { SKB, setReg, type Machine, type MachineSnapshot, type RunInput } from '../interp/machine.js';
import { Session, type Runnable } from '../interp/run.js';
import type { WindowState } from './equivalence.js';
import { byteTerm, captureOutput, outputError, popcount32, term64, type ExpectedOutput } from './output-error.js';

/** Added when a candidate's window leaves at another slot (or exits/tail-calls where P does not). */
export const WINDOW_EXIT_MISMATCH = 64;

export interface WindowTest {
  snap: MachineSnapshot;
  /** Slot the window run starts at (where P's prefix stopped: usually s). */
  pc: number;
  /** Slot of the WINDOW_EXIT P's window stopped at; −1 for a real exit or tail call. */
  exit: number;
  /** Live registers at `exit` (bit r) and their expected values. */
  regs: number;
  lo: Int32Array;
  hi: Int32Array;
  /** Live stack bytes at `exit` (indices into the 512-byte frame) and their expected values. */
  stackIdx: Uint16Array;
  stackVals: Uint8Array;
  /** Memory (maps, packet, context) and, at a real exit, r0 / the tail call: as whole-program tests. */
  out: ExpectedOutput;
  /** get_prandom_u32 values consumed: the rest of the program draws the following ones. */
  cursor: number;
}

/** P's window tests for one window switch. */
export class WindowTests {
  readonly tests: WindowTest[] = [];
  readonly lv: Liveness;
  /** Window code of the candidate being evaluated: candidate slots in the window, sentinels elsewhere. */
  private readonly scratch: Insn[];
  /** The slots a candidate's window code may differ in (the window, and an LDDW's second half at e + 1). */
  readonly inWindow: number[] = [];
  private readonly prefixCode: PreparedCode;
  private readonly startCode: PreparedCode;
  private readonly session: Session;

  constructor(private readonly program: Program, readonly base: Runnable, readonly start: readonly Insn[], readonly s: number, readonly e: number) {
    this.lv = livenessOf(start, program);
    const second = secondHalfMask(start);
    const n = start.length;
    // An LDDW at e reads its second slot (e+1); a window starting at an LDDW's second slot keeps it in the prefix.
    const winEnd = e + 1 < n && second[e + 1] ? e + 1 : e;
    for (let i = s; i <= winEnd; i++) this.inWindow.push(i);
    this.scratch = start.map(() => WINDOW_EXIT);
    this.prefixCode = prepare(start.map((x, i) => (i >= s && i <= winEnd && !(i === s && second[s]) ? WINDOW_EXIT : x)));
    this.startCode = prepare(this.windowCode(start).slice());
    this.startWrites = this.writes(start);
    this.session = new Session(base);
  }

  /** Whether P's window may write memory (then memory is always compared). */
  readonly startWrites: boolean;

  /**
   * Whether `insns`' window may write memory: stores, atomics, helper calls. When neither window
   * does, memory after both runs equals the entry state's, and comparing it can be skipped.
   */
  writes(insns: readonly Insn[]): boolean {
    const idx = this.inWindow;
    for (let k = 0; k < idx.length; k++) {
      const op = insns[idx[k]!]!.op;
      if ((op & 6) === 2 || (op & 0xf7) === 0x85) return true; // ST/STX classes, call/callx
    }
    return false;
  }

  /** The window code of `insns` (a reused array: prepare it before the next call). */
  windowCode(insns: readonly Insn[]): readonly Insn[] {
    const w = this.scratch, idx = this.inWindow;
    for (let k = 0; k < idx.length; k++) { const i = idx[k]!; w[i] = insns[i]!; }
    return w;
  }

  /** Inputs given to addInputs on which P reaches the window (a test or not). */
  reached = 0;

  /** Adds tests for the inputs on which P reaches the window; returns how many were added. */
  addInputs(inputs: readonly RunInput[]): number {
    const ses = this.session;
    let added = 0;
    for (const input of inputs) {
      ses.code = this.prefixCode;
      if (!ses.run(input) || ses.machine.windowExit < 0) continue; // never reaches the window: cannot tell candidates apart
      this.reached++;
      if (this.addEntry(ses.machine.snapshot(), ses.machine.windowExit)) added++;
    }
    return added;
  }

  /** A test from a window counterexample (a patch on a base state at s); false when P's window fails on it. */
  addState(ws: WindowState): boolean {
    const ses = this.session, m = ses.machine;
    if (this.tests.length > 0) m.restore(this.tests[0]!.snap);
    else m.reset({ packet: new Uint8Array(defaultInputSize(this.program)) });
    applyWindowState(m, ws);
    return this.addEntry(m.snapshot(), this.s);
  }

  private addEntry(snap: MachineSnapshot, pc: number): boolean {
    const ses = this.session, m = ses.machine;
    ses.code = this.startCode;
    if (!ses.runFrom(snap, pc)) return false;
    const exit = m.windowExit;
    const live = exit >= 0 ? liveAt(this.lv, exit) : { regs: 0, stack: new Uint8Array(STACK_FRAME_BYTES) };
    const idx: number[] = [];
    for (let j = 0; j < STACK_FRAME_BYTES; j++) if (live.stack[j]) idx.push(j);
    const top = m.stack.bytes.length - STACK_FRAME_BYTES;
    this.tests.push({
      snap, pc, exit, regs: live.regs, lo: m.lo.slice(), hi: m.hi.slice(),
      stackIdx: Uint16Array.from(idx), stackVals: Uint8Array.from(idx, (j) => m.stack.bytes[top + j]!), out: captureOutput(m),
      cursor: m.randomCursor,
    });
    return true;
  }
}

/** The last start program's liveness: window switches mostly start from the same program (the best). */
let lastLiveness: { insns: Insn[]; program: Program; lv: Liveness } | undefined;

function livenessOf(start: readonly Insn[], program: Program): Liveness {
  const m = lastLiveness;
  if (m !== undefined && m.program === program && sameCode(m.insns, start)) return m.lv;
  const lv = liveness(start, program.maps);
  lastLiveness = { insns: start.map((x) => ({ ...x })), program, lv };
  return lv;
}

function sameCode(a: readonly Insn[], b: readonly Insn[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, y = b[i]!;
    if (x.op !== y.op || x.dst !== y.dst || x.src !== y.src || x.off !== y.off || x.imm !== y.imm) return false;
  }
  return true;
}

/** Writes a window counterexample's values over the machine's current state. */
export function applyWindowState(m: Machine, ws: WindowState): void {
  ws.regs.forEach((v, r) => { if (v !== undefined && r < 11) setReg(m, r, v); });
  const top = m.stack.bytes.length - STACK_FRAME_BYTES;
  for (const [off, b] of ws.stack) if (off >= 0 && off < STACK_FRAME_BYTES) m.stack.bytes[top + off] = b;
  const p = m.packet;
  if (p && ws.packetLength !== undefined) {
    const start = m.dataStart - p.base, need = start + ws.packetLength;
    if (p.bytes.length < need) { const b = new Uint8Array(need); b.set(p.bytes); p.bytes = b; p.view = new DataView(b.buffer); }
    p.bytes.fill(0, Math.min(p.end - p.base, need), need);
    m.dataEnd = m.dataStart + ws.packetLength;
    p.end = p.base + need;
    if (m.model === 'xdp') m.syncXdpContext();
    if (m.model === 'skb') { const v = m.ctx!.view; v.setUint32(SKB.dataEnd, m.dataEnd, true); v.setUint32(SKB.len, m.dataEnd - m.dataStart, true); }
  }
  if (p) for (const [off, b] of ws.packet) { const at = m.dataStart - p.base + off; if (at >= 0 && at < p.end - p.base) p.bytes[at] = b; }
  const ctx = m.ctx;
  if (ctx) for (const [off, b] of ws.ctx) if (off >= 0 && off < ctx.bytes.length) ctx.bytes[off] = b;
  for (const [mi, off, b] of ws.mapValues) {
    const map = m.maps[mi];
    if (map && off >= 0 && off < map.def.valueSize) map.poke(off, b);
  }
}

/**
 * A candidate window run's error against test t (K2's st_ex per 64-bit register and per byte). At a
 * real exit on both sides it is exactly the whole-program error; otherwise the memory part of it
 * (r0 made to agree; skipped when `memSame`: neither window writes memory), plus live registers and
 * stack bytes and the random cursor, plus WINDOW_EXIT_MISMATCH when the exits differ.
 */
export function windowError(m: Machine, t: WindowTest, popcount: boolean, exitPenalty: number, memSame: boolean): number {
  const exit = m.windowExit, out = t.out;
  const bothReal = exit < 0 && t.exit < 0;
  // outputError's last term compares r0: expected r0 at real exits, else the candidate's own (no term).
  out.r0lo = bothReal ? t.lo[0]! : m.lo[0]!;
  out.r0hi = bothReal ? t.hi[0]! : m.hi[0]!;
  let err = bothReal || !memSame ? outputError(m, out, popcount, exitPenalty) : 0;
  if (bothReal) return err;
  if (exit !== t.exit) return err + WINDOW_EXIT_MISMATCH;
  if (m.randomCursor !== t.cursor) err += popcount ? popcount32(m.randomCursor ^ t.cursor) : Math.abs(m.randomCursor - t.cursor);
  const lo = m.lo, hi = m.hi, elo = t.lo, ehi = t.hi;
  for (let r = 0, bits = t.regs; bits !== 0; r++, bits >>>= 1) {
    if (!(bits & 1) || (lo[r] === elo[r] && hi[r] === ehi[r])) continue;
    err += term64(popcount, lo[r]!, hi[r]!, elo[r]!, ehi[r]!);
  }
  const stack = m.stack.bytes, top = stack.length - STACK_FRAME_BYTES, idx = t.stackIdx, vals = t.stackVals;
  for (let k = 0; k < idx.length; k++) {
    const a = stack[top + idx[k]!]!, b = vals[k]!;
    if (a !== b) err += byteTerm(popcount, a, b);
  }
  return err;
}
