/**
 * Copy propagation: after `rA = rB`, the reads of rA up to where rA dies (or is written again) in the
 * same straight-line code read rB instead, and the move goes — as one window rewrite, so the proof
 * sees the move and every rewritten read together. Not done when rB changes while rA is still live,
 * or when rA is read by an instruction that also updates it (`rA += 1`).
 */
import type { Insn } from '../ebpf/insn.js';
import { isNop, NOP } from '../ebpf/k2-isa.js';
import { slotPass, type Pass, type PassContext } from './context.js';
import { isControl, MOV64_REG, regEffects, specAt, type Proposal } from './insns.js';

const SCAN = 48;

/** `x` with its reads of register a turned into reads of b, or undefined when that is not possible. */
function substitute(x: Insn, a: number, b: number): Insn | undefined {
  const spec = specAt(x);
  if (!spec) return undefined;
  const { reads, writes } = regEffects(x, spec);
  if (!(reads >> a & 1)) return x;
  switch (spec.kind) {
    case 'alu': case 'movsx': case 'ldx': case 'ldxs':
      if (x.dst === a && (spec.kind === 'alu' && spec.alu !== 'mov')) return undefined; // read-modify-write
      return { ...x, src: x.src === a ? b : x.src };
    case 'jcond': case 'st': case 'stx':
      return { ...x, dst: x.dst === a ? b : x.dst, src: spec.usesSrcReg || spec.kind === 'stx' ? (x.src === a ? b : x.src) : x.src };
    default:
      return writes ? undefined : undefined;
  }
}

function proposeAt(ctx: PassContext, i: number): Proposal | undefined {
  const m = ctx.insns[i]!;
  if (m.op !== MOV64_REG || m.dst === m.src || m.dst === 10) return undefined;
  const a = m.dst, b = m.src, bitA = 1 << a, bitB = 1 << b;
  const live = ctx.live.regs;
  const repl: Insn[] = [{ ...NOP }];
  let changed = false;
  for (let k = i + 1; k < ctx.insns.length && k <= i + SCAN; k++) {
    const x = ctx.insns[k]!, spec = specAt(x);
    if (!(live[k]! & bitA)) return changed ? { s: i, e: k - 1, replacement: repl } : undefined;
    if (ctx.targets.has(k) || !spec) return undefined;
    if (isNop(x)) { repl.push(x); continue; }
    const eff = regEffects(x, spec);
    const y = substitute(x, a, b);
    if (!y) return undefined;
    if (y !== x) changed = true;
    repl.push(y);
    if (eff.writes & bitA) return changed ? { s: i, e: k, replacement: repl } : undefined;
    if (eff.writes & bitB) { // rB changes: fine when rA is dead from here on
      const after = k + 1 < ctx.insns.length ? live[k + 1]! : 0;
      return !(after & bitA) && !isControl(spec) && changed ? { s: i, e: k, replacement: repl } : undefined;
    }
    if (isControl(spec)) {
      if (spec.kind !== 'jcond') return undefined;
      const t = k + 1 + x.off;
      if ((live[k + 1]! | (live[t] ?? 0)) & bitA) return undefined;
      return changed ? { s: i, e: k, replacement: repl } : undefined;
    }
  }
  return undefined;
}

export const copies: Pass = slotPass('copies', 'copy propagation: reads of a copied register read the original, and the move goes', proposeAt);

export type { PassContext };
