/**
 * The safety checker: a kernel-verifier-lite run once per candidate before it is interpreted.
 * Pass 1 checks each slot's encoding and jump targets (forward only, so slot order is a topological
 * order); pass 2 walks the slots once, carrying the state along fall-through edges and merging it
 * into a pending in-state at each jump target — no path enumeration.
 */
import type { Insn } from '../ebpf/insn.js';
import { isNop } from '../ebpf/k2-isa.js';
import type { OpSpec } from '../ebpf/opcodes.js';
import { SafetyViolation, Violation, type ErrorStrategy } from '../ebpf/violations.js';
import { checkAlu } from './alu.js';
import { checkJcondOperands, decideConst, refineEdge } from './branch.js';
import { progInfoOf, type ProgInfo, type ProgramLike } from './context.js';
import type { Core } from './core.js';
import { Group, checkSlot, firstBackEdge, markHalves, reachable, type SlotTables } from './encoding.js';
import { checkCall } from './helper-args.js';
import { checkAtomic, checkLoad, checkStore, scalarOperand } from './memory.js';
import { checkLddw, checkLdPacket } from './special-loads.js';
import { checkReturn } from './return-range.js';
import type { SafetyState, SafetyStateImpl } from './state.js';
import { Trail, TrailStore, fitsFocus, type Focus } from './focus.js';
import { liveRegisters } from './reg-liveness.js';
import { MAX_UNROLLED_SLOTS, unrollLoops } from './unroll.js';
import { SYMBOLS_PER_SLOT, initTypes, mergeTypes, newTypeState, slotJoinSymbol, symbolId, type Symbols, type TypeState } from './types.js';

export type { ProgramLike } from './context.js';

/** `fresh`: every check() allocates its states (K2: new objects per candidate); `pooled`: allocated once, reset in place. */
export type AllocationMode = 'fresh' | 'pooled';

export interface SafetyCheckerOptions {
  state: SafetyStateImpl;
  errors: ErrorStrategy;
  allocation: AllocationMode;
}

export interface SafetyChecker {
  /** Checks slots [0, n) of `insns` (n defaults to its length): Violation.None (0) when safe. */
  check(insns: readonly Insn[], n?: number): Violation;
  /**
   * Window mode: the next candidates are `start` with slots [s, e] rewritten. The checker keeps
   * `start`'s analysis up to slot s and its per-slot encoding checks outside the window, and
   * re-checks only the window's encodings and the flow from s on — same verdict as a whole check.
   * A candidate that differs elsewhere, moves a 64-bit load in the window, or changes the second half
   * of a load just before it (see fitsFocus) is checked whole.
   */
  focus(start: readonly Insn[], s: number, e: number): void;
  /** Back to whole checks only. */
  unfocus(): void;
  /**
   * When the last check() passed a program with loops: the copies of each loop it unrolled (unroll.ts) —
   * no execution takes a back edge that often. Undefined otherwise.
   */
  readonly loopCopies: number | undefined;
}

export function createSafetyChecker(prog: ProgramLike, opts: SafetyCheckerOptions): SafetyChecker {
  return new Checker(progInfoOf(prog), opts);
}

/** `reached` is cleared only when the check counter gets here. */
const EPOCH_LIMIT = 2 ** 30;
/** flowFrom's `watchFrom` when no trail is recorded or followed. */
const NEVER = 2 ** 31;
/** Loop copies tried first, the factor between tries and the most (unroll.ts); the unrolled program's size cap. */
const FIRST_COPIES = 2, COPIES_FACTOR = 4, MAX_COPIES = 512;

