/**
 * Disassembler to LLVM's BPF assembly syntax: the text `llvm-mc --disassemble -triple=bpfel` (LLVM 19)
 * prints, byte for byte after whitespace normalisation. The opcode table row (kind, alu, cond, width,
 * size, …) chooses the text; where LLVM's text is lossy or missing, a documented lossless form is
 * printed instead (see the notes below), so that `assemble(disassemble(p))` re-encodes every program.
 */
import { encodeProgram, MAX_REG, type Insn } from './insn.js';
import { CALL_KIND, Pseudo, SRC, specOf, type AluOp, type JmpCond, type OpSpec } from './opcodes.js';

/*
 * Where we knowingly differ from `llvm-mc-19 --disassemble -triple=bpfel` (test/disasm.test.ts checks each):
 * - Local calls (src=1) and kfunc calls (src=2): LLVM prints `call N` for every call kind, which loses
 *   the kind. We print `call pc+N` / `call pc-N` (the kernel verifier's spelling) and `call kfunc N`
 *   (`call kfunc N, OFF` when off ≠ 0). Helper calls stay `call N`.
 * - 32-bit atomics: LLVM's default decoder (no +alu32) knows only BPF_ADD, prints it with an r register
 *   and even decodes fetch-add (imm=1) to the same text. We print plain 32-bit add as LLVM does and all
 *   others as LLVM prints them with `-mattr=+alu32`: `w2 = atomic_fetch_add((u32 *)(r1 + 0), w2)`,
 *   `lock *(u32 *)(r1 + 0) |= w2`, `w2 = xchg32_32(r1 + 0, w2)`, `w0 = cmpxchg32_32(r1 + 0, w0, w2)`.
 * - LD_IND: LLVM prints `r0 = *(u8 *)skb[r2]` and drops imm; when imm ≠ 0 we print `skb[r2 + 7]` (kernel style).
 * - `ld_pseudo rD, SRC, IMM`: LLVM prints only the low 32 bits (unsigned). When the second slot's imm is
 *   not 0 (e.g. a map-value offset) we print the whole 64-bit value (unsigned); when it is 0 the text is LLVM's.
 * - Anything that would not re-encode to the same bytes (unknown opcode or discriminator, register above
 *   r10, non-zero reserved field, malformed second half of a 64-bit load) prints as one slot of raw bytes,
 *   `.byte 0x00, 0x21, …` (8 bytes). LLVM instead warns "invalid instruction encoding" (or, for some
 *   non-zero reserved fields, ignores them). Validated programs never contain such slots.
 */

/** Compound-assignment operator per ALU operation (`mov` is plain `=`; `neg` is written `rD = -rD`). */
export const ALU_SYMBOL: Readonly<Record<AluOp, string>> = {
  add: '+=', sub: '-=', mul: '*=', div: '/=', sdiv: 's/=', or: '|=', and: '&=', lsh: '<<=', rsh: '>>=',
  neg: '= -', mod: '%=', smod: 's%=', xor: '^=', mov: '=', arsh: 's>>=',
};

/** Comparison operator per conditional jump. */
export const COND_SYMBOL: Readonly<Record<JmpCond, string>> = {
  jeq: '==', jne: '!=', jgt: '>', jge: '>=', jlt: '<', jle: '<=',
  jsgt: 's>', jsge: 's>=', jslt: 's<', jsle: 's<=', jset: '&',
};

export interface SlotText {
  /** Index of the instruction's first slot. */
  slot: number;
  text: string;
}

/** One line per instruction (a 64-bit immediate load is one line covering two slots). */
export function disassemble(insns: readonly Insn[]): string[] {
  return disassembleWithSlots(insns).map((l) => l.text);
}

export function disassembleWithSlots(insns: readonly Insn[]): SlotText[] {
  const out: SlotText[] = [];
  for (let i = 0; i < insns.length; ) {
    const { text, slots } = formatAt(insns, i);
    out.push({ slot: i, text });
    i += slots;
  }
  return out;
}

/** Text of the instruction starting at slot `index` (reads the next slot too for a 64-bit load). */
export function formatInsn(insns: readonly Insn[], index: number): string {
  return formatAt(insns, index).text;
}

/** `.byte` line for one raw slot: the fallback for encodings that have no faithful text. */
export function formatRawSlot(ins: Insn): string {
  return `.byte ${Array.from(encodeProgram([ins]), (b) => `0x${b.toString(16).padStart(2, '0')}`).join(', ')}`;
}

function formatAt(insns: readonly Insn[], i: number): { text: string; slots: 1 | 2 } {
  const ins = insns[i];
  if (!ins) throw new RangeError(`no instruction at slot ${i}`);
  const s = specOf(ins.op, ins.src, ins.off, ins.imm);
  if (!s || !reencodes(ins, s)) return { text: formatRawSlot(ins), slots: 1 };
  if (s.kind === 'lddw') {
    const hi = insns[i + 1];
    if (!hi || hi.op !== 0 || hi.dst !== 0 || hi.src !== 0 || hi.off !== 0) return { text: formatRawSlot(ins), slots: 1 };
    return { text: formatLddw(ins, hi.imm), slots: 2 };
  }
  return { text: formatBody(ins, s), slots: 1 };
}

