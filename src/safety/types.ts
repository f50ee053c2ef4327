/**
 * The abstract value of each register (pointer kind, symbolic offset, map) and the proven packet
 * range, packed into one Float64Array per program point so that copying a state is one `set`.
 * Merging two states at a join is here too; readability itself lives in the SafetyState axis.
 */
import type { SafetyState } from './state.js';

/** What a readable register holds. */
export const enum Kind {
  /** A number we know nothing about. */
  Scalar = 0,
  /** A number equal to sym + off (sym 0: the constant off). */
  Const = 1,
  /** The context (xdp_md, __sk_buff or the raw input) + off. */
  Ctx = 2,
  /** r10 + off (off ≤ 0). */
  Stack = 3,
  /** Packet data + sym + off. */
  Pkt = 4,
  /** data_end. */
  PktEnd = 5,
  /** A map handle from an LDDW map-fd load; aux = map index. */
  MapPtr = 6,
  /** map_lookup_elem's result before its null check; aux = map index, sym = id shared by copies. */
  MapValueOrNull = 7,
  /** A map value + sym + off; aux = map index. */
  MapValue = 8,
  /** Different kinds on different paths (or a pointer we do not model, e.g. data_meta): readable,
   *  but neither a usable pointer nor a scalar. */
  Mixed = 9,
}

export const KIND = 0;
export const SYM = 11;
export const OFF = 22;
export const AUX = 33;
/** Packet bytes [0, range) proven present for fixed-offset packet pointers. */
export const PKT_RANGE = 44;
export const NFACTS = 45;
/** Up to MAX_FACTS facts "pkt + sym + [0, range) is present" for variable-offset packet pointers. */
export const FACT_SYM = 46;
export const MAX_FACTS = 4;
export const FACT_RANGE = FACT_SYM + MAX_FACTS;
export const TYPE_WORDS = FACT_RANGE + MAX_FACTS;

export type TypeState = Float64Array;

/** Constants and symbolic offsets stay exact doubles; beyond this they degrade to Scalar. */
export const CONST_LIMIT = 2 ** 52;
/** The kernel's bound on pointer offsets (BPF_MAX_VAR_OFF). */
export const PTR_OFF_LIMIT = 2 ** 29;
/** The kernel's bound on variable packet offsets (MAX_PACKET_OFF). */
export const MAX_PACKET_OFF = 0xffff;

export const newTypeState = (): TypeState => new Float64Array(TYPE_WORDS);

/**
 * Value ranges of symbols. A symbol names "the value register r had on entry to slot j" when the
 * paths into j disagree on it (id j·11 + r + 1); without back edges each slot runs at most once per
 * execution, so it is one number per run. Relations through a symbol survive joins: xdp1 checks
 * `pkt + s + 4 <= data_end` and then reads 2 bytes at `pkt + s + 2`.
 */
export interface Symbols {
  min: Float64Array;
  max: Float64Array;
}

export const symbolId = (slot: number, r: number): number => slot * 11 + r + 1;
/**
 * Symbols per slot: 11 join symbols (symbolId), 2 × 11 for the edges of a comparison or a slot's own
 * number (refineSymbol), and 11 for joins that take in a slot's number (slotJoinSymbol).
 */
export const SYMBOLS_PER_SLOT = 44;
/** "r on the taken (or fall-through) edge of the comparison at slot": ids after every join symbol of the check. */
export function refineSymbol(syms: Symbols, slot: number, r: number, taken: boolean): number {
  const joins = (syms.min.length - 1) / 4;
  return joins + 1 + (slot * 11 + r) * 2 + (taken ? 1 : 0);
}
/** r at a join of `slot` where a side holds a slot's number: itself a slot's number (a range on each path, not a constant). */
export function slotJoinSymbol(syms: Symbols, slot: number, r: number): number {
  return 3 * ((syms.min.length - 1) / 4) + 1 + slot * 11 + r;
}

/**
 * Whether `sym` is a number of one slot (a comparison's bound, a narrow load, a mask, a shift: refineSymbol)
 * rather than a join of known numbers. On each of the kernel's paths a join symbol is a constant, so packet
 * ranges carry over between pointers through it; a slot's number is a range there (a pointer moved by it
 * gets its own id and range), and joins do not keep it (mergeTypes).
 */
export const isSlotNumber = (syms: Symbols, sym: number): boolean => sym > (syms.min.length - 1) / 4;

export function setReg(t: TypeState, r: number, kind: Kind, sym: number, off: number, aux: number): void {
  t[KIND + r] = kind;
  t[SYM + r] = sym;
  t[OFF + r] = off;
  t[AUX + r] = aux;
}

export const kindOf = (t: TypeState, r: number): Kind => t[KIND + r]! as Kind;
export const isScalarKind = (k: Kind): boolean => k <= Kind.Const;

/** The entry state: r1 = the context (a plain number in model 'none'), r10 = the stack top. */
export function initTypes(t: TypeState, r1IsCtx: boolean): void {
  t.fill(0);
  if (r1IsCtx) t[KIND + 1] = Kind.Ctx;
  t[KIND + 10] = Kind.Stack;
}

/** Smallest / largest value of sym + off. */
export const lowOf = (s: Symbols, sym: number, off: number): number => (sym === 0 ? off : s.min[sym]! + off);
export const highOf = (s: Symbols, sym: number, off: number): number => (sym === 0 ? off : s.max[sym]! + off);

/** The proven packet range for pointers carrying symbol `sym` (0 when none). */
export function factFor(t: TypeState, sym: number): number {
  const n = t[NFACTS]!;
  for (let i = 0; i < n; i++) if (t[FACT_SYM + i] === sym) return t[FACT_RANGE + i]!;
  return 0;
}

