/**
 * Window equivalence (K2's modular verification, k2-spec.md §9.2/§9.4, our variant): the candidate
 * differs from the start program only in slots s…e, so the prefix [0, s) is encoded once, from the
 * real program input, and both windows run from the state it leaves at each window entry. The
 * windows are equal when, from every such state, they fault alike, leave to the same slot (or exit)
 * under the same condition, and agree there on everything the rest of the program can observe:
 * the registers and stack bytes live at that slot, the packet, the context, the maps and the
 * random cursor. Unlike K2 (fresh variables constrained by a static analysis) the entry state is
 * exact, so a counterexample is a real program input — one the interpreter can replay — and no
 * candidate is rejected for a state the program never reaches. The suffix after the window is
 * shared and never encoded, which is what makes these queries cheap.
 */
import { LDDW_OPCODE, type Insn } from '../ebpf/insn.js';
import { specOf } from '../ebpf/opcodes.js';
import { MAX_UNROLLED_SLOTS, unrollLoops } from '../safety/unroll.js';
import type { Program } from '../ebpf/program.js';
import { prandomCallSites } from '../ebpf/helper-calls.js';
import { encodeSlots, initialState, mergeEdges, type Edge, type Incoming } from './encode.js';
import { SymEnv } from './env.js';
import { windowReentry } from './window-entry.js';
import { inferAlts, Unsupported, type FaultSink } from './memory.js';
import { STACK_FRAME_BYTES, STACK_REGION_BYTES } from '../ebpf/abi.js';
import { memoryDiffers, outputsDiffer, solve, type Formulas, type QueryOptions, type QueryResult, type SmtSession } from './query.js';
import { cloneState, type SymState } from './state.js';
import type { Term } from './term.js';

/** What is live when control reaches a slot after the window (from the start program's liveness). */
export interface LiveAt {
  /** Bit r set: register r is read later. */
  regs: number;
  /** Byte i set (i = address − (r10 − 512)): that stack byte is read later; undefined: all are. */
  stack: Uint8Array | undefined;
}

export type Liveness = (slot: number) => LiveAt;

interface WindowRun { fault: Term; leaves: Map<number, Edge[]>; exits: Edge[] }

function runWindow(env: SymEnv, insns: readonly Insn[], s: number, e: number, entries: Incoming): WindowRun {
  const tb = env.tb;
  const faults: Term[] = [];
  const sink: FaultSink = { fault: (c) => { if (c !== tb.F) faults.push(c); } };
  const incoming: Incoming = entries.map((edges) => edges.slice());
  const leaves = new Map<number, Edge[]>();
  const exits: Edge[] = [];
  encodeSlots(env, insns, s, e + 1, incoming, exits, sink, (t, c, st) => {
    if (t >= insns.length) { sink.fault(c); return; }
    const l = leaves.get(t);
    if (l) l.push({ c, s: st }); else leaves.set(t, [{ c, s: st }]);
  });
  return { fault: tb.or(...faults), leaves, exits };
}

/** The two states at a slot after the window differ in something the rest of the program reads. */
function liveStateDiffers(env: SymEnv, a: SymState, b: SymState, live: LiveAt): Term {
  const tb = env.tb;
  const parts: Term[] = [];
  for (let r = 0; r <= 10; r++) {
    if ((live.regs >> r) & 1 && a.regs[r]!.v !== b.regs[r]!.v) parts.push(tb.not(tb.eq(a.regs[r]!.v, b.regs[r]!.v)));
  }
  const keys = new Set<number>([...a.stack.keys(), ...b.stack.keys()]);
  const frameBottom = STACK_REGION_BYTES - STACK_FRAME_BYTES;
  for (const k of [...keys].sort((x, y) => x - y)) {
    const i = k - frameBottom;
    if (live.stack && i >= 0 && !live.stack[i]) continue;
    const x = a.stack.get(k) ?? tb.bv(0, 8), y = b.stack.get(k) ?? tb.bv(0, 8);
    if (x !== y) parts.push(tb.not(tb.eq(x, y)));
  }
  if (a.cursor !== b.cursor) parts.push(tb.not(tb.eq(a.cursor, b.cursor)));
  if (a.calls !== b.calls) parts.push(tb.not(tb.eq(a.calls, b.calls)));
  parts.push(memoryDiffers(env, a, b));
  return tb.or(...parts);
}

