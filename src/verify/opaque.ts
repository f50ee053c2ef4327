/**
 * Helpers the encoder does not model exactly, from their prototype in the helper table: r0 and
 * every byte the helper writes are uninterpreted functions of the helper id, every argument
 * register the prototype lists, every byte its pointer arguments may read (the size from the
 * prototype's size argument, which must be a known constant), for a context argument the packet
 * and context as they are at the call, and — when the result comes from the environment or the
 * call has a side effect — the number of such calls before it. Two programs calling a helper with
 * anything different therefore get unrelated results. Side-effect calls are appended to the
 * state's ordered effect list, which both programs must match. Whatever cannot be said this way
 * (no table entry, packet or context changes, pointer results) is Unsupported: "unknown".
 */
import { helperProto, type HelperArg, type HelperProto } from '../ebpf/helpers.js';
import { loadBytes, mapArg, possibleValues, storeBytes, Unsupported } from './memory.js';
import type { Ctx } from './semantics.js';
import { appendEffect, type Reg, type SymState } from './state.js';
import type { Term } from './term.js';
import type { SymEnv } from './env.js';

/** The packet (length and every byte of its region) and the context bytes written so far: what a helper given the context can read. */
function contextInputs(env: SymEnv, s: SymState): Term[] {
  const out: Term[] = [];
  if (env.model === 'xdp' || env.model === 'skb') {
    out.push(env.pktSize());
    for (let k = env.dataOff; k < env.pktRegionMax; k++) out.push(s.pkt.get(k) ?? env.pktByte(k));
  }
  for (const k of [...s.ctx.keys()].sort((x, y) => x - y)) out.push(env.tb.bv(k, 16), s.ctx.get(k)!);
  return out;
}

/** The constant size a memory argument's size argument holds. */
function constSize(proto: HelperProto, arg: HelperArg, regs: readonly Reg[]): number {
  const sz = arg.size;
  if (!sz) throw new Unsupported(`bpf_${proto.name}: memory argument without a size`);
  if ('bytes' in sz) return sz.bytes;
  const vs = possibleValues(regs[sz.arg + 1]!.v);
  if (!vs || vs.length !== 1) throw new Unsupported(`bpf_${proto.name}: the size in r${sz.arg + 1} is not a known constant`);
  const n = Number(vs[0]!);
  if (n > 512) throw new Unsupported(`bpf_${proto.name}: size ${vs[0]} is larger than the stack`);
  return n;
}

const isNull = (r: Reg): boolean => r.v.op === 'const' && r.v.val === 0n;

export function opaqueCall(c: Ctx, id: number): void {
  const { env, s } = c;
  const tb = env.tb;
  const proto = helperProto(id);
  if (!proto) throw new Unsupported(`helper ${id} has no entry in the helper table`);
  const name = `bpf_${proto.name}`;
  if (proto.changesPacket || proto.writesPacket) throw new Unsupported(`${name} changes the packet (not encoded)`);
  if (proto.changesContext) throw new Unsupported(`${name} changes the context (not encoded)`);
  if (proto.ret !== 'integer' && proto.ret !== 'void') throw new Unsupported(`${name} returns a pointer (not encoded)`);
  const regs = s.regs;
  const args: Term[] = [];
  const writes: { reg: Reg; size: number }[] = [];
  proto.args.forEach((a, i) => {
    const reg = regs[i + 1]!;
    switch (a.kind) {
      case 'scalar': case 'anything': case 'dontcare': case 'size': args.push(reg.v); break;
      case 'map': {
        const m = mapArg(env, reg);
        if (m === undefined) c.sink.fault(c.reach);
        args.push(tb.bv(m ?? 0xffff, 16));
        break;
      }
      case 'ctx': args.push(...contextInputs(env, s)); break;
      case 'mem-read': case 'mem-write': case 'mem-read-write': {
        const size = constSize(proto, a, regs);
        if (a.nullable && isNull(reg)) { args.push(tb.bv(0, 1)); break; }
        if (size === 0) break;
        // Bytes read (also checks the bounds); a pure write still faults out of bounds, in storeBytes.
        if (a.kind !== 'mem-write') args.push(...loadBytes(env, s, c.reach, c.sink, reg, 0, size, a.kind === 'mem-read-write'));
        if (a.kind !== 'mem-read') writes.push({ reg, size });
        break;
      }
      default: throw new Unsupported(`${name}: ${a.kind} arguments are not encoded`);
    }
  });
  const positional = proto.environment === true || proto.sideEffect === true;
  const fnArgs = positional ? [s.calls, ...args] : args;
  const sorts = fnArgs.map((t) => t.sort);
  const sig = sorts.join('_');
  regs[0] = { v: env.fun(`h${id}_${sig}`, sorts, 64, fnArgs) };
  writes.forEach((w, k) => {
    const v = env.fun(`h${id}w${k}_${sig}`, sorts, 8 * w.size, fnArgs);
    const bytes = Array.from({ length: w.size }, (_, j) => tb.extract(8 * j + 7, 8 * j, v));
    storeBytes(env, s, c.reach, c.sink, w.reg, 0, bytes);
  });
  if (positional) s.calls = tb.add(s.calls, tb.bv(1, 8));
  if (proto.sideEffect) appendEffect(s, { g: tb.T, id, args });
}