class Checker implements Core, SafetyChecker, SlotTables {
  readonly info: ProgInfo;
  errors: ErrorStrategy;
  private readonly impl: SafetyStateImpl;
  private readonly pooled: boolean;
  st: SafetyState;
  t: TypeState;
  syms: Symbols;
  /** Scratch for a jump's taken edge. */
  private edge: TypeState;
  // Per slot: row (undefined for NOPs and LDDW second halves), second-half flag, pending in-state.
  specs: (OpSpec | undefined)[] = [];
  groups = new Uint8Array(0);
  targets = new Int32Array(0);
  half = new Uint8Array(0);
  loopsAllowed = true;
  backEdges = 0;
  /** Checking an unrolled program (unroll.ts): its trap slot, and which slots' originals the control-flow graph reaches. */
  private trapFrom = NEVER;
  private cfgReached: Uint8Array | undefined;
  /** The checker of unrolled copies (created at the first program with a loop), and the copies that last sufficed. */
  private unrolledChecker: Checker | undefined;
  private copiesToTry = FIRST_COPIES;
  loopCopies: number | undefined;
  /** reached[i] === epoch: some jump into slot i was seen in this check (no reset between checks). */
  private reached = new Int32Array(0);
  private epoch = 0;
  private pendSt: (SafetyState | undefined)[] = [];
  private pendT: (TypeState | undefined)[] = [];
  private capacity = 0;
  /** Window mode: `start`'s analysis at the window's first slot (see focus()). */
  private focused: Focus | undefined;
  /** The per-slot encoding arrays hold `focused.start`'s outside the window, and the symbols its flow's before s (no whole check since). */
  private arraysFocused = false;
  /** Whether the flow was live where flowFrom() stopped early. */
  private liveAtStop = false;
  /** From this slot on, flowFrom() records its state into `recording` (focus) or stops where it joins `trail` (checkWindow). */
  private watchFrom = NEVER;
  private recording: Trail | undefined;
  private trail: Trail | undefined;
  private trailStore: TrailStore | undefined;
  /** The largest jump target since the flow passed the focused window's first slot. */
  private maxTarget = -1;

  constructor(info: ProgInfo, opts: SafetyCheckerOptions) {
    this.info = info;
    this.errors = opts.errors;
    this.impl = opts.state;
    this.pooled = opts.allocation === 'pooled';
    this.st = this.impl.create();
    this.t = newTypeState();
    this.edge = newTypeState();
    this.syms = { min: new Float64Array(0), max: new Float64Array(0) };
  }

  check(insns: readonly Insn[], n: number = insns.length): Violation {
    const f = this.focused;
    if (f !== undefined && n === f.n && insns.length === n && fitsFocus(insns, f)) return this.checkWindow(insns, f);
    this.arraysFocused = false;
    this.watchFrom = NEVER;
    this.loopCopies = undefined;
    this.prepare(n);
    if (n === 0) return this.errors.fail(Violation.NoExit, 0, 'empty program');
    const v = this.structure(insns, n);
    if (v !== Violation.None) return v;
    return this.backEdges > 0 ? this.checkUnrolled(insns, n) : this.flow(insns, n);
  }

  /**
   * A program with loops: its unrolled copy (unroll.ts), checked with constant comparisons decided;
   * more copies while the trap (a back edge taken once more) is reachable. Violations name original slots.
   */
  private checkUnrolled(insns: readonly Insn[], n: number): Violation {
    const cfg = reachable(this, n);
    const outer = this.errors;
    let orig: Int32Array = new Int32Array(0);
    const mapped: ErrorStrategy = {
      name: outer.name,
      fail: (v, pc, detail) => outer.fail(v, orig[pc] !== undefined && orig[pc]! >= 0 ? orig[pc]! : pc, detail),
      lastDetail: () => outer.lastDetail(),
    };
    const inner = (this.unrolledChecker ??= new Checker(this.info, { state: this.impl, errors: mapped, allocation: this.pooled ? 'pooled' : 'fresh' }));
    inner.errors = mapped;
    inner.loopsAllowed = false;
    for (let copies = this.copiesToTry; ; copies *= COPIES_FACTOR) {
      const u = unrollLoops(insns, n, copies, MAX_UNROLLED_SLOTS);
      if (typeof u === 'string') return outer.fail(Violation.BackEdge, firstBackEdge(this, n), u);
      orig = u.orig;
      inner.trapFrom = u.trap;
      inner.cfgReached = Uint8Array.from(u.orig, (o) => (o < 0 ? 1 : cfg[o]!));
      let v: Violation;
      try {
        v = inner.check(u.insns);
      } catch (e) {
        if (!(e instanceof SafetyViolation) || e.violation !== Violation.BackEdge || copies * COPIES_FACTOR > MAX_COPIES) throw e;
        continue;
      }
      if (v === Violation.BackEdge && copies * COPIES_FACTOR <= MAX_COPIES) continue;
      if (v === Violation.None) this.copiesToTry = this.loopCopies = copies;
      return v;
    }
  }

