/**
 * Symbolic machine state on one path of the program DAG: registers as 64-bit terms with pointer
 * provenance (K2's memory-type concretisation: which region, at which offset, under which guard),
 * written bytes per flat region, a per-map event log (K2's WT/URT tables), and the random cursor.
 * States meeting at a join are merged with if-then-else on the incoming path conditions.
 */
import type { TermBuilder, Term } from './term.js';

/** A map entry reached through a lookup: map index and key (entry identity). */
export interface Entry { readonly map: number; readonly key: Term }

export type RegionRef = 'stack' | 'ctx' | 'pkt' | { readonly entry: Entry } | { readonly handle: number };

/** "Under guard g, the register points into region r at offset off." */
export interface Alt { readonly g: Term; readonly r: RegionRef; readonly off: Term }

export interface Reg { readonly v: Term; readonly alts?: readonly Alt[] }

export type MapEvent =
  | { readonly kind: 'store'; readonly g: Term; readonly key: Term; readonly off: number; readonly byte: Term }
  | { readonly kind: 'update'; readonly g: Term; readonly key: Term; readonly bytes: readonly Term[] }
  | { readonly kind: 'delete'; readonly g: Term; readonly key: Term };

/** A helper call with an effect outside the program's memory: helper id and every argument the kernel uses. */
export interface Effect { readonly g: Term; readonly id: number; readonly args: readonly Term[] }

/** A persistent, append-only list of guarded events (newest first), shared between states. */
export interface Chain<E extends { readonly g: Term }> { readonly prev: Chain<E> | undefined; readonly depth: number; readonly ev: E }
export type LogNode = Chain<MapEvent>;
export type EffectNode = Chain<Effect>;

export interface SymState {
  regs: Reg[];
  stack: Map<number, Term>;
  ctx: Map<number, Term>;
  pkt: Map<number, Term>;
  logs: (LogNode | undefined)[];
  /** Side-effect helper calls in order (redirects, outputs, …): both programs must make the same ones. */
  effects: EffectNode | undefined;
  /** Number of calls so far to helpers whose result comes from the environment (8-bit): the
   *  uninterpreted result of such a call depends on its position, not only on its arguments. */
  calls: Term;
  /** Index of the next get_prandom_u32 value (8-bit term). */
  cursor: Term;
  /** Exit kind: tail call taken, and its index (32-bit). */
  tail: Term;
  tailIdx: Term;
}

export function cloneState(s: SymState): SymState {
  return { regs: s.regs.slice(), stack: new Map(s.stack), ctx: new Map(s.ctx), pkt: new Map(s.pkt), logs: s.logs.slice(), effects: s.effects, calls: s.calls, cursor: s.cursor, tail: s.tail, tailIdx: s.tailIdx };
}

export function appendEvent(s: SymState, m: number, ev: MapEvent): void {
  const prev = s.logs[m];
  s.logs[m] = { prev, depth: (prev?.depth ?? 0) + 1, ev };
}

export function appendEffect(s: SymState, ev: Effect): void {
  s.effects = { prev: s.effects, depth: (s.effects?.depth ?? 0) + 1, ev };
}

/** Events of a log, oldest first. */
export function events<E extends { readonly g: Term }>(n: Chain<E> | undefined): E[] {
  const out: E[] = [];
  for (let x = n; x; x = x.prev) out.push(x.ev);
  return out.reverse();
}

export function sameRegion(a: RegionRef, b: RegionRef): boolean {
  if (a === b) return true;
  if (typeof a === 'string' || typeof b === 'string') return false;
  if ('entry' in a && 'entry' in b) return a.entry.map === b.entry.map && a.entry.key === b.entry.key;
  if ('handle' in a && 'handle' in b) return a.handle === b.handle;
  return false;
}

/** ite(c1, x1, ite(c2, x2, … xn)) over mutually exclusive conditions (the last needs none). */
export function iteChain(tb: TermBuilder, cs: readonly Term[], xs: readonly Term[]): Term {
  let acc = xs[xs.length - 1]!;
  for (let k = xs.length - 2; k >= 0; k--) acc = tb.ite(cs[k]!, xs[k]!, acc);
  return acc;
}

/**
 * Merges states arriving at one slot on mutually exclusive path conditions `cs`. `infer` gives the
 * provenance of a register that has none (e.g. a constant address), or undefined when unknown.
 */
