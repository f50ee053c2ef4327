/**
 * Expected outputs of the original program on each test, and K2's per-test error of a candidate's
 * run against them (k2-spec.md §4 "What counts as output", §6.1): map value bytes of keys present in
 * both, the count of keys present in only one, every packet byte (and an skb program's context,
 * which the kernel passes on — K2 does not compare it), then the exit: r0, or the
 * tail-call index, or a fixed penalty when the exit kinds differ. `st_ex` 0 sums |a − b| in double
 * precision; 1 sums popcount(a XOR b).
 */
import type { Machine } from '../interp/machine.js';
import type { MapState } from '../interp/maps.js';

export interface MapImage {
  arrayLike: boolean;
  sparse: boolean;
  /** Dense arrays: the dirty part of the arena (bytes [0, hi) of the arena; the rest are zero). */
  bytes: Uint8Array;
  /** Hash maps and sparse arrays: key → value bytes. */
  entries: Map<string, Uint8Array>;
  valueSize: number;
}

export interface ExpectedOutput {
  r0lo: number;
  r0hi: number;
  /** Tail-call index, or -1 for a normal exit. */
  tail: number;
  packet: Uint8Array;
  /** skb programs: the context after the run (cb[], mark, … are written and travel on). */
  ctx: Uint8Array | undefined;
  maps: MapImage[];
  /** Redirect target and perf outputs, canonically ('' when none): both programs must make the same. */
  effects: string;
}

/** The run's side effects other than a tail call, as one comparable string ('' when there are none). */
export function effectsKey(m: Machine): string {
  const se = m.sideEffects;
  if (se.redirect === undefined && se.perfOutputs === undefined) return '';
  return JSON.stringify([se.redirect ?? null, se.perfOutputs ?? null]);
}

/**
 * A map left out of an expected output (`captureOutput(m, skip)`): outputError does not compare it.
 * The soundness harness skips maps neither program can write (src/ebpf/map-writes.ts), whose contents
 * after a run are the input's seeds on both sides; the search never skips.
 */
export const UNCOMPARED: MapImage = Object.freeze({ arrayLike: false, sparse: false, bytes: new Uint8Array(0), entries: new Map(), valueSize: 0 });

export function captureOutput(m: Machine, skip?: ReadonlySet<number>): ExpectedOutput {
  return {
    r0lo: m.lo[0]!, r0hi: m.hi[0]!,
    tail: m.sideEffects.tailCall ? m.sideEffects.tailCall.index : -1,
    packet: m.packetBytes(),
    ctx: m.model === 'skb' ? m.ctx!.bytes.slice() : undefined,
    maps: skip ? m.maps.map((s, i) => (skip.has(i) ? UNCOMPARED : imageOf(s))) : m.maps.map(imageOf),
    effects: effectsKey(m),
  };
}

function imageOf(s: MapState): MapImage {
  const vs = s.def.valueSize;
  const arena = s.region.bytes;
  const entries = new Map<string, Uint8Array>();
  for (const [k, slot] of s.keySlots) entries.set(k, arena.slice(slot * vs, (slot + 1) * vs));
  const [, hi] = s.dirtyRange;
  return { arrayLike: s.arrayLike, sparse: s.sparse, bytes: s.arrayLike && !s.sparse ? arena.slice(0, hi) : new Uint8Array(0), entries, valueSize: vs };
}

export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** One list entry's error: |a − b| or popcount(a ^ b) on a 64-bit pair. */
export function term64(popcount: boolean, alo: number, ahi: number, blo: number, bhi: number): number {
  if (popcount) return popcount32(alo ^ blo) + popcount32(ahi ^ bhi);
  return Math.abs((ahi * 0x1_0000_0000 + (alo >>> 0)) - (bhi * 0x1_0000_0000 + (blo >>> 0)));
}

export function byteTerm(popcount: boolean, a: number, b: number): number {
  return popcount ? popcount32(a ^ b) : Math.abs(a - b);
}

/**
 * Error of the machine's last run against `exp`. `exitMismatchPenalty` is the term used when one
 * run tail-called and the other exited (K2: the last prog array's max_entries, 0 without one).
 */