const orOf = (env: SymEnv, edges: readonly Edge[] | undefined): Term => (edges && edges.length > 0 ? env.tb.or(...edges.map((x) => x.c)) : env.tb.F);

/**
 * Whether `candidate` (equal to `start` outside s…e) is equivalent to `start`. "equal" is a proof
 * for the whole program; "not-equal"/"unsafe" come with a canonical program input.
 */
export function runWindowQuery(session: SmtSession, program: Program, start: readonly Insn[], candidate: readonly Insn[], s: number, e: number, live: Liveness, opts: QueryOptions, loopCopies?: number): QueryResult {
  try {
    const n = start.length;
    if (candidate.length !== n) throw new Unsupported('window query on programs of different lengths');
    for (let i = 0; i < n; i++) {
      if (i >= s && i <= e) continue;
      const x = start[i]!, y = candidate[i]!;
      if (x.op !== y.op || x.dst !== y.dst || x.src !== y.src || x.off !== y.off || x.imm !== y.imm) throw new Unsupported(`the programs differ outside the window (slot ${i})`);
    }
    const reentry = windowReentry(start, s, e);
    if (reentry) throw new Unsupported(reentry);
    const u = unrolledWindow(start, candidate, s, e, live, loopCopies);
    if (u) return exactWindowQuery(session, program, u.start, u.candidate, u.s, u.e, u.live, opts);
  } catch (err) {
    if (err instanceof Unsupported) return { verdict: 'unknown', reason: err.message, checks: 0, depth: 0 };
    throw err;
  }
  return exactWindowQuery(session, program, start, candidate, s, e, live, opts);
}

/**
 * Loops before the window: both programs with every loop unrolled `loopCopies` times (src/safety/unroll.ts),
 * the window at its one place in the copy, liveness read at the original slots. The safety checker proved
 * that no execution takes a back edge that often, so paths to the unrolled copy's trap (dropped by the
 * prefix encoding, as jumps past the window are) do not occur, and the unrolled prefix is exact.
 * Undefined when nothing before the window loops.
 */
function unrolledWindow(start: readonly Insn[], candidate: readonly Insn[], s: number, e: number, live: Liveness, loopCopies: number | undefined):
  { start: Insn[]; candidate: Insn[]; s: number; e: number; live: Liveness } | undefined {
  if (!hasBackEdge(start, s)) return undefined;
  if (loopCopies === undefined) throw new Unsupported('loops before the window, and no proven bound on their iterations');
  const a = unrollLoops(start, start.length, loopCopies, MAX_UNROLLED_SLOTS), b = unrollLoops(candidate, candidate.length, loopCopies, MAX_UNROLLED_SLOTS);
  if (typeof a === 'string') throw new Unsupported(a);
  if (typeof b === 'string') throw new Unsupported(b);
  const at = a.orig.indexOf(s);
  if (at < 0 || a.orig.indexOf(s, at + 1) >= 0 || a.insns.length !== b.insns.length) throw new Unsupported('the window lies in a loop');
  for (let k = 0; k <= e - s; k++) if (a.orig[at + k] !== s + k || b.orig[at + k] !== s + k) throw new Unsupported('the window lies in a loop');
  const orig = a.orig;
  return { start: a.insns, candidate: b.insns, s: at, e: at + e - s, live: (t) => live(t < orig.length && orig[t]! >= 0 ? orig[t]! : t) };
}

