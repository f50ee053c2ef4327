/**
 * The subset of eBPF that K2's proposals draw from (k2-spec.md §3): K2's 71 opcode indices in
 * K2's order (uniform sampling depends on it), each mapped to a row of our opcode table, with the
 * operand list in K2's order and each operand's range (§7). A deleted instruction is a NOP, which
 * we write as `ja +0` (K2 writes NOPs the same way in its output).
 */
import { Cls, Jmp, opByName, type OpSpec } from './opcodes.js';
import type { Insn } from './insn.js';

export type Operand = 'dst' | 'src' | 'imm' | 'off';

export interface K2Op {
  /** K2's index (0…70). */
  index: number;
  /** K2's name (ADD64XC, …). */
  k2Name: string;
  /** Our row; undefined for NOP. */
  spec: OpSpec | undefined;
  operands: readonly Operand[];
  /** K2's class grouping used by proposals. */
  group: 'nop' | 'exit' | 'ja' | 'jcond' | 'other' | 'st' | 'ld' | 'call';
}

const K2_ROWS: readonly (readonly [string, string | undefined])[] = [
  ['NOP', undefined], ['ADD64XC', 'add64_imm'], ['ADD64XY', 'add64_reg'], ['SUB64XY', 'sub64_reg'], ['MUL64XC', 'mul64_imm'],
  ['DIV64XC', 'div64_imm'], ['OR64XC', 'or64_imm'], ['OR64XY', 'or64_reg'], ['AND64XC', 'and64_imm'], ['AND64XY', 'and64_reg'],
  ['LSH64XC', 'lsh64_imm'], ['LSH64XY', 'lsh64_reg'], ['RSH64XC', 'rsh64_imm'], ['RSH64XY', 'rsh64_reg'], ['NEG64XC', 'neg64'],
  ['XOR64XC', 'xor64_imm'], ['XOR64XY', 'xor64_reg'], ['MOV64XC', 'mov64_imm'], ['MOV64XY', 'mov64_reg'], ['ARSH64XC', 'arsh64_imm'],
  ['ARSH64XY', 'arsh64_reg'], ['ADD32XC', 'add32_imm'], ['ADD32XY', 'add32_reg'], ['OR32XC', 'or32_imm'], ['OR32XY', 'or32_reg'],
  ['AND32XC', 'and32_imm'], ['AND32XY', 'and32_reg'], ['LSH32XC', 'lsh32_imm'], ['LSH32XY', 'lsh32_reg'], ['RSH32XC', 'rsh32_imm'],
  ['RSH32XY', 'rsh32_reg'], ['MOV32XC', 'mov32_imm'], ['MOV32XY', 'mov32_reg'], ['ARSH32XC', 'arsh32_imm'], ['ARSH32XY', 'arsh32_reg'],
  ['LE', 'le16'], ['BE', 'be16'], ['LDDW', 'lddw'], ['LDXB', 'ldxb'], ['STXB', 'stxb'],
  ['LDXH', 'ldxh'], ['STXH', 'stxh'], ['LDXW', 'ldxw'], ['STXW', 'stxw'], ['LDXDW', 'ldxdw'],
  ['STXDW', 'stxdw'], ['STB', 'stb'], ['STH', 'sth'], ['STW', 'stw'], ['STDW', 'stdw'],
  ['XADD64', 'lock_add64'], ['XADD32', 'lock_add32'], ['LDABSH', 'ldabsh'], ['LDINDH', 'ldindh'], ['JA', 'ja'],
  ['JEQXC', 'jeq64_imm'], ['JEQXY', 'jeq64_reg'], ['JGTXC', 'jgt64_imm'], ['JGTXY', 'jgt64_reg'], ['JGEXC', 'jge64_imm'],
  ['JGEXY', 'jge64_reg'], ['JNEXC', 'jne64_imm'], ['JNEXY', 'jne64_reg'], ['JSGTXC', 'jsgt64_imm'], ['JSGTXY', 'jsgt64_reg'],
  ['JEQ32XC', 'jeq32_imm'], ['JEQ32XY', 'jeq32_reg'], ['JNE32XC', 'jne32_imm'], ['JNE32XY', 'jne32_reg'], ['CALL', 'call'],
  ['EXIT', 'exit'],
];

