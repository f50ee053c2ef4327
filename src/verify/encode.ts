/**
 * Whole-program encoding by symbolic execution over the (loop-free) slot DAG: slots in order, each
 * with the merged state of its incoming edges (SSA by if-then-else on path conditions), every exit
 * merged into one final state, and the condition under which the run ends in an execution error.
 */
import { LDDW_OPCODE, type Insn } from '../ebpf/insn.js';
import { CallKind, specOf } from '../ebpf/opcodes.js';
import { ETH_HLEN } from '../interp/machine.js';
import { call } from './calls.js';
import { STACK_REGION_BYTES } from '../ebpf/abi.js';
import type { SymEnv } from './env.js';
import { inferAlts, loadBytes, possibleValues, pointerReg, Unsupported, type FaultSink } from './memory.js';
import { alu, atomic, endian, jcond, ldx, lddw, movsx, store, type Ctx } from './semantics.js';
import { cloneState, mergeStates, type Reg, type SymState } from './state.js';
import type { Term } from './term.js';

export interface Encoded {
  /** The run ends in an execution error. */
  fault: Term;
  /** The state at exit (undefined when no path exits normally). */
  final: SymState | undefined;
}

export interface Edge { c: Term; s: SymState }

const SKF_NET_OFF = -0x10_0000, SKF_LL_OFF = -0x20_0000;

/** States arriving at slot i on path condition c. */
export type Incoming = Edge[][];

/** The state at slot 0: r1 (context or raw r1/r2 in model 'none') and r10 (stack top). */
export function initialState(env: SymEnv): SymState {
  const tb = env.tb;
  const regs: Reg[] = Array.from({ length: 11 }, () => ({ v: tb.bv(0, 64) }));
  if (env.model === 'none') {
    regs[1] = { v: env.scalars.r1 };
    regs[2] = { v: env.scalars.r2 };
  } else {
    const ctx = tb.bv(env.ctxBase, 64);
    regs[1] = pointerReg(env, ctx, inferAlts(env, ctx));
  }
  const top = tb.bv(env.stackBase + STACK_REGION_BYTES, 64);
  regs[10] = pointerReg(env, top, inferAlts(env, top));
  return { regs, stack: new Map(), ctx: new Map(), pkt: new Map(), logs: env.maps.map(() => undefined), effects: undefined, calls: tb.bv(0, 8), cursor: tb.bv(0, 8), tail: tb.F, tailIdx: tb.bv(0, 32) };
}

export function encodeProgram(env: SymEnv, insns: readonly Insn[]): Encoded {
  const tb = env.tb;
  const n = insns.length;
  const faults: Term[] = [];
  const sink: FaultSink = { fault: (c) => { if (c !== tb.F) faults.push(c); } };
  const incoming: Incoming = Array.from({ length: n + 1 }, () => []);
  const exits: Edge[] = [];
  incoming[0]!.push({ c: tb.T, s: initialState(env) });
  encodeSlots(env, insns, 0, n, incoming, exits, sink, (_t, c) => sink.fault(c)); // execution leaves the program
  const fault = tb.or(...faults);
  if (exits.length === 0) return { fault, final: undefined };
  return { fault, final: mergeEdges(env, exits) };
}

/** One state for several exclusive incoming edges. */
export function mergeEdges(env: SymEnv, edges: readonly Edge[]): SymState {
  return mergeStates(env.tb, edges.map((e) => e.c), edges.map((e) => e.s), (v) => inferAlts(env, v), env);
}

/**
 * Symbolic execution of slots [from, to) of `insns`, each with the merged state of its incoming
 * edges. Program exits go to `exits`; a jump or fall-through to a slot ≥ `to` goes to `leave`.
 */
