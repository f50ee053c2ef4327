/**
 * The equivalence query over one SMT-LIB2 session: same inputs ⇒ same observable output (r0 or the
 * tail-call index, packet bytes, map contents), the candidate first checked for execution errors
 * where the original has none (K2's safety query), then a solver-independent counterexample: input
 * variables fixed to the interpreter's defaults where possible, the rest minimised bit by bit.
 */
import type { Insn } from '../ebpf/insn.js';
import type { Program } from '../ebpf/program.js';
import { prandomCallSites } from '../ebpf/helper-calls.js';
import { encodeProgram, type Encoded } from './encode.js';
import { SymEnv } from './env.js';
import { entryByte, entryPresent, Unsupported } from './memory.js';
import { SmtWriter, parseValues } from './smtlib.js';
import { ancestor, events, type Effect, type EffectNode, type SymState } from './state.js';
import type { Term } from './term.js';

/** One solver session: sends SMT-LIB2 commands, returns what the solver printed. */
export interface SmtSession { send(commands: string): string }

export type RawVerdict = 'equal' | 'not-equal' | 'unsafe' | 'unknown';

export interface QueryResult {
  verdict: RawVerdict;
  /** Input values chosen for the counterexample (canonical), by variable name. */
  values?: Map<string, bigint>;
  /** Map seeds: map index → (key value, initial value, present). */
  seeds?: { map: number; key: bigint; value: bigint; present: boolean }[];
  env?: SymEnv;
  /** Why the answer is "unknown". */
  reason?: string;
  /** check-sat calls made. */
  checks: number;
  /** Open push levels the query left on the session (pop them to reuse it). */
  depth: number;
}

export { SolverError } from './smtlib.js';
import { SolverError } from './smtlib.js';

export interface QueryOptions {
  /** Z3 resource limit per check (deterministic, unlike a timeout). */
  rlimit: number;
  /** Whole-program queries: the verdict only, no counterexample for a refutation. */
  verdictOnly?: boolean;
}

/** Observable output differs (both programs ran without an execution error). */
export function outputsDiffer(env: SymEnv, a: SymState, b: SymState): Term {
  const tb = env.tb;
  const parts: Term[] = [];
  parts.push(tb.not(tb.eq(a.tail, b.tail)));
  parts.push(tb.and(a.tail, tb.not(tb.eq(a.tailIdx, b.tailIdx))));
  parts.push(tb.and(tb.not(a.tail), tb.not(tb.eq(a.regs[0]!.v, b.regs[0]!.v))));
  parts.push(memoryDiffers(env, a, b));
  return tb.or(...parts);
}

/** Packet, skb context and map contents differ (what travels on after the program). */
export function memoryDiffers(env: SymEnv, a: SymState, b: SymState): Term {
  const tb = env.tb;
  const parts: Term[] = [];
  // Packet (raw: the context bytes) from data to data_end.
  const region = env.model === 'raw' ? 'ctx' : 'pkt';
  if (env.model !== 'none') {
    const memA = region === 'ctx' ? a.ctx : a.pkt, memB = region === 'ctx' ? b.ctx : b.pkt;
    const init = (k: number): Term => (region === 'ctx' ? env.ctxByte(k) : env.pktByte(k));
    const keys = new Set<number>([...memA.keys(), ...memB.keys()]);
    const d = env.dataOff;
    for (const k of [...keys].sort((x, y) => x - y)) {
      if (k < d || k >= env.pktRegionMax) continue;
      const x = memA.get(k) ?? init(k), y = memB.get(k) ?? init(k);
      if (x === y) continue;
      // k is a region offset (xdp: after the headroom), so it is bounded by the region's size, not the length.
      parts.push(tb.and(tb.ult(tb.bv(k, 64), env.pktSize()), tb.not(tb.eq(x, y))));
    }
  }
  // skb context: writable fields (cb[], mark, priority, …) travel on with the packet and to a
  // tail-called program, so every context byte either program wrote is output.
  if (env.model === 'skb') {
    const keys = new Set<number>([...a.ctx.keys(), ...b.ctx.keys()]);
    for (const k of [...keys].sort((x, y) => x - y)) {
      const x = a.ctx.get(k) ?? env.ctxByte(k), y = b.ctx.get(k) ?? env.ctxByte(k);
      if (x !== y) parts.push(tb.not(tb.eq(x, y)));
    }
  }
  parts.push(effectsDiffer(env, a.effects, b.effects));
  // Maps: every key either program touched.
  env.maps.forEach((info, m) => {
    const keys: Term[] = [];
    for (const ev of [...events(a.logs[m]), ...events(b.logs[m])]) if (!keys.includes(ev.key)) keys.push(ev.key);
    for (const key of keys) {
      const pa = entryPresent(env, a, m, key), pb = entryPresent(env, b, m, key);
      const bytesDiffer: Term[] = [];
      for (let j = 0; j < info.def.valueSize; j++) {
        const x = entryByte(env, a, m, key, j), y = entryByte(env, b, m, key, j);
        if (x !== y) bytesDiffer.push(tb.not(tb.eq(x, y)));
      }
      parts.push(tb.not(tb.eq(pa, pb)));
      parts.push(tb.and(pa, tb.or(...bytesDiffer)));
    }
  });
  return tb.or(...parts);
}

