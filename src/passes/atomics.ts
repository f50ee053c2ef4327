/**
 * Read-modify-write of a map value as one atomic add: `rX = *(uN *)(rB + o); rX += rY;
 * *(uN *)(rB + o) = rX` becomes `lock *(uN *)(rB + o) += rY` when rX is dead after (two slots
 * saved), and with an immediate `rX = K; lock … += rX` (one saved) — the rewrite K2 finds by search.
 * Only for map values (the kernel refuses atomics on packets and the context); 32- and 64-bit.
 */
import { slotPass, type Pass, type PassContext } from './context.js';
import { ins, MOV64_IMM, specAt, type Proposal } from './insns.js';
import { NOP } from '../ebpf/k2-isa.js';

const ATOMIC_ADD: Record<number, number> = { 4: 0xc3, 8: 0xdb };

function proposeAt(ctx: PassContext, i: number): Proposal | undefined {
  const insns = ctx.insns;
  if (i + 3 > insns.length || ctx.targets.has(i + 1) || ctx.targets.has(i + 2)) return undefined;
  const a = insns[i]!, b = insns[i + 1]!, c = insns[i + 2]!;
  const sa = specAt(a), sb = specAt(b), sc = specAt(c);
  if (sa?.kind !== 'ldx' || sc?.kind !== 'stx' || sb?.kind !== 'alu' || sb.alu !== 'add' || sb.width !== 64) return undefined;
  const x = a.dst, base = a.src, size = sa.size;
  if (!ATOMIC_ADD[size] || sc.size !== size || c.dst !== base || c.off !== a.off || c.src !== x || b.dst !== x || base === x) return undefined;
  const kinds = ctx.states.before[i]?.[base];
  if (!kinds || kinds.length === 0 || !kinds.every((k) => k.kind === 'map_value')) return undefined;
  if (i + 3 < insns.length && ctx.live.regs[i + 3]! >> x & 1) return undefined;
  if (sb.usesSrcReg) {
    if (b.src === x || b.src === base) return undefined;
    return { s: i, e: i + 2, replacement: [ins(ATOMIC_ADD[size]!, base, b.src, a.off, 0), { ...NOP }, { ...NOP }] };
  }
  return { s: i, e: i + 2, replacement: [ins(MOV64_IMM, x, 0, 0, b.imm), ins(ATOMIC_ADD[size]!, base, x, a.off, 0), { ...NOP }] };
}

export const atomics: Pass = slotPass('atomic-add', 'load, add, store of a map value → one atomic add', proposeAt);