export function outputError(m: Machine, exp: ExpectedOutput, popcount: boolean, exitMismatchPenalty: number): number {
  let err = 0;
  const maps = m.maps;
  for (let i = 0; i < maps.length; i++) {
    const e = exp.maps[i]!;
    if (e !== UNCOMPARED) err += mapError(maps[i]!, e, popcount);
  }
  // Packet bytes (lengths differ only after xdp_adjust_head: missing bytes count as 0).
  const p = m.packet;
  if (p) {
    const bytes = p.bytes, start = m.dataStart - p.base, len = m.dataEnd - m.dataStart;
    const ep = exp.packet, n = Math.max(len, ep.length);
    for (let j = 0; j < n; j++) {
      const a = j < len ? bytes[start + j]! : 0;
      const b = ep[j] ?? 0;
      if (a !== b) err += byteTerm(popcount, a, b);
    }
    if (len !== ep.length) err += popcount ? popcount32(len ^ ep.length) : Math.abs(len - ep.length);
  }
  const ec = exp.ctx;
  if (ec) {
    const cb = m.ctx!.bytes;
    for (let j = 0; j < ec.length; j++) if (cb[j] !== ec[j]) err += byteTerm(popcount, cb[j]!, ec[j]!);
  }
  // A different redirect target or perf output is a different program (one unit of error).
  if ((exp.effects !== '' || m.sideEffects.redirect !== undefined || m.sideEffects.perfOutputs !== undefined) && effectsKey(m) !== exp.effects) err += 1;
  const tail = m.sideEffects.tailCall ? m.sideEffects.tailCall.index : -1;
  if ((tail < 0) !== (exp.tail < 0)) err += popcount ? popcount32(exitMismatchPenalty) : exitMismatchPenalty;
  else if (tail >= 0) err += term64(popcount, tail, 0, exp.tail, 0);
  else if (m.lo[0] !== exp.r0lo || m.hi[0] !== exp.r0hi) err += term64(popcount, m.lo[0]!, m.hi[0]!, exp.r0lo, exp.r0hi);
  return err;
}

/**
 * Whether `arena[0, hi)` equals `exp` (read as 0 past its end): one memcmp, and a word scan for the
 * tail. Most runs match (a large array handed out by pointer is dirty as a whole), so the byte loop
 * that sums the error runs only when they do not.
 */
/** Arena size from which one memcmp beats the byte loop (the search's maps are mostly a few dozen bytes). */
const SAME_BYTES_MIN = 4096;

/** Value size from which a hash entry is first compared with one memcmp. */
const SAME_VALUE_MIN = 256;

function sameBytes(arena: Uint8Array, exp: Uint8Array, hi: number): boolean {
  if (hi > arena.length) return false;
  const n = Math.min(exp.length, hi);
  if (Buffer.compare(Buffer.from(arena.buffer, arena.byteOffset, n), Buffer.from(exp.buffer, exp.byteOffset, n)) !== 0) return false;
  let j = n;
  for (; j < hi && ((arena.byteOffset + j) & 3) !== 0; j++) if (arena[j] !== 0) return false;
  if (j < hi) {
    const words = new Int32Array(arena.buffer, arena.byteOffset + j, (hi - j) >> 2);
    for (let w = 0; w < words.length; w++) if (words[w] !== 0) return false;
    j += words.length * 4;
  }
  for (; j < hi; j++) if (arena[j] !== 0) return false;
  return true;
}

function mapError(s: MapState, exp: MapImage, popcount: boolean): number {
  const arena = s.region.bytes;
  const vs = s.def.valueSize;
  let err = 0;
  if (exp.arrayLike && !exp.sparse) {
    // Every index is present in both: compare value bytes where either side may be non-zero.
    const hi = Math.max(s.dirtyRange[1], exp.bytes.length);
    // Only for large arenas: two Buffer views per call cost the search ~10% candidates/s on K2's small maps.
    if (hi >= SAME_BYTES_MIN && sameBytes(arena, exp.bytes, hi)) return 0;
    for (let j = 0; j < hi; j++) {
      const a = arena[j]!, b = exp.bytes[j] ?? 0;
      if (a !== b) err += byteTerm(popcount, a, b);
    }
    return err;
  }
  let onlyOne = 0;
  for (const [k, slot] of s.keySlots) {
    const ev = exp.entries.get(k);
    if (!ev) { onlyOne++; continue; }
    const o = slot * vs;
    // Large values (bcc's 7,720-byte event records): one memcmp, the byte loop only when they differ.
    if (vs >= SAME_VALUE_MIN && Buffer.compare(Buffer.from(arena.buffer, arena.byteOffset + o, vs), Buffer.from(ev.buffer, ev.byteOffset, vs)) === 0) continue;
    for (let j = 0; j < vs; j++) {
      const a = arena[o + j]!, b = ev[j]!;
      if (a !== b) err += byteTerm(popcount, a, b);
    }
  }
  for (const k of exp.entries.keys()) if (!s.keySlots.has(k)) onlyOne++;
  if (onlyOne) err += popcount ? popcount32(onlyOne) : onlyOne;
  return err;
}
