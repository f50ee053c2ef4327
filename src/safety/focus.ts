/**
 * The window-focused check's saved analysis (SafetyChecker.focus): `start`'s state at the window's
 * first slot, pass 1's per-slot results, and `start`'s flow after the window (Trail), where a
 * candidate's flow that arrives in `start`'s state can stop: from there on it is `start`'s flow,
 * which is safe. That makes a candidate cost the slots until its flow joins `start`'s again (a
 * changed register is usually overwritten, or clobbered by a helper call, within a few slots).
 */
import { keepsStartOutside, type Insn } from '../ebpf/insn.js';
import type { OpSpec } from '../ebpf/opcodes.js';
import type { SafetyState, SafetyStateImpl } from './state.js';
import { AUX, FACT_RANGE, FACT_SYM, KIND, NFACTS, OFF, PKT_RANGE, SYM, TYPE_WORDS, type Symbols, type TypeState } from './types.js';

const NOT_RECORDED = 2;

/**
 * `start`'s flow at the top of each slot j in [from, n) (after the join there): whether it is live,
 * its state, and the largest jump target of the slots [s, j) it ran; and its symbols after the flow.
 */
/**
 * The storage of a checker's trails, per slot, kept from one focus to the next (a trail of a
 * 2,000-slot program is thousands of states: allocated once, not per window switch).
 */
export class TrailStore {
  readonly st: SafetyState[] = [];
  readonly jumpSt: SafetyState[] = [];
  t = new Float64Array(0);
  jumpT = new Float64Array(0);

  constructor(readonly impl: SafetyStateImpl) {}

  fit(n: number): void {
    if (this.t.length >= n * TYPE_WORDS) return;
    this.t = new Float64Array(n * TYPE_WORDS);
    this.jumpT = new Float64Array(n * TYPE_WORDS);
  }
}

export class Trail {
  readonly live: Uint8Array;
  readonly maxTarget: Int32Array;
  /** Whether `start`'s flow jumped from the slot (the store holds the state it took: readability, the edge's types). */
  readonly jumped: Uint8Array;
  symMin = new Float64Array(0);
  symMax = new Float64Array(0);

  /** `regs[j]`: the registers the checker may still look at from slot j on (liveRegisters); the others may differ. */
  constructor(private readonly store: TrailStore, readonly from: number, n: number, private readonly regs: Uint16Array) {
    const k = Math.max(0, n - from);
    store.fit(n);
    this.live = new Uint8Array(k).fill(NOT_RECORDED); // second halves (the flow skips them)
    this.maxTarget = new Int32Array(k);
    this.jumped = new Uint8Array(k);
  }

  recordJump(i: number, st: SafetyState, t: TypeState): void {
    const sj = this.store.jumpSt;
    (sj[i] ?? (sj[i] = this.store.impl.create())).copyFrom(st);
    this.store.jumpT.set(t, i * TYPE_WORDS);
    this.jumped[i - this.from] = 1;
  }

  /** Whether the jump at slot i (after the window) takes the state `start`'s flow took there (but in registers dead at `target`). */
  sameJump(i: number, target: number, st: SafetyState, t: TypeState, syms: Symbols): boolean {
    return this.jumped[i - this.from] === 1 && this.same(st, t, syms, this.store.jumpSt[i]!, this.store.jumpT, i * TYPE_WORDS, this.regs[target]!);
  }

  record(j: number, live: boolean, st: SafetyState, t: TypeState, maxTarget: number): void {
    const k = j - this.from;
    this.live[k] = live ? 1 : 0;
    this.maxTarget[k] = maxTarget;
    if (!live) return;
    const ss = this.store.st;
    (ss[j] ?? (ss[j] = this.store.impl.create())).copyFrom(st);
    this.store.t.set(t, j * TYPE_WORDS);
  }

  finish(syms: Symbols): void {
    this.symMin = Float64Array.from(syms.min);
    this.symMax = Float64Array.from(syms.max);
  }

  /**
   * Whether a candidate's flow at the top of slot j (≥ from, outside the window) continues as
   * `start`'s: no jump of either flow since s targets a slot past j (so the pending states beyond j
   * are the ones both had at s), the same liveness, and when live the same readability, types,
   * and ranges of the symbols the types name (symbols of slots ≥ s may have been written differently).
   */
  joins(j: number, live: boolean, st: SafetyState, t: TypeState, syms: Symbols, maxTarget: number): boolean {
    const k = j - this.from;
    const l = this.live[k]!;
    if (maxTarget > j || this.maxTarget[k]! > j || l === NOT_RECORDED || (l === 1) !== live) return false;
    return !live || this.same(st, t, syms, this.store.st[j]!, this.store.t, j * TYPE_WORDS, this.regs[j]!);
  }

  /**
   * The same readability of stack bytes and of the registers in `regs`, the same abstract values of
   * those registers and packet facts (`tt` from offset o), and the same ranges of the symbols they name.
   */
  private same(st: SafetyState, t: TypeState, syms: Symbols, sst: SafetyState, tt: Float64Array, o: number, regs: number): boolean {
    if (t[PKT_RANGE] !== tt[o + PKT_RANGE] || t[NFACTS] !== tt[o + NFACTS]) return false;
    for (let r = 0; r < 11; r++) {
      if ((regs & (1 << r)) === 0) continue;
      if (t[KIND + r] !== tt[o + KIND + r] || t[SYM + r] !== tt[o + SYM + r] || t[OFF + r] !== tt[o + OFF + r] || t[AUX + r] !== tt[o + AUX + r]) return false;
      if (!this.sameSymbol(t[SYM + r]!, syms)) return false;
    }
    for (let f = 0; f < t[NFACTS]!; f++) {
      if (t[FACT_SYM + f] !== tt[o + FACT_SYM + f] || t[FACT_RANGE + f] !== tt[o + FACT_RANGE + f]) return false;
      if (!this.sameSymbol(t[FACT_SYM + f]!, syms)) return false;
    }
    return st.sameAs(sst, regs);
  }

  /** Id 0 is no symbol; negative ids are null-check ids (no range). */
  private sameSymbol(id: number, syms: Symbols): boolean {
    return id <= 0 || (syms.min[id] === this.symMin[id] && syms.max[id] === this.symMax[id]);
  }
}

/** `start`'s analysis at slot s of a window [s, e] (see SafetyChecker.focus). */
export interface Focus {
  start: readonly Insn[]; s: number; e: number; n: number;
  /** Whether slot s is reachable along the fall-through edge, and the state there. */
  live: boolean; st: SafetyState; t: TypeState;
  /** Pending in-states of the slots ≥ s that jumps before s reach. */
  pending: { slot: number; st: SafetyState; t: TypeState }[];
  symMin: Float64Array; symMax: Float64Array;
  /** Pass 1's per-slot results for `start`. */
  specs: (OpSpec | undefined)[]; groups: Uint8Array; targets: Int32Array; half: Uint8Array;
  /** `start`'s flow after the window, when it is safe. */
  trail?: Trail | undefined;
}

/**
 * Whether `insns` holds `f.start`'s instruction objects outside the window (candidates copy them),
 * 64-bit loads in the same window slots as `start` (so the same slots are second halves, pass 1's
 * `half` flags hold), and — when the window starts at a load's second half — that half as in
 * `start` (the saved state at s has the load's value).
 */
export function fitsFocus(insns: readonly Insn[], f: Focus): boolean {
  return keepsStartOutside(insns, f.start, f.s, f.e);
}