function operandsOf(spec: OpSpec | undefined): { operands: Operand[]; group: K2Op['group'] } {
  if (!spec) return { operands: [], group: 'nop' };
  switch (spec.kind) {
    case 'exit': return { operands: [], group: 'exit' };
    case 'ja': return { operands: ['off'], group: 'ja' };
    case 'jcond': return { operands: ['dst', spec.usesSrcReg ? 'src' : 'imm', 'off'], group: 'jcond' };
    case 'call': return { operands: ['imm'], group: 'call' };
    case 'neg': return { operands: ['dst'], group: 'other' };
    case 'alu': case 'endian': case 'lddw': return { operands: ['dst', spec.usesSrcReg ? 'src' : 'imm'], group: 'other' };
    case 'ldx': return { operands: ['dst', 'src', 'off'], group: 'ld' };
    case 'stx': case 'atomic': return { operands: ['dst', 'off', 'src'], group: 'st' };
    case 'st': return { operands: ['dst', 'off', 'imm'], group: 'st' };
    case 'ldabs': return { operands: ['imm'], group: 'ld' };
    case 'ldind': return { operands: ['src'], group: 'ld' };
    default: throw new Error(`row ${spec.name} is not in K2's proposal set`);
  }
}

export const K2_OPS: readonly K2Op[] = K2_ROWS.map(([k2Name, row], index) => {
  const spec = row === undefined ? undefined : opByName(row);
  return { index, k2Name, spec, ...operandsOf(spec) };
});

export const K2_OP_COUNT = K2_OPS.length; // 71
export const NOP_INDEX = 0;
export const LDDW_INDEX = K2_OPS.findIndex((o) => o.k2Name === 'LDDW');
export const CALL_INDEX = K2_OPS.findIndex((o) => o.k2Name === 'CALL');
export const EXIT_INDEX = K2_OPS.findIndex((o) => o.k2Name === 'EXIT');
/** The 15 jumps (JA and the conditional jumps), excluded from replacements in window mode and at the last slot. */
export const JUMP_INDICES: readonly number[] = K2_OPS.filter((o) => o.group === 'ja' || o.group === 'jcond').map((o) => o.index);

/** Helpers a CALL operand change may pick (K2: map lookup/update/delete, tail call). */
export const CALL_HELPER_CHOICES = [1, 2, 3, 12] as const;
export const PRANDOM_HELPER = 7;
export const ENDIAN_WIDTHS = [16, 32, 64] as const;

/** The memory-opcode groups for the "swap opcode within its group" half of a replacement (§7). */
export const MEMORY_GROUPS: Readonly<Record<string, readonly string[]>> = {
  ldx: ['LDXB', 'LDXH', 'LDXW', 'LDXDW'],
  stx: ['STXB', 'STXH', 'STXW', 'STXDW', 'STB', 'STH', 'STW', 'STDW', 'XADD64', 'XADD32'],
  st: ['STB', 'STH', 'STW', 'STDW'],
  xadd: ['XADD64', 'XADD32'],
};

export const NOP: Readonly<Insn> = { op: Cls.JMP | Jmp.JA, dst: 0, src: 0, off: 0, imm: 0 };

export function isNop(i: Insn): boolean {
  return i.op === (Cls.JMP | Jmp.JA) && i.off === 0 && i.imm === 0 && i.dst === 0 && i.src === 0;
}

const BY_OPCODE = new Map<number, K2Op[]>();
for (const o of K2_OPS) if (o.spec) BY_OPCODE.set(o.spec.opcode, [...(BY_OPCODE.get(o.spec.opcode) ?? []), o]);

/** K2's index of an instruction (LE/BE share one index each; anything outside the set is undefined). */
export function k2OpOf(i: Insn): K2Op | undefined {
  if (isNop(i)) return K2_OPS[NOP_INDEX];
  const cands = BY_OPCODE.get(i.op);
  if (!cands) return undefined;
  if (cands.length === 1) {
    const c = cands[0]!;
    const m = c.spec!.match;
    if (m && c.spec!.kind !== 'endian') {
      const v = m.field === 'off' ? i.off : m.field === 'imm' ? i.imm : i.src;
      if (v !== m.value) return undefined;
    }
    return c;
  }
  return undefined;
}

/** Real instructions: slots that are not NOPs (an LDDW counts 2, as K2 counts it). */
export function realInsnCount(insns: readonly Insn[]): number {
  let n = 0;
  for (const x of insns) if (!isNop(x)) n++;
  return n;
}