/** Whether a jump in [0, s) goes backward. */
function hasBackEdge(insns: readonly Insn[], s: number): boolean {
  for (let i = 0; i < s; i++) {
    const x = insns[i]!;
    if (x.op === LDDW_OPCODE) { i++; continue; }
    const spec = specOf(x.op, x.src, x.off, x.imm);
    const t = spec?.kind === 'ja32' ? i + 1 + x.imm : spec?.kind === 'ja' || spec?.kind === 'jcond' ? i + 1 + x.off : undefined;
    if (t !== undefined && t <= i) return true;
  }
  return false;
}

function exactWindowQuery(session: SmtSession, program: Program, start: readonly Insn[], candidate: readonly Insn[], s: number, e: number, live: Liveness, opts: QueryOptions): QueryResult {
  const env = new SymEnv(program, Math.max(prandomCallSites(start), prandomCallSites(candidate)));
  const tb = env.tb;
  let f: Formulas;
  try {
    const prefix = encodePrefix(env, start, s, e);
    // First, cheaply: the windows from an abstract entry state (K2's approach). "equal" there holds
    // for every state the prefix can leave, so it is a proof; anything else falls back to the exact query.
    const abstract = abstractEntries(env, prefix.entries, s, e);
    if (abstract) {
      const q = tryAbstract(session, env, start, candidate, s, e, abstract, live, opts);
      if (q) return q;
    }
    f = windowFormulas(env, start, candidate, s, e, prefix.entries, live);
    f.assume = tb.and(tb.not(prefix.faults), f.assume);
  } catch (err) {
    if (err instanceof Unsupported) return { verdict: 'unknown', reason: err.message, checks: 0, depth: 0 };
    throw err;
  }
  return solve(session, env, f, opts);
}

/**
 * `start`'s slots [0, s) encoded once from the program input: the edges entering the window at each
 * of its slots, and the condition under which the prefix faults. Exits before the window and jumps
 * over it are the same in both programs and need nothing.
 */
function encodePrefix(env: SymEnv, start: readonly Insn[], s: number, e: number): { entries: Incoming; faults: Term } {
  const tb = env.tb;
  const n = start.length;
  const faults: Term[] = [];
  const incoming: Incoming = Array.from({ length: n + 1 }, () => []);
  const entries: Incoming = Array.from({ length: n + 1 }, () => []);
  (s === 0 ? entries : incoming)[0]!.push({ c: tb.T, s: initialState(env) });
  const sink: FaultSink = { fault: (f) => { if (f !== tb.F) faults.push(f); } };
  encodeSlots(env, start, 0, s, incoming, [], sink, (t, c, st) => { if (t <= e) entries[t]!.push({ c, s: st }); });
  return { entries, faults: tb.or(...faults) };
}

/** Both windows from `entries`: the candidate can fail, or the windows differ, where the start's does not fail. */
function windowFormulas(env: SymEnv, start: readonly Insn[], candidate: readonly Insn[], s: number, e: number, entries: Incoming, live: Liveness): Formulas {
  const tb = env.tb;
  const o = runWindow(env, start, s, e, entries);
  const c = runWindow(env, candidate, s, e, entries);
  return { assume: tb.not(o.fault), unsafe: c.fault, differ: tb.and(tb.not(c.fault), windowsDiffer(env, o, c, live)) };
}

/**
 * The entry state with every register and stack byte that is neither a constant nor a pointer
 * replaced by a fresh variable, and no path condition: a superset of the states the prefix can
 * leave. Only for windows entered at one slot.
 */