  focus(start: readonly Insn[], s: number, e: number): void {
    this.focused = undefined;
    const n = start.length;
    if (!(s >= 0 && s <= e && e < n)) return;
    this.watchFrom = NEVER;
    this.prepare(n);
    try {
      // Programs with loops are checked whole, unrolled (checkUnrolled): no focused checks.
      if (this.structure(start, n) !== Violation.None || this.backEdges > 0) return;
      this.initFlow();
      if (this.flowFrom(start, n, 0, true, s) !== Violation.None) return;
    } catch (e) {
      if (e instanceof SafetyViolation) return; // `exceptions`: an unsafe start is simply not focused
      throw e;
    }
    const pending: Focus['pending'] = [];
    for (let i = s; i < n; i++) {
      if (this.reached[i] !== this.epoch) continue;
      const st = this.impl.create();
      st.copyFrom(this.pendSt[i]!);
      pending.push({ slot: i, st, t: Float64Array.from(this.pendT[i]!) });
    }
    const st = this.impl.create();
    st.copyFrom(this.st);
    const f: Focus = {
      start: start.slice(), s, e, n, live: this.liveAtStop, st, t: Float64Array.from(this.t), pending,
      symMin: Float64Array.from(this.syms.min), symMax: Float64Array.from(this.syms.max),
      specs: this.specs.slice(0, n), groups: this.groups.slice(0, n), targets: this.targets.slice(0, n), half: this.half.slice(0, n),
    };
    f.trail = this.recordTrail(start, f);
    this.focused = f;
    this.arraysFocused = true;
  }

  unfocus(): void {
    this.focused = undefined;
  }

  /** `start`'s flow from s on (continuing focus()'s), recorded after the window; undefined when unsafe. */
  private recordTrail(start: readonly Insn[], f: Focus): Trail | undefined {
    const trail = new Trail(this.trailStore ??= new TrailStore(this.impl), f.e + 1, f.n, liveRegisters(start));
    this.recording = trail;
    this.watchFrom = trail.from;
    this.maxTarget = -1;
    try {
      if (this.flowFrom(start, f.n, f.s, f.live, f.n) !== Violation.None) return undefined;
    } catch (e) {
      if (e instanceof SafetyViolation) return undefined;
      throw e;
    } finally {
      this.recording = undefined;
      this.watchFrom = NEVER;
    }
    trail.finish(this.syms);
    return trail;
  }

  /** A candidate that is `f.start` outside [s, e]: the window's encodings, then the flow from s. */
  private checkWindow(insns: readonly Insn[], f: Focus): Violation {
    const { s, e, n } = f;
    this.prepare(n);
    const syms = this.syms;
    if (!this.arraysFocused) {
      for (let i = 0; i < n; i++) this.specs[i] = f.specs[i];
      this.groups.set(f.groups);
      this.targets.set(f.targets);
      this.half.set(f.half);
      syms.min.set(f.symMin);
      syms.max.set(f.symMax);
      this.arraysFocused = this.pooled;
    } else {
      // Flows from s write only symbols of slots ≥ s, and read only those they wrote — but the join
      // symbols of the pending slots, written before s: those are put back (not all n · 44).
      for (const p of f.pending) {
        for (let id = symbolId(p.slot, 0), end = id + 11; id < end; id++) { syms.min[id] = f.symMin[id]!; syms.max[id] = f.symMax[id]!; }
        for (let id = slotJoinSymbol(syms, p.slot, 0), end = id + 11; id < end; id++) { syms.min[id] = f.symMin[id]!; syms.max[id] = f.symMax[id]!; }
      }
    }
    // Outside the window every slot passed pass 1 in `start`, so the first failure is the window's.
    for (let i = s; i <= e; i++) {
      const v = checkSlot(this, this.info, this.errors, insns, i, n);
      if (v !== Violation.None) return v;
    }
    this.st.copyFrom(f.st);
    this.t.set(f.t);
    for (const p of f.pending) this.setPending(p.slot, p.st, p.t);
    // Where the flow joins `start`'s (safe) flow after the window, the rest is `start`'s: it stops there.
    this.maxTarget = -1;
    this.trail = f.trail;
    this.watchFrom = f.trail !== undefined ? f.trail.from : NEVER;
    return this.flowFrom(insns, n, s, f.live, n);
  }