export function mergeStates(tb: TermBuilder, cs: readonly Term[], ss: readonly SymState[], infer: (v: Term) => readonly Alt[] | undefined, init: InitialBytes): SymState {
  if (ss.length === 1) return ss[0]!;
  const first = ss[0]!;
  const regs: Reg[] = [];
  for (let r = 0; r < first.regs.length; r++) {
    const rs = ss.map((s) => s.regs[r]!);
    if (rs.every((x) => x.v === rs[0]!.v)) { regs.push(rs.find((x) => x.alts) ?? rs[0]!); continue; }
    const v = iteChain(tb, cs, rs.map((x) => x.v));
    regs.push(mergeAlts(tb, cs, rs, v, infer));
  }
  const mergeMem = (pick: (s: SymState) => Map<number, Term>, init: (k: number) => Term): Map<number, Term> => {
    const out = new Map<number, Term>();
    const keys = new Set<number>();
    for (const s of ss) for (const k of pick(s).keys()) keys.add(k);
    for (const k of keys) {
      const xs = ss.map((s) => pick(s).get(k) ?? init(k));
      out.set(k, xs.every((x) => x === xs[0]) ? xs[0]! : iteChain(tb, cs, xs));
    }
    return out;
  };
  const logs = first.logs.map((_, m) => mergeLogs(tb, cs, ss.map((s) => s.logs[m])));
  const effects = mergeLogs(tb, cs, ss.map((s) => s.effects));
  const field = (pick: (s: SymState) => Term): Term => { const xs = ss.map(pick); return xs.every((x) => x === xs[0]) ? xs[0]! : iteChain(tb, cs, xs); };
  return {
    regs,
    stack: mergeMem((s) => s.stack, () => tb.bv(0, 8)),
    ctx: mergeMem((s) => s.ctx, (k) => init.ctxByte(k)),
    pkt: mergeMem((s) => s.pkt, (k) => init.pktByte(k)),
    logs,
    effects,
    calls: field((s) => s.calls),
    cursor: field((s) => s.cursor),
    tail: field((s) => s.tail),
    tailIdx: field((s) => s.tailIdx),
  };
}

/** Initial contents of the flat regions (the environment). */
export interface InitialBytes { ctxByte(k: number): Term; pktByte(k: number): Term }

function mergeAlts(tb: TermBuilder, cs: readonly Term[], rs: readonly Reg[], v: Term, infer: (v: Term) => readonly Alt[] | undefined): Reg {
  const flat: Alt[] = [];
  for (let k = 0; k < rs.length; k++) {
    const alts = rs[k]!.alts ?? infer(rs[k]!.v);
    if (!alts) return { v };
    for (const a of alts) flat.push({ g: tb.and(cs[k]!, a.g), r: a.r, off: a.off });
  }
  const groups: Alt[][] = [];
  for (const a of flat) {
    const g = groups.find((x) => sameRegion(x[0]!.r, a.r));
    if (g) g.push(a); else groups.push([a]);
  }
  const alts = groups.map((g) => ({ g: tb.or(...g.map((a) => a.g)), r: g[0]!.r, off: iteChain(tb, g.map((a) => a.g), g.map((a) => a.off)) }));
  return { v, alts };
}

/** Common prefix kept; each branch's newer events guarded by its path condition. */
function mergeLogs<E extends { readonly g: Term }>(tb: TermBuilder, cs: readonly Term[], logs: readonly (Chain<E> | undefined)[]): Chain<E> | undefined {
  if (logs.every((l) => l === logs[0])) return logs[0];
  let common = logs[0];
  for (const l of logs.slice(1)) common = ancestor(common, l);
  let out = common;
  logs.forEach((l, k) => {
    const suffix: E[] = [];
    for (let x = l; x && x !== common; x = x.prev) suffix.push(x.ev);
    for (const ev of suffix.reverse()) out = { prev: out, depth: (out?.depth ?? 0) + 1, ev: { ...ev, g: tb.and(cs[k]!, ev.g) } };
  });
  return out;
}

export function ancestor<E extends { readonly g: Term }>(a: Chain<E> | undefined, b: Chain<E> | undefined): Chain<E> | undefined {
  while (a && b && a !== b) {
    if (a.depth > b.depth) a = a.prev;
    else if (b.depth > a.depth) b = b.prev;
    else { a = a.prev; b = b.prev; }
  }
  return a && b ? a : undefined;
}