export function encodeSlots(env: SymEnv, insns: readonly Insn[], from: number, to: number, incoming: Incoming, exits: Edge[], sink: FaultSink, leave: (target: number, c: Term, s: SymState) => void): void {
  const tb = env.tb;
  const n = insns.length;
  const half = new Uint8Array(n + 1);
  for (let i = 0; i < n; i++) if (insns[i]!.op === LDDW_OPCODE && !half[i]) half[i + 1] = 1;
  const goTo = (target: number, c: Term, s: SymState, from: number): void => {
    if (c === tb.F) return;
    if (target <= from) throw new Unsupported(`backward jump at slot ${from} (loops are not encoded)`);
    if (target >= to) { leave(target, c, s); return; }
    incoming[target]!.push({ c, s });
  };

  for (let i = from; i < to; i++) {
    const inc = incoming[i]!;
    incoming[i] = [];
    if (inc.length === 0) continue;
    const reach = tb.or(...inc.map((e) => e.c));
    if (half[i]) { sink.fault(reach); continue; } // a jump into the second half of a 64-bit load
    const merged = mergeEdges(env, inc);
    const s = inc.length === 1 ? cloneState(merged) : merged;
    const c: Ctx = { env, s, reach, sink };
    const ins = insns[i]!;
    const spec = specOf(ins.op, ins.src, ins.off, ins.imm);
    if (!spec) { sink.fault(reach); continue; }
    switch (spec.kind) {
      case 'alu': case 'neg': alu(c, ins, spec); break;
      case 'movsx': movsx(c, ins, spec); break;
      case 'endian': case 'bswap': endian(c, ins, spec); break;
      case 'ldx': case 'ldxs': ldx(c, ins, spec); break;
      case 'st': case 'stx': store(c, ins, spec); break;
      case 'atomic': atomic(c, ins, spec); break;
      case 'lddw': lddw(c, ins, insns[i + 1]); goTo(i + 2, reach, s, i); continue;
      case 'ja': goTo(i + 1 + ins.off, reach, s, i); continue;
      case 'ja32': goTo(i + 1 + ins.imm, reach, s, i); continue;
      case 'exit': exits.push({ c: reach, s }); continue;
      case 'jcond': {
        const cond = jcond(c, ins, spec);
        const t = i + 1 + ins.off;
        if (t === i + 1) { goTo(i + 1, reach, s, i); continue; }
        goTo(t, tb.and(reach, cond), s, i);
        goTo(i + 1, tb.and(reach, tb.not(cond)), cloneState(s), i);
        continue;
      }
      case 'call': {
        if (ins.src !== CallKind.HELPER) throw new Unsupported(ins.src === CallKind.LOCAL ? 'BPF-to-BPF calls are not encoded' : 'kfunc calls are not encoded');
        const r = call(c, ins.imm);
        // r1–r5 are scratch after every call: fresh values no other call site shares.
        for (let k = 1; k <= 5; k++) s.regs[k] = { v: env.clobbered(k) };
        if (r.tailExit) {
          const taken = tb.and(reach, r.tailExit.cond);
          const t = cloneState(s);
          t.tail = tb.T;
          t.tailIdx = r.tailExit.index;
          if (taken !== tb.F) exits.push({ c: taken, s: t });
          goTo(i + 1, tb.and(reach, tb.not(r.tailExit.cond)), s, i);
          continue;
        }
        break;
      }
      case 'ldabs': case 'ldind': {
        const stop = legacyLoad(c, ins, spec.kind === 'ldind', spec.size);
        if (stop !== tb.F) {
          const t = cloneState(s);
          t.regs[0] = { v: tb.bv(0, 64) };
          exits.push({ c: tb.and(reach, stop), s: t });
        }
        goTo(i + 1, tb.and(reach, tb.not(stop)), s, i);
        continue;
      }
      default: throw new Unsupported(`instruction kind ${spec.kind} is not encoded`);
    }
    goTo(i + 1, reach, s, i);
  }
}

/**
 * LD_ABS / LD_IND (network byte order into r0): returns the condition under which the offset is out
 * of range, where the program ends with r0 = 0 (negative offsets: the SKF_NET_OFF / SKF_LL_OFF
 * bases of socket programs).
 */
function legacyLoad(c: Ctx, ins: Insn, indirect: boolean, size: number): Term {
  const { env, s } = c;
  const tb = env.tb;
  const imm = tb.bv(ins.imm, 32);
  const at32 = indirect ? tb.add(tb.extract(31, 0, s.regs[ins.src]!.v), imm) : imm;
  const at = tb.sext(at32, 32);
  if (env.model === 'none') return tb.T;
  const region: 'ctx' | 'pkt' = env.model === 'raw' ? 'ctx' : 'pkt';
  const lenData = tb.sub(env.len, tb.bv(env.dataOff, 64));
  const nonneg = tb.sle(tb.bv(0, 64), at);
  let pos = tb.add(at, tb.bv(env.dataOff, 64));
  let valid = tb.and(nonneg, tb.sle(tb.add(at, tb.bv(size, 64)), lenData));
  if (env.model === 'skb') {
    const net = tb.sle(tb.bv(SKF_NET_OFF, 64), at);
    const ll = tb.sle(tb.bv(SKF_LL_OFF, 64), at);
    const negPos = tb.ite(net, tb.add(at, tb.bv(ETH_HLEN - SKF_NET_OFF, 64)), tb.add(at, tb.bv(-SKF_LL_OFF, 64)));
    pos = tb.ite(nonneg, pos, negPos);
    const negValid = tb.and(ll, tb.sle(tb.add(negPos, tb.bv(size, 64)), env.len));
    valid = tb.ite(nonneg, valid, negValid);
  }
  // Read through a pointer with the right provenance; the range check above decides validity.
  // A symbolic offset (e.g. taken from skb->cb[]) reads through an ite over every position.
  const vals = possibleValues(pos) ?? Array.from({ length: Math.max(0, env.pktRegionMax - size + 1) }, (_, k) => BigInt(k));
  const inRange = vals.filter((v) => v >= 0n && v + BigInt(size) <= BigInt(env.pktRegionMax));
  if (inRange.length > 1) {
    const quiet: FaultSink = { fault: () => undefined };
    let value: Term = tb.bv(0, 8 * size);
    for (const k of inRange) {
      const at: Reg = { v: tb.bv(0, 64), alts: [{ g: tb.T, r: region, off: tb.bv(k, 64) }] };
      const bytes = loadBytes(env, s, c.reach, quiet, at, 0, size);
      let v = bytes[0]!;
      for (let j = 1; j < size; j++) v = tb.concat(v, bytes[j]!);
      value = tb.ite(tb.eq(pos, tb.bv(k, 64)), v, value);
    }
    s.regs[0] = { v: tb.zext(value, 64 - 8 * size) };
    return tb.not(valid);
  }
  const reg: Reg = { v: tb.bv(0, 64), alts: [{ g: tb.T, r: region, off: pos }] };
  let value: Term = tb.bv(0, 8 * size);
  if (inRange.length > 0) {
    const quiet: FaultSink = { fault: () => undefined };
    const bytes = loadBytes(env, s, c.reach, quiet, reg, 0, size);
    value = bytes[0]!; // network byte order: the first byte is the most significant
    for (let j = 1; j < size; j++) value = tb.concat(value, bytes[j]!);
  }
  s.regs[0] = { v: tb.zext(value, 64 - 8 * size) };
  return tb.not(valid);
}