  /** Per-check states and arrays: allocated afresh (`fresh`) or grown and reused (`pooled`); a new epoch. */
  private prepare(n: number): void {
    if (this.pooled) {
      if (n > this.capacity) this.allocate(Math.max(n, 2 * this.capacity));
      if (this.epoch === EPOCH_LIMIT) { this.reached.fill(0); this.epoch = 0; }
    } else {
      this.st = this.impl.create();
      this.t = newTypeState();
      this.edge = newTypeState();
      this.allocate(n);
    }
    this.epoch++;
  }

  /** Per-slot arrays. Pending states are created at a slot's first incoming jump (and kept when pooled). */
  private allocate(size: number): void {
    this.specs = new Array<OpSpec | undefined>(size).fill(undefined);
    this.half = new Uint8Array(size);
    this.groups = new Uint8Array(size);
    this.targets = new Int32Array(size);
    this.reached = new Int32Array(size);
    this.epoch = 0;
    this.syms = { min: new Float64Array(size * SYMBOLS_PER_SLOT + 1), max: new Float64Array(size * SYMBOLS_PER_SLOT + 1) };
    const pendSt = new Array<SafetyState | undefined>(size).fill(undefined), pendT = new Array<TypeState | undefined>(size).fill(undefined);
    // Growing a pool keeps the states it has.
    if (this.pooled) for (let i = 0; i < this.pendSt.length; i++) { pendSt[i] = this.pendSt[i]; pendT[i] = this.pendT[i]; }
    this.pendSt = pendSt;
    this.pendT = pendT;
    this.capacity = size;
    this.arraysFocused = false;
  }

  /** Pass 1: known rows, registers, r10 read-only, LDDW shape and map fds, jump targets. */
  private structure(insns: readonly Insn[], n: number): Violation {
    this.backEdges = 0;
    if (!markHalves(insns, n, this.half)) return this.errors.fail(Violation.InvalidInstruction, n - 1, '64-bit immediate load is missing its second half');
    for (let i = 0; i < n; i++) {
      const v = checkSlot(this, this.info, this.errors, insns, i, n);
      if (v !== Violation.None) return v;
    }
    return Violation.None;
  }

  /** Pass 2: the data flow in slot order. */
  private flow(insns: readonly Insn[], n: number): Violation {
    this.initFlow();
    return this.flowFrom(insns, n, 0, true, n);
  }

  /** The state on entry: r1 (the context) and r10 readable. */
  private initFlow(): void {
    this.st.clear();
    this.st.setRegReadable(1, true);
    this.st.setRegReadable(10, true);
    initTypes(this.t, this.info.model !== 'none');
  }