/** Records pkt + sym + [0, range) as present (keeps the larger range; drops facts beyond MAX_FACTS). */
export function addFact(t: TypeState, sym: number, range: number): void {
  const n = t[NFACTS]!;
  for (let i = 0; i < n; i++) {
    if (t[FACT_SYM + i] === sym) {
      if (range > t[FACT_RANGE + i]!) t[FACT_RANGE + i] = range;
      return;
    }
  }
  if (n === MAX_FACTS) return;
  t[FACT_SYM + n] = sym;
  t[FACT_RANGE + n] = range;
  t[NFACTS] = n + 1;
}

/** Forgets every packet pointer and range (a helper moved the packet data). */
export function invalidatePacket(t: TypeState, st: SafetyState): void {
  for (let r = 0; r < 11; r++) {
    const k = t[KIND + r];
    if (k === Kind.Pkt || k === Kind.PktEnd) {
      st.setRegReadable(r, false);
      setReg(t, r, Kind.Scalar, 0, 0, 0);
    }
  }
  t[PKT_RANGE] = 0;
  t[NFACTS] = 0;
}

/**
 * a ← a ⊔ b at the entry of `slot`, for the registers readable in `st` (already met). Equal values
 * stay; two bounded numbers, or two packet / map-value pointers into the same object at different
 * offsets, become a fresh symbol with the union range; two null-check ids a fresh id; anything
 * else Mixed. Packet ranges keep what both sides proved. Symmetric: either side may already
 * hold this slot's symbol (then it is widened).
 */
export function mergeTypes(a: TypeState, b: TypeState, slot: number, st: SafetyState, syms: Symbols): void {
  for (let r = 0; r < 11; r++) {
    if (!st.regReadable(r)) {
      setReg(a, r, Kind.Scalar, 0, 0, 0);
      continue;
    }
    const ka = a[KIND + r]!, kb = b[KIND + r]!;
    const sa = a[SYM + r]!, sb = b[SYM + r]!, oa = a[OFF + r]!, ob = b[OFF + r]!, xa = a[AUX + r]!;
    if (ka === kb && sa === sb && oa === ob && xa === b[AUX + r]) continue;
    if ((ka === Kind.Const || ka === Kind.Pkt) && (isSlotNumber(syms, sa) || isSlotNumber(syms, sb))) {
      // The union range as this join's own slot number: a packet pointer so joined is a pointer of its own
      // (checked afresh before use), as each of the kernel's paths holds a ranged one there.
      const k = slotJoinSymbol(syms, slot, r);
      const lo = Math.min(sa === k && oa === 0 ? syms.min[k]! : lowOf(syms, sa, oa), sb === k && ob === 0 ? syms.min[k]! : lowOf(syms, sb, ob));
      const hi = Math.max(sa === k && oa === 0 ? syms.max[k]! : highOf(syms, sa, oa), sb === k && ob === 0 ? syms.max[k]! : highOf(syms, sb, ob));
      const ok = ka === kb && xa === b[AUX + r] && (ka === Kind.Pkt ? lo >= 0 && hi <= MAX_PACKET_OFF : lo >= -CONST_LIMIT && hi <= CONST_LIMIT);
      if (ok) {
        syms.min[k] = lo;
        syms.max[k] = hi;
        setReg(a, r, ka, k, 0, xa);
      } else setReg(a, r, isScalarKind(ka) && isScalarKind(kb) ? Kind.Scalar : Kind.Mixed, 0, 0, 0);
    } else if (ka === kb && xa === b[AUX + r] && (ka === Kind.Const || ka === Kind.Pkt || ka === Kind.MapValue)) {
      const j = symbolId(slot, r);
      let lo: number, hi: number;
      if (sa === j && oa === 0) {
        lo = Math.min(syms.min[j]!, lowOf(syms, sb, ob)); hi = Math.max(syms.max[j]!, highOf(syms, sb, ob));
      } else if (sb === j && ob === 0) {
        lo = Math.min(syms.min[j]!, lowOf(syms, sa, oa)); hi = Math.max(syms.max[j]!, highOf(syms, sa, oa));
      } else {
        lo = Math.min(lowOf(syms, sa, oa), lowOf(syms, sb, ob)); hi = Math.max(highOf(syms, sa, oa), highOf(syms, sb, ob));
      }
      const ok = ka === Kind.Pkt ? lo >= 0 && hi <= MAX_PACKET_OFF : lo >= -CONST_LIMIT && hi <= CONST_LIMIT;
      if (ok) {
        syms.min[j] = lo;
        syms.max[j] = hi;
        setReg(a, r, ka, j, 0, xa);
      } else {
        setReg(a, r, ka === Kind.Const ? Kind.Scalar : Kind.Mixed, 0, 0, 0);
      }
    } else if (ka === kb && ka === Kind.MapValueOrNull && xa === b[AUX + r]) {
      setReg(a, r, ka, -symbolId(slot, r), 0, xa);
    } else if (isScalarKind(ka) && isScalarKind(kb)) {
      setReg(a, r, Kind.Scalar, 0, 0, 0);
    } else {
      setReg(a, r, Kind.Mixed, 0, 0, 0);
    }
  }
  // Packet facts: the smaller range of those on both sides.
  if (b[PKT_RANGE]! < a[PKT_RANGE]!) a[PKT_RANGE] = b[PKT_RANGE]!;
  let kept = 0;
  const n = a[NFACTS]!;
  for (let i = 0; i < n; i++) {
    const sym = a[FACT_SYM + i]!;
    const other = factFor(b, sym);
    if (other <= 0) continue;
    a[FACT_SYM + kept] = sym;
    a[FACT_RANGE + kept] = Math.min(a[FACT_RANGE + i]!, other);
    kept++;
  }
  a[NFACTS] = kept;
}