/**
 * The two programs' side-effect calls differ: after their shared prefix, position by position the
 * same helper must be called under the same condition with the same arguments; an unmatched call
 * must not happen. Sound whatever the lists' shapes (a mismatch the interpreter does not confirm
 * becomes "unknown", never "equal").
 */
export function effectsDiffer(env: SymEnv, a: EffectNode | undefined, b: EffectNode | undefined): Term {
  const tb = env.tb;
  if (a === b) return tb.F;
  const common = ancestor(a, b);
  const after = (n: EffectNode | undefined): Effect[] => {
    const out: Effect[] = [];
    for (let x = n; x && x !== common; x = x.prev) out.push(x.ev);
    return out.reverse();
  };
  const xs = after(a), ys = after(b);
  const parts: Term[] = [];
  for (let k = 0; k < Math.max(xs.length, ys.length); k++) {
    const x = xs[k], y = ys[k];
    if (x && y && x.id === y.id && x.args.length === y.args.length && x.args.every((t, j) => t.sort === y.args[j]!.sort)) {
      parts.push(tb.not(tb.eq(x.g, y.g)));
      parts.push(tb.and(x.g, tb.or(...x.args.map((t, j) => tb.not(tb.eq(t, y.args[j]!))))));
    } else {
      if (x) parts.push(x.g);
      if (y) parts.push(y.g);
    }
  }
  return tb.or(...parts);
}

function parseSat(answer: string): 'sat' | 'unsat' | 'unknown' {
  const t = answer.trim();
  if (t.startsWith('(error')) throw new SolverError(t.slice(0, 300));
  const last = t.split('\n').pop()!.trim();
  if (last === 'sat' || last === 'unsat' || last === 'unknown') return last;
  throw new SolverError(`unexpected solver answer '${t.slice(0, 200)}'`);
}

/** Runs the whole query on a fresh scope of `session` (the caller pops or discards it). */
export function runQuery(session: SmtSession, program: Program, original: readonly Insn[], candidate: readonly Insn[], opts: QueryOptions): QueryResult {
  const q = wholeProgramFormulas(program, original, candidate);
  return 'reason' in q ? { verdict: 'unknown', reason: q.reason, checks: 0, depth: 0 } : solve(session, q.env, opts.verdictOnly ? { ...q.f, verdictOnly: true } : q.f, opts);
}

/**
 * "Can the candidate fail or differ?" as one check on a session of its own, asserted at the base level
 * (no push): Z3 then picks its non-incremental bit-vector tactic instead of the incremental core, which
 * on large whole-program queries is one to two orders of magnitude faster (xdp1's final proof: 11.7 s →
 * 0.3 s in Z3 4.8.12). True only for "unsat" (equal); the session is spent afterwards.
 */
export function provedEqualOnce(session: SmtSession, program: Program, original: readonly Insn[], candidate: readonly Insn[], opts: QueryOptions): boolean {
  const q = wholeProgramFormulas(program, original, candidate);
  if ('reason' in q) return false;
  const w = new SmtWriter(), out: string[] = [];
  writeAssumptions(w, out, q.env, q.f, opts);
  out.push(`(assert ${w.ref(failOrDiffer(q.env, q.f), out)})`, '(check-sat)');
  if (parseSat(session.send(out.join('\n'))) !== 'unsat') return false;
  // Not vacuous: some input runs the original without an execution error (else "equal" says nothing).
  const w2 = new SmtWriter(), again: string[] = ['(reset)'];
  writeAssumptions(w2, again, q.env, q.f, opts);
  again.push('(check-sat)');
  return parseSat(session.send(again.join('\n'))) === 'sat';
}

