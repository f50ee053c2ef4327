/**
 * Peepholes: `mov r, r`; ALU identities (`r += 0`, `r *= 1`, `r &= -1`, …); jumps to the next real
 * instruction; `r <<= 32; r >>= 32` (nothing when the upper half is already zero, else one `w = w`);
 * `w = w` and masks `r &= 0xff`/`0xffff` right after a load that already zero-extends; and the
 * narrower operand width: an LDDW of a constant one `mov` can load takes one slot instead of two.
 */
import type { Insn } from '../ebpf/insn.js';
import { isNop, NOP } from '../ebpf/k2-isa.js';
import type { Pass, PassContext } from './context.js';
import { at, isControl, movConst, MOV32_REG, MOV64_REG, regEffects, specAt, type Proposal } from './insns.js';

const nop = (): Insn => ({ ...NOP });

/** Bits of register r known zero above `width` from its last definition in the same straight-line code. */
function zeroAbove(ctx: PassContext, i: number, r: number): number | undefined {
  for (let k = i - 1; k >= 0 && k >= i - 16; k--) {
    if (ctx.targets.has(k + 1)) return undefined;
    const x = ctx.insns[k]!, spec = specAt(x);
    if (isNop(x)) continue;
    if (!spec || isControl(spec)) return undefined;
    if (!(regEffects(x, spec).writes >> r & 1)) continue;
    if (spec.kind === 'ldx' && spec.size < 8) return spec.size * 8;
    if ((spec.kind === 'alu' || spec.kind === 'neg' || spec.kind === 'endian') && spec.width === 32) return 32;
    return undefined;
  }
  return undefined;
}

/** The ALU identities on 64-bit operands. */
function identity(x: Insn, alu: string | undefined): boolean {
  switch (alu) {
    case 'add': case 'sub': case 'or': case 'xor': case 'lsh': case 'rsh': case 'arsh': return x.imm === 0;
    case 'mul': case 'div': return x.imm === 1;
    case 'and': return x.imm === -1;
    default: return false;
  }
}

function proposeAt(ctx: PassContext, i: number): Proposal[] {
  const insns = ctx.insns, x = insns[i]!, spec = specAt(x);
  if (!spec || isNop(x)) return [];
  if (x.op === MOV64_REG && x.dst === x.src) return [at(i, nop())];
  if (spec.kind === 'alu' && !spec.usesSrcReg && spec.width === 64 && x.off === 0 && identity(x, spec.alu)) return [at(i, nop())];
  if (spec.kind === 'jcond' || spec.kind === 'ja') {
    const t = i + 1 + x.off;
    if (t <= i) return [];
    for (let k = i + 1; k < t; k++) if (!isNop(insns[k]!) || ctx.targets.has(k)) return [];
    // The window covers the NOPs jumped over, so both versions leave it at the target.
    return [{ s: i, e: t - 1, replacement: [nop(), ...insns.slice(i + 1, t).map((z) => ({ ...z }))] }];
  }
  if (spec.kind === 'lddw' && x.src === 0) {
    const v = (BigInt(x.imm >>> 0)) | (BigInt(insns[i + 1]!.imm >>> 0) << 32n);
    const m = movConst(x.dst, v);
    return m ? [{ s: i, e: i + 1, replacement: [m, nop()] }] : [];
  }
  if (x.op === MOV32_REG && x.dst === x.src && x.off === 0) {
    return zeroAbove(ctx, i, x.dst) !== undefined ? [at(i, nop())] : [];
  }
  if (spec.kind === 'alu' && spec.alu === 'and' && !spec.usesSrcReg && (x.imm === 0xff || x.imm === 0xffff)) {
    const z = zeroAbove(ctx, i, x.dst);
    return z !== undefined && (1 << z) - 1 <= x.imm ? [at(i, nop())] : [];
  }
  const y = insns[i + 1];
  if (spec.kind === 'alu' && spec.alu === 'lsh' && spec.width === 64 && !spec.usesSrcReg && x.imm === 32 && y && !ctx.targets.has(i + 1)) {
    const sy = specAt(y);
    if (sy?.kind === 'alu' && sy.alu === 'rsh' && sy.width === 64 && !sy.usesSrcReg && y.imm === 32 && y.dst === x.dst) {
      const out: Proposal[] = [];
      if (zeroAbove(ctx, i, x.dst) !== undefined) out.push({ s: i, e: i + 1, replacement: [nop(), nop()] });
      out.push({ s: i, e: i + 1, replacement: [{ op: MOV32_REG, dst: x.dst, src: x.dst, off: 0, imm: 0 }, nop()] });
      return out;
    }
  }
  return [];
}

export const peephole: Pass = {
  name: 'peephole',
  describe: 'mov r,r; ALU identities; jumps to the next instruction; zero-extension idioms; LDDW of a small constant',
  propose(ctx) {
    const out: Proposal[] = [];
    for (let i = 0; i < ctx.insns.length; i++) if (ctx.states.reachable[i]) out.push(...proposeAt(ctx, i));
    return out;
  },
};

export { MOV64_REG };