function abstractEntries(env: SymEnv, entries: Incoming, s: number, e: number): Incoming | undefined {
  const tb = env.tb;
  let slot = -1;
  for (let t = s; t <= e; t++) {
    if (entries[t]!.length === 0) continue;
    if (slot >= 0) return undefined;
    slot = t;
  }
  if (slot < 0) return undefined;
  const edges = entries[slot]!;
  const st = cloneState(mergeEdges(env, edges));
  let abstracted = edges.length > 1 || edges[0]!.c !== tb.T;
  for (let r = 0; r <= 10; r++) {
    const reg = st.regs[r]!;
    if (reg.v.op === 'const' || reg.alts || inferAlts(env, reg.v)) continue;
    st.regs[r] = { v: tb.var(`a_r${r}`, 64) };
    abstracted = true;
  }
  for (const [k, b] of st.stack) if (b.op !== 'const') { st.stack.set(k, tb.var(`a_s${k}`, 8)); abstracted = true; }
  // Nothing to abstract (a window near the start): the abstract query would be the exact one.
  if (!abstracted) return undefined;
  const out: Incoming = entries.map(() => []);
  out[slot]!.push({ c: tb.T, s: st });
  return out;
}

/** The abstract query: its "equal", or undefined (ask the exact query) after popping its scopes. */
function tryAbstract(session: SmtSession, env: SymEnv, start: readonly Insn[], candidate: readonly Insn[], s: number, e: number, entries: Incoming, live: Liveness, opts: QueryOptions): QueryResult | undefined {
  let f: Formulas;
  try {
    f = windowFormulas(env, start, candidate, s, e, entries, live);
  } catch (err) {
    if (err instanceof Unsupported) return undefined; // e.g. a pointer the abstraction lost: ask exactly
    throw err;
  }
  const q = solve(session, env, { ...f, verdictOnly: true }, opts);
  if (q.verdict === 'equal') return q;
  if (q.depth > 0) session.send(`(pop ${q.depth})`);
  return undefined;
}

/** Some way the two window runs differ observably (exit slot, exit condition, live state, output). */
function windowsDiffer(env: SymEnv, o: WindowRun, c: WindowRun, live: Liveness): Term {
  const tb = env.tb;
  const parts: Term[] = [];
  const targets = [...new Set([...o.leaves.keys(), ...c.leaves.keys()])].sort((x, y) => x - y);
  for (const t of targets) {
    const eo = o.leaves.get(t), ec = c.leaves.get(t);
    const co = orOf(env, eo), cc = orOf(env, ec);
    parts.push(tb.not(tb.eq(co, cc)));
    if (eo && ec) parts.push(tb.and(co, cc, liveStateDiffers(env, mergeEdges(env, eo), mergeEdges(env, ec), live(t))));
  }
  const xo = orOf(env, o.exits), xc = orOf(env, c.exits);
  parts.push(tb.not(tb.eq(xo, xc)));
  if (o.exits.length > 0 && c.exits.length > 0) parts.push(tb.and(xo, xc, outputsDiffer(env, mergeEdges(env, o.exits), mergeEdges(env, c.exits))));
  return tb.or(...parts);
}

/**
 * A program input on which `start` reaches slot s…e (for window tests when random inputs never get
 * there, e.g. behind a map hit or a narrow bounds check): "not-equal" with canonical input values
 * when one exists, "equal" when the window is unreachable, else "unknown".
 */
export function runReachQuery(session: SmtSession, program: Program, start: readonly Insn[], s: number, e: number, opts: QueryOptions): QueryResult {
  const env = new SymEnv(program, prandomCallSites(start));
  const tb = env.tb;
  let prefix: { entries: Incoming; faults: Term };
  try {
    // Reached only by way of a path the prefix does not encode: no proof that it is unreachable.
    const reentry = windowReentry(start, s, e);
    if (reentry) throw new Unsupported(reentry);
    prefix = encodePrefix(env, start, s, e);
  } catch (err) {
    if (err instanceof Unsupported) return { verdict: 'unknown', reason: err.message, checks: 0, depth: 0 };
    throw err;
  }
  const entry = tb.or(...prefix.entries.slice(s, e + 1).map((edges) => orOf(env, edges)));
  return solve(session, env, { assume: tb.not(prefix.faults), unsafe: tb.F, differ: entry }, opts);
}