  /** The flow through slots [from, stop) of n, from the current state (`live`: reachable at `from`). */
  private flowFrom(insns: readonly Insn[], n: number, from: number, live: boolean, stop: number): Violation {
    const st = this.st, t = this.t, reached = this.reached, epoch = this.epoch, groups = this.groups, specs = this.specs;
    let i = from;
    for (; i < stop; i++) {
      if (reached[i] === epoch) {
        if (live) {
          st.meet(this.pendSt[i]!);
          mergeTypes(t, this.pendT[i]!, i, st, this.syms);
        } else {
          st.copyFrom(this.pendSt[i]!);
          t.set(this.pendT[i]!);
          live = true;
        }
      }
      if (i >= this.watchFrom) {
        const rec = this.recording;
        if (rec !== undefined) rec.record(i, live, st, t, this.maxTarget);
        else if (this.trail!.joins(i, live, st, t, this.syms, this.maxTarget)) return Violation.None;
      }
      const s = specs[i];
      if (s === undefined) continue; // NOP or LDDW second half
      if (i >= this.trapFrom && live) return this.errors.fail(Violation.BackEdge, i, 'a loop is not proven to end (its back edge may be taken once more than unrolled)');
      // The kernel rejects code no path reaches ("unreachable insn"): never let it into an output.
      // An unreachable `ja +0` NOP is fine: compaction leaves it out (the gate checks what is written).
      // In an unrolled program, code the graph reaches but a decided comparison skips is dead, not unreachable.
      if (!live && (isNop(insns[i]!) || this.cfgReached?.[i] === 1)) continue;
      if (!live) return this.errors.fail(Violation.Unreachable, i, 'unreachable instruction');
      const ins = insns[i]!;
      let v: Violation = Violation.None;
      switch (groups[i]! as Group) {
        case Group.Alu:
          v = checkAlu(this, ins, s, i);
          break;
        case Group.Load:
          v = checkLoad(this, ins, s, i);
          break;
        case Group.Store:
          v = checkStore(this, ins, s, i);
          break;
        case Group.Atomic:
          v = checkAtomic(this, ins, s, i);
          break;
        case Group.Lddw:
          checkLddw(this, ins, insns[i + 1]!);
          i++; // the second half is part of this instruction
          break;
        case Group.LdPacket:
          v = checkLdPacket(this, ins, s, i);
          break;
        case Group.Call:
          v = checkCall(this, ins, i);
          break;
        case Group.Exit:
          v = scalarOperand(this, 0, i, 'the return value');
          if (v === Violation.None && this.info.returnRange) v = checkReturn(this, this.info.returnRange, i);
          live = false;
          break;
        case Group.Ja: {
          const target = this.targets[i]!;
          if (target === i + 1) break; // `ja +0`, K2's other NOP: the state just flows on
          this.jumpTo(i, target, t);
          live = false;
          break;
        }
        case Group.Jcond: {
          v = checkJcondOperands(this, ins, s, i);
          if (v !== Violation.None) break;
          if (this.cfgReached !== undefined) {
            // Unrolled loops: a comparison of known numbers follows one edge (as the kernel does).
            const taken = decideConst(t, ins, s);
            if (taken === 1) { this.jumpTo(i, this.targets[i]!, t); live = false; break; }
            if (taken === 0) break;
          }
          const edge = this.edge;
          edge.set(t);
          refineEdge(edge, this.syms, ins, s, true, i);
          this.jumpTo(i, this.targets[i]!, edge);
          refineEdge(t, this.syms, ins, s, false, i);
          break;
        }
        default:
          break; // rejected in pass 1
      }
      if (v !== Violation.None) return v;
    }
    if (stop < n) {
      // Stopped early (focus()): an LDDW just before `stop` was excluded, so i === stop here.
      this.liveAtStop = live;
      return Violation.None;
    }
    if (live) return this.errors.fail(Violation.NoExit, n - 1, 'execution can fall off the end of the program');
    return Violation.None;
  }

  /** Merges the current state (with types `tt`) into the pending in-state of `target`. */
  private jumpTo(i: number, target: number, tt: TypeState): void {
    // After the window, a jump that brings `start`'s state along leaves `start`'s pending state at
    // its target as it was: only the others (and the window's) keep the flow from joining before it.
    if (i < this.watchFrom) { if (target > this.maxTarget) this.maxTarget = target; } else {
      const rec = this.recording;
      if (rec !== undefined) rec.recordJump(i, this.st, tt);
      else if (target > this.maxTarget && !this.trail!.sameJump(i, target, this.st, tt, this.syms)) this.maxTarget = target;
    }
    if (this.reached[target] !== this.epoch) {
      this.setPending(target, this.st, tt);
    } else {
      const ps = this.pendSt[target]!;
      ps.meet(this.st);
      mergeTypes(this.pendT[target]!, tt, target, ps, this.syms);
    }
  }

  /** The first pending in-state of `slot` in this check: a copy of (st, tt). */
  private setPending(slot: number, st: SafetyState, tt: TypeState): void {
    this.reached[slot] = this.epoch;
    if (this.pendSt[slot] === undefined) {
      this.pendSt[slot] = this.impl.create();
      this.pendT[slot] = newTypeState();
    }
    this.pendSt[slot]!.copyFrom(st);
    this.pendT[slot]!.set(tt);
  }
}
