/**
 * Dead code: register writes nothing reads later and stack stores to bytes nothing reads later
 * (src/analysis/liveness.ts), and slots no path reaches (the static analysis). Removal is a NOP in
 * place (both halves of an LDDW); compaction leaves the NOPs out when the program is written.
 */
import { NOP } from '../ebpf/k2-isa.js';
import { isNop } from '../ebpf/k2-isa.js';
import { STACK_FRAME_BYTES } from '../ebpf/abi.js';
import { slotPass, type Pass, type PassContext } from './context.js';
import { nextSlot, regEffects, specAt, type Proposal } from './insns.js';
import { Opcode } from '../ebpf/opcodes.js';

const nops = (n: number): Proposal['replacement'] => Array.from({ length: n }, () => ({ ...NOP }));

/** Kinds whose only effect is their destination register (loads may fault; the proof allows removing a fault the original never has). */
const PURE = new Set(['alu', 'neg', 'movsx', 'endian', 'bswap', 'lddw', 'ldx', 'ldxs']);

function deadAt(ctx: PassContext, i: number): Proposal | undefined {
  const x = ctx.insns[i]!, spec = specAt(x);
  if (!spec || isNop(x)) return undefined;
  const next = nextSlot(ctx.insns, i);
  if (next >= ctx.insns.length) return undefined;
  if (PURE.has(spec.kind)) {
    if (spec.kind === 'lddw' && x.src !== 0 && x.src !== 1 && x.src !== 2) return undefined;
    const { writes } = regEffects(x, spec);
    if (ctx.live.regs[next]! & writes) return undefined;
    return { s: i, e: next - 1, replacement: nops(next - i) };
  }
  if ((spec.kind === 'st' || spec.kind === 'stx') && ctx.stackPtrAt(i, x.dst)) {
    // The store's bytes relative to the frame; any live byte keeps it.
    const st = ctx.states.before[i]?.[x.dst];
    if (x.dst !== 10 && (!st || st.length !== 1)) return undefined;
    const base = x.dst === 10 ? 0 : st![0]!.off;
    const lo = STACK_FRAME_BYTES + base + x.off;
    if (lo < 0 || lo + spec.size > STACK_FRAME_BYTES) return undefined;
    const live = ctx.live.stack[next]!;
    for (let b = lo; b < lo + spec.size; b++) if (live[b]) return undefined;
    return { s: i, e: i, replacement: nops(1) };
  }
  return undefined;
}

export const deadCode: Pass = slotPass('dead-code', 'register writes and stack stores nothing reads later', deadAt);

export const unreachable: Pass = {
  name: 'unreachable',
  describe: 'slots no path from the entry reaches',
  propose(ctx) {
    const out: Proposal[] = [];
    const n = ctx.insns.length;
    for (let i = 0; i < n;) {
      if (ctx.states.reachable[i] || isNop(ctx.insns[i]!) || ctx.insns[i - 1]?.op === Opcode.LDDW) { i++; continue; }
      let j = i;
      while (j + 1 < n && !ctx.states.reachable[j + 1]) j++;
      out.push({ s: i, e: j, replacement: nops(j - i + 1) });
      i = j + 1;
    }
    return out;
  },
};