/** The whole-program query's formulas, or why there are none. */
function wholeProgramFormulas(program: Program, original: readonly Insn[], candidate: readonly Insn[]): { env: SymEnv; f: Formulas } | { reason: string } {
  const env = new SymEnv(program, Math.max(prandomCallSites(original), prandomCallSites(candidate)));
  const tb = env.tb;
  let o: Encoded, c: Encoded;
  try {
    o = encodeProgram(env, original);
    c = encodeProgram(env, candidate);
  } catch (e) {
    if (e instanceof Unsupported) return { reason: e.message };
    throw e;
  }
  if (!o.final) return { reason: 'the original never exits normally' };
  const diff = c.final ? tb.and(tb.not(c.fault), outputsDiffer(env, o.final, c.final)) : tb.F;
  return { env, f: { assume: tb.not(o.fault), unsafe: c.fault, differ: diff } };
}

/** A query's setup: its resource limit, the declarations, and what it assumes (preconditions, `assume`). */
function writeAssumptions(w: SmtWriter, out: string[], env: SymEnv, f: Formulas, opts: QueryOptions): void {
  out.push(`(set-option :rlimit ${opts.rlimit})`, ...env.decls);
  out.push(`(assert ${w.ref(env.tb.and(...env.pre, f.assume), out)})`);
}

/** Every query's first question: can the candidate fail or differ? */
const failOrDiffer = (env: SymEnv, f: Formulas): Term => env.tb.or(f.unsafe, f.differ);

/** A query: under `assume` (and the environment's preconditions), can `unsafe` or `differ` hold? */
export interface Formulas {
  assume: Term; unsafe: Term; differ: Term;
  /** Only the verdict is wanted (an over-approximating first try): no counterexample. */
  verdictOnly?: boolean;
}

/**
 * Asks whether the candidate can fail or differ (one check, usually "no": equal); if it can, the
 * safety question, then the equivalence question, then builds a solver-independent counterexample
 * from sat/unsat answers alone.
 */