/** Whether the text for this row carries every non-zero bit (registers in range, reserved fields zero). */
function reencodes(ins: Insn, s: OpSpec): boolean {
  const has = (f: 'dst' | 'src' | 'off' | 'imm'): boolean => s.fields.includes(f) || s.match?.field === f;
  if (ins.dst > MAX_REG) return false;
  if (s.usesSrcReg && ins.src > MAX_REG) return false;
  return (has('dst') || ins.dst === 0) && (has('src') || ins.src === 0) && (has('off') || ins.off === 0) && (has('imm') || ins.imm === 0);
}

const rel = (n: number): string => (n >= 0 ? `+${n}` : `${n}`);
/** `r2 + 5`, `r2 - 3`, `r2 + 0`: LLVM's memory operand. */
const mem = (reg: number, off: number): string => `r${reg} ${off < 0 ? '-' : '+'} ${Math.abs(off)}`;

function formatLddw(ins: Insn, high: number): string {
  const v = (BigInt(high >>> 0) << 32n) | BigInt(ins.imm >>> 0);
  if (ins.src === Pseudo.NONE) return `r${ins.dst} = ${BigInt.asIntN(64, v)} ll`;
  return `ld_pseudo r${ins.dst}, ${ins.src}, ${v}`;
}

function formatBody(ins: Insn, s: OpSpec): string {
  const p = s.width === 64 ? 'r' : 'w';
  const d = `${p}${ins.dst}`;
  const sv = s.usesSrcReg ? `${p}${ins.src}` : `${ins.imm}`;
  const bits = s.size * 8;
  switch (s.kind) {
    case 'alu': return `${d} ${ALU_SYMBOL[s.alu!]} ${sv}`;
    case 'neg': return `${d} = -${d}`;
    case 'movsx': return `${d} = (s${bits})${p}${ins.src}`;
    // to-LE and to-BE share everything but the source bit of the opcode.
    case 'endian': return `r${ins.dst} = ${s.opcode & SRC.X ? 'be' : 'le'}${bits} r${ins.dst}`;
    case 'bswap': return `r${ins.dst} = bswap${bits} r${ins.dst}`;
    case 'jcond': return `if ${d} ${COND_SYMBOL[s.cond!]} ${sv} goto ${rel(ins.off)}`;
    case 'ja': return `goto ${rel(ins.off)}`;
    case 'ja32': return `gotol ${rel(ins.imm)}`;
    case 'call':
      if (ins.src === CALL_KIND.LOCAL) return `call pc${rel(ins.imm)}`;
      if (ins.src === CALL_KIND.KFUNC) return `call kfunc ${ins.imm}${ins.off ? `, ${ins.off}` : ''}`;
      return `call ${ins.imm}`;
    case 'callx': return `callx r${ins.dst}`;
    case 'exit': return 'exit';
    case 'lddw': throw new Error('unreachable: lddw is formatted with its second slot');
    case 'ldabs': return `r0 = *(u${bits} *)skb[${ins.imm}]`;
    case 'ldind': return `r0 = *(u${bits} *)skb[${ins.imm === 0 ? `r${ins.src}` : mem(ins.src, ins.imm)}]`;
    case 'ldx': return `r${ins.dst} = *(u${bits} *)(${mem(ins.src, ins.off)})`;
    case 'ldxs': return `r${ins.dst} = *(s${bits} *)(${mem(ins.src, ins.off)})`;
    case 'st': return `*(u${bits} *)(${mem(ins.dst, ins.off)}) = ${ins.imm}`;
    case 'stx': return `*(u${bits} *)(${mem(ins.dst, ins.off)}) = r${ins.src}`;
    case 'atomic': return formatAtomic(ins, s);
  }
}

function formatAtomic(ins: Insn, s: OpSpec): string {
  const m = mem(ins.dst, ins.off);
  const op = s.atomic!;
  // LLVM's default decoder prints the one 32-bit atomic it knows (plain add) with an r register.
  const v = s.width === 64 || (op === 'add' && !s.fetch) ? 'r' : 'w';
  const sfx = s.width === 64 ? '_64' : '32_32';
  if (op === 'xchg') return `${v}${ins.src} = xchg${sfx}(${m}, ${v}${ins.src})`;
  if (op === 'cmpxchg') return `${v}0 = cmpxchg${sfx}(${m}, ${v}0, ${v}${ins.src})`;
  if (s.fetch) return `${v}${ins.src} = atomic_fetch_${op}((u${s.width} *)(${m}), ${v}${ins.src})`;
  return `lock *(u${s.width} *)(${m}) ${ALU_SYMBOL[op]} ${v}${ins.src}`;
}
