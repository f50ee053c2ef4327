/**
 * Store merging: two stores of constants of the same size to adjacent stack bytes (through r10),
 * with nothing between them that touches memory, become one store twice as wide when the wider
 * slot is aligned (r10 is 8-aligned) and the combined value is an immediate the wider store can
 * carry (a 64-bit store sign-extends its imm32). Repeated to the fixed point, four byte stores
 * become one word store.
 */
import { isNop, NOP } from '../ebpf/k2-isa.js';
import { slotPass, type Pass, type PassContext } from './context.js';
import { imm64, ins, isControl, specAt, writesMemory, type Proposal } from './insns.js';

const ST_OP: Record<number, number> = { 1: 0x72, 2: 0x6a, 4: 0x62, 8: 0x7a };
const SCAN = 8;

function proposeAt(ctx: PassContext, i: number): Proposal | undefined {
  const x = ctx.insns[i]!, spec = specAt(x);
  if (!spec || spec.kind !== 'st' || x.dst !== 10 || spec.size === 8) return undefined;
  const size = spec.size;
  for (let j = i + 1; j < ctx.insns.length && j <= i + SCAN; j++) {
    const y = ctx.insns[j]!, sy = specAt(y);
    if (ctx.targets.has(j)) return undefined;
    if (isNop(y)) continue;
    if (!sy || isControl(sy)) return undefined;
    if (sy.kind === 'ldx' || sy.kind === 'ldxs') return undefined;
    if (!writesMemory(sy)) continue;
    if (sy.kind !== 'st' || y.dst !== 10 || sy.size !== size) return undefined;
    const lo = Math.min(x.off, y.off);
    if (Math.abs(x.off - y.off) !== size || ((lo % (2 * size)) + 2 * size) % (2 * size) !== 0) return undefined;
    const mask = (1n << BigInt(8 * size)) - 1n;
    const [a, b] = x.off === lo ? [x, y] : [y, x];
    const v = (BigInt(a.imm) & mask) | ((BigInt(b.imm) & mask) << BigInt(8 * size));
    const imm = 2 * size === 8 ? imm64(v) : Number(BigInt.asIntN(32, v));
    if (imm === undefined) return undefined;
    const repl = ctx.insns.slice(i, j + 1).map((z) => ({ ...z }));
    repl[0] = { ...NOP };
    repl[j - i] = ins(ST_OP[2 * size]!, 10, 0, lo, imm);
    return { s: i, e: j, replacement: repl };
  }
  return undefined;
}

export const storeMerge: Pass = slotPass('store-merge', 'adjacent narrow constant stores to the stack become one wider aligned store', proposeAt);

export type { PassContext };