export function solve(session: SmtSession, env: SymEnv, f: Formulas, opts: QueryOptions): QueryResult {
  const tb = env.tb;
  const w = new SmtWriter();
  const out: string[] = ['(push 1)'];
  writeAssumptions(w, out, env, f, opts);
  let depth = 1;
  const ref = (t: Term): string => w.ref(t, out);
  let checks = 0;
  const check = (extra: Term): 'sat' | 'unsat' | 'unknown' => {
    const r = ref(extra);
    out.push('(push 1)', `(assert ${r})`, '(check-sat)');
    depth++;
    const answer = session.send(out.join('\n'));
    out.length = 0;
    checks++;
    return parseSat(answer);
  };
  // 0. Both questions at once: most candidates that pass every test are equal, and then one check
  // answers both. Otherwise they are asked apart, to tell unsafe from not equal.
  // "equal" needs an input on which the original runs without an execution error: if it faults on
  // every input (or the encoding says so), every candidate would be "equal" — nothing was proved.
  const notVacuous = (): QueryResult => {
    out.push('(pop 1)');
    depth--;
    const r = check(tb.T);
    if (r === 'sat') return { verdict: 'equal', checks, depth };
    return { verdict: 'unknown', reason: r === 'unsat' ? 'the original faults on every input: nothing to compare' : 'solver: unknown (assumptions)', checks, depth };
  };
  if (check(failOrDiffer(env, f)) === 'unsat') return notVacuous();
  out.push('(pop 1)');
  depth--;
  // 1. Safety: can the candidate fail where the original does not?
  let verdict: RawVerdict;
  const unsafe = check(f.unsafe);
  if (unsafe === 'unknown') return { verdict: 'unknown', reason: 'solver: unknown (safety query)', checks, depth };
  if (unsafe === 'sat') verdict = 'unsafe';
  else {
    out.push('(pop 1)');
    depth--;
    // 2. Equivalence.
    const r = check(f.differ);
    if (r === 'unknown') return { verdict: 'unknown', reason: 'solver: unknown (equivalence query)', checks, depth };
    if (r === 'unsat') return notVacuous();
    verdict = 'not-equal';
  }
  if (f.verdictOnly) return { verdict, checks, depth };
  // 3. A canonical counterexample: decided by sat/unsat answers only, never by the solver's model.
  const values = new Map<string, bigint>();
  const tryFix = (eqs: Term[]): boolean => {
    const r = check(tb.and(...eqs));
    if (r === 'sat') return true;
    out.push('(pop 1)');
    depth--;
    return false;
  };
  const decide = (vars: readonly { term: Term; dflt: bigint; name: string }[]): void => {
    const pending = [...vars];
    const fixAll = (vs: typeof pending): boolean => tryFix(vs.map((v) => tb.eq(v.term, tb.bv(v.dflt, v.term.sort))));
    // Groups of 8 at once, then one by one, then byte by byte, then bit by bit (most significant first).
    for (let g = 0; g < pending.length; g += 8) {
      const group = pending.slice(g, g + 8);
      if (fixAll(group)) { for (const v of group) values.set(v.name, v.dflt); continue; }
      for (const v of group) {
        if (group.length > 1 && fixAll([v])) { values.set(v.name, v.dflt); continue; }
        values.set(v.name, minimise(v.term, v.dflt));
      }
    }
  };
  const minimise = (t: Term, dflt: bigint): bigint => {
    const wdt = t.sort;
    let val = 0n;
    for (let byte = Math.ceil(wdt / 8) - 1; byte >= 0; byte--) {
      const hi = Math.min(wdt - 1, 8 * byte + 7), lo = 8 * byte;
      const part = tb.extract(hi, lo, t);
      const d = (dflt >> BigInt(lo)) & ((1n << BigInt(hi - lo + 1)) - 1n);
      if (wdt > 8 && tryFix([tb.eq(part, tb.bv(d, hi - lo + 1))])) { val |= d << BigInt(lo); continue; }
      for (let bit = hi; bit >= lo; bit--) {
        const b = tb.extract(bit, bit, t);
        if (!tryFix([tb.eq(b, tb.bv(0, 1))])) { tryFix([tb.eq(b, tb.bv(1, 1))]); val |= 1n << BigInt(bit); }
      }
    }
    return val;
  };
  // Inputs no formula mentions take their defaults without asking.
  for (const v of env.inputs) if (!w.used.has(v.term.name!)) values.set(v.term.name!, v.dflt);
  decide(env.inputs.filter((v) => w.used.has(v.term.name!)).map((v) => ({ ...v, name: v.term.name! })));
  // Map contents at the keys the programs used (their values are now fixed by the inputs).
  const uses = env.keyUses;
  const keyVals = new Map<number, bigint>();
  const symKeys = uses.filter((u) => u.key.op !== 'const');
  for (const u of uses) if (u.key.op === 'const') keyVals.set(u.key.id, u.key.val!);
  if (symKeys.length > 0) {
    const names = symKeys.map((u) => ref(u.key));
    out.push(`(get-value (${names.join(' ')}))`);
    const vals = parseValues(session.send(out.join('\n')));
    out.length = 0;
    symKeys.forEach((u, k) => keyVals.set(u.key.id, vals[k]!));
  }
  const seeds: NonNullable<QueryResult['seeds']> = [];
  const seen = new Set<string>();
  for (const u of uses) {
    const key = keyVals.get(u.key.id)!;
    const id = `${u.map}:${key}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const info = env.maps[u.map]!;
    const mv = tb.app(`mv${u.map}`, info.def.valueSize * 8, [tb.bv(key, info.keyBits)]);
    let present = info.kind === 'dense';
    if (info.kind !== 'dense') {
      const mp = tb.app(`mp${u.map}`, 0, [tb.bv(key, info.keyBits)]);
      present = !tryFix([tb.not(mp)]);
      if (present) tryFix([mp]);
      else { seeds.push({ map: u.map, key, value: 0n, present: false }); continue; }
    }
    const value = tryFix([tb.eq(mv, tb.bv(0, mv.sort))]) ? 0n : minimise(mv, 0n);
    seeds.push({ map: u.map, key, value, present });
  }
  if (out.length > 0) session.send(out.join('\n'));
  return { verdict, values, seeds, env, checks, depth };
}
