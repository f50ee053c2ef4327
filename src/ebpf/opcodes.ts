/**
 * The eBPF instruction set (RFC 9669), defined once. Every consumer — decoder, encoder, assembler,
 * disassembler, interpreter, (later) safety checker, proposal generator and SMT encoder — reads
 * these rows. Opcodes are built by composition (class | source | operation) as in the kernel's
 * include/uapi/linux/bpf.h; a row adds the discriminating field where one opcode byte names
 * several instructions (sdiv/smod by `off`, movsx by `off`, byte swaps and atomics by `imm`,
 * calls by `src`).
 */

/*
 * The codes as const enums: tsc inlines their members as numbers, so a `switch` on them compiles to
 * the same numeric switch as hand-written literals (the interpreter's hot loop). The objects below
 * (CLS, ALU_OPS, …) are the same values for code that iterates over them or indexes them by name.
 */
export const enum Cls { LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, JMP = 0x05, JMP32 = 0x06, ALU64 = 0x07 }
export const enum Src { K = 0x00, X = 0x08 }
export const enum Size { W = 0x00, H = 0x08, B = 0x10, DW = 0x18 }
export const enum Mode { IMM = 0x00, ABS = 0x20, IND = 0x40, MEM = 0x60, MEMSX = 0x80, ATOMIC = 0xc0 }
/** The opcode byte's fields: class, source bit, size (loads/stores), mode (loads/stores), operation (ALU/JMP). */
export const enum Mask { CLASS = 0x07, SRC = 0x08, SIZE = 0x18, MODE = 0xe0, OP = 0xf0 }
export const enum Alu {
  ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50, LSH = 0x60, RSH = 0x70,
  NEG = 0x80, MOD = 0x90, XOR = 0xa0, MOV = 0xb0, ARSH = 0xc0, END = 0xd0,
}
export const enum Jmp {
  JA = 0x00, JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40, JNE = 0x50, JSGT = 0x60, JSGE = 0x70,
  CALL = 0x80, EXIT = 0x90, JLT = 0xa0, JLE = 0xb0, JSLT = 0xc0, JSLE = 0xd0,
}
/** Atomic operations live in `imm`; FETCH (0x01) makes the old value land in src (xchg/cmpxchg always fetch). */
export const enum Atomic { ADD = 0x00, OR = 0x40, AND = 0x50, XOR = 0xa0, XCHG = 0xe0, CMPXCHG = 0xf0, FETCH = 0x01 }
/** Pseudo source kinds of the 64-bit immediate load (src field of opcode 0x18). */
export const enum Pseudo { NONE = 0, MAP_FD = 1, MAP_VALUE = 2, BTF_ID = 3, FUNC = 4, MAP_IDX = 5, MAP_IDX_VALUE = 6 }
/** Call kinds (src field of opcode 0x85). */
export const enum CallKind { HELPER = 0, LOCAL = 1, KFUNC = 2 }
/** Whole opcode bytes the decoders test directly. */
export const enum Opcode { LDDW = Cls.LD | Mode.IMM | Size.DW, CALL = Cls.JMP | Jmp.CALL, EXIT = Cls.JMP | Jmp.EXIT }

export const CLS = { LD: Cls.LD, LDX: Cls.LDX, ST: Cls.ST, STX: Cls.STX, ALU: Cls.ALU, JMP: Cls.JMP, JMP32: Cls.JMP32, ALU64: Cls.ALU64 } as const;
export const SRC = { K: Src.K, X: Src.X } as const;
export const SIZE = { W: Size.W, H: Size.H, B: Size.B, DW: Size.DW } as const;
export const MODE = { IMM: Mode.IMM, ABS: Mode.ABS, IND: Mode.IND, MEM: Mode.MEM, MEMSX: Mode.MEMSX, ATOMIC: Mode.ATOMIC } as const;

export const ALU_OPS = {
  add: Alu.ADD, sub: Alu.SUB, mul: Alu.MUL, div: Alu.DIV, or: Alu.OR, and: Alu.AND, lsh: Alu.LSH, rsh: Alu.RSH,
  neg: Alu.NEG, mod: Alu.MOD, xor: Alu.XOR, mov: Alu.MOV, arsh: Alu.ARSH, end: Alu.END,
} as const;
export type AluOp = 'add' | 'sub' | 'mul' | 'div' | 'sdiv' | 'or' | 'and' | 'lsh' | 'rsh' | 'neg' | 'mod' | 'smod' | 'xor' | 'mov' | 'arsh';

export const JMP_OPS = {
  ja: Jmp.JA, jeq: Jmp.JEQ, jgt: Jmp.JGT, jge: Jmp.JGE, jset: Jmp.JSET, jne: Jmp.JNE, jsgt: Jmp.JSGT, jsge: Jmp.JSGE,
  call: Jmp.CALL, exit: Jmp.EXIT, jlt: Jmp.JLT, jle: Jmp.JLE, jslt: Jmp.JSLT, jsle: Jmp.JSLE,
} as const;
export type JmpCond = 'jeq' | 'jgt' | 'jge' | 'jset' | 'jne' | 'jsgt' | 'jsge' | 'jlt' | 'jle' | 'jslt' | 'jsle';

export const ATOMIC_OPS = {
  add: Atomic.ADD, or: Atomic.OR, and: Atomic.AND, xor: Atomic.XOR, xchg: Atomic.XCHG | Atomic.FETCH, cmpxchg: Atomic.CMPXCHG | Atomic.FETCH,
} as const;
export const ATOMIC_FETCH = Atomic.FETCH;
export type AtomicOp = 'add' | 'or' | 'and' | 'xor' | 'xchg' | 'cmpxchg';

export const PSEUDO = {
  NONE: Pseudo.NONE, MAP_FD: Pseudo.MAP_FD, MAP_VALUE: Pseudo.MAP_VALUE, BTF_ID: Pseudo.BTF_ID, FUNC: Pseudo.FUNC,
  MAP_IDX: Pseudo.MAP_IDX, MAP_IDX_VALUE: Pseudo.MAP_IDX_VALUE,
} as const;
export const CALL_KIND = { HELPER: CallKind.HELPER, LOCAL: CallKind.LOCAL, KFUNC: CallKind.KFUNC } as const;

export type OpKind =
  | 'alu' | 'neg' | 'movsx' | 'endian' | 'bswap'
  | 'jcond' | 'ja' | 'ja32' | 'call' | 'callx' | 'exit'
  | 'lddw' | 'ldabs' | 'ldind' | 'ldx' | 'ldxs' | 'st' | 'stx' | 'atomic';

/** The fields an instruction of this row uses; all others are reserved and must be zero. */
export type Field = 'dst' | 'src' | 'off' | 'imm';

export interface OpSpec {
  /** Dense index into OPS. */
  readonly id: number;
  /** Unique readable name, e.g. `add64_imm`, `sdiv32_reg`, `ldxw`, `lock_fetch_add64`, `be16`. */
  readonly name: string;
  readonly opcode: number;
  readonly kind: OpKind;
  /** Discriminator for opcodes shared by several rows. */
  readonly match?: { readonly field: 'off' | 'imm' | 'src'; readonly value: number };
  /** 32 or 64 for ALU/JMP/atomics; operand width. */
  readonly width: 32 | 64;
  /** Access size in bytes for memory rows (1, 2, 4, 8); byte-swap width / 8 for endian rows. */
  readonly size: 0 | 1 | 2 | 4 | 8;
  /** Whether the second operand is a register (X) or the immediate (K). */
  readonly usesSrcReg: boolean;
  readonly alu?: AluOp;
  readonly cond?: JmpCond;
  readonly atomic?: AtomicOp;
  readonly fetch?: boolean;
  /** Fields that carry meaning (the rest are reserved). */
  readonly fields: readonly Field[];
  /** Writes the dst register (used for the r10 read-only check and later the safety checker). */
  readonly writesDst: boolean;
}

/** Bytes per size field value. */
export const SIZE_BYTES: Readonly<Record<number, 1 | 2 | 4 | 8>> = { [SIZE.B]: 1, [SIZE.H]: 2, [SIZE.W]: 4, [SIZE.DW]: 8 };
const SIZE_NAME: Record<number, string> = { 1: 'b', 2: 'h', 4: 'w', 8: 'dw' };

function buildTable(): OpSpec[] {
  const rows: Omit<OpSpec, 'id'>[] = [];
  const add = (r: Omit<OpSpec, 'id'>): void => { rows.push(r); };

  // ALU / ALU64
  for (const [cls, width] of [[CLS.ALU64, 64], [CLS.ALU, 32]] as const) {
    for (const [srcBit, usesSrcReg] of [[SRC.K, false], [SRC.X, true]] as const) {
      const sfx = `${width}_${usesSrcReg ? 'reg' : 'imm'}`;
      const second: Field = usesSrcReg ? 'src' : 'imm';
      for (const alu of ['add', 'sub', 'mul', 'or', 'and', 'lsh', 'rsh', 'xor', 'arsh'] as const) {
        add({ name: `${alu}${sfx}`, opcode: cls | srcBit | ALU_OPS[alu], kind: 'alu', width, size: 0, usesSrcReg, alu, fields: ['dst', second], writesDst: true });
      }
      for (const [alu, signed] of [['div', false], ['sdiv', true], ['mod', false], ['smod', true]] as const) {
        const base = alu === 'div' || alu === 'sdiv' ? ALU_OPS.div : ALU_OPS.mod;
        add({ name: `${alu}${sfx}`, opcode: cls | srcBit | base, kind: 'alu', match: { field: 'off', value: signed ? 1 : 0 }, width, size: 0, usesSrcReg, alu, fields: ['dst', second], writesDst: true });
      }
      add({ name: `mov${sfx}`, opcode: cls | srcBit | ALU_OPS.mov, kind: 'alu', match: { field: 'off', value: 0 }, width, size: 0, usesSrcReg, alu: 'mov', fields: ['dst', second], writesDst: true });
    }
    add({ name: `neg${width}`, opcode: cls | ALU_OPS.neg, kind: 'neg', width, size: 0, usesSrcReg: false, alu: 'neg', fields: ['dst'], writesDst: true });
    // Sign-extending moves: register form, `off` = source width in bits.
    for (const bits of width === 64 ? [8, 16, 32] : [8, 16]) {
      add({ name: `movsx${bits}_${width}`, opcode: cls | SRC.X | ALU_OPS.mov, kind: 'movsx', match: { field: 'off', value: bits }, width, size: (bits / 8) as 1 | 2 | 4, usesSrcReg: true, fields: ['dst', 'src'], writesDst: true });
    }
  }
  // Byte order: ALU class, to-LE (0xd4) / to-BE (0xdc); ALU64 class 0xd7 = unconditional bswap.
  for (const bits of [16, 32, 64] as const) {
    const m = { field: 'imm', value: bits } as const;
    add({ name: `le${bits}`, opcode: CLS.ALU | SRC.K | ALU_OPS.end, kind: 'endian', match: m, width: 64, size: (bits / 8) as 2 | 4 | 8, usesSrcReg: false, fields: ['dst', 'imm'], writesDst: true });
    add({ name: `be${bits}`, opcode: CLS.ALU | SRC.X | ALU_OPS.end, kind: 'endian', match: m, width: 64, size: (bits / 8) as 2 | 4 | 8, usesSrcReg: false, fields: ['dst', 'imm'], writesDst: true });
    add({ name: `bswap${bits}`, opcode: CLS.ALU64 | SRC.K | ALU_OPS.end, kind: 'bswap', match: m, width: 64, size: (bits / 8) as 2 | 4 | 8, usesSrcReg: false, fields: ['dst', 'imm'], writesDst: true });
  }

  // JMP / JMP32
  for (const [cls, width] of [[CLS.JMP, 64], [CLS.JMP32, 32]] as const) {
    for (const cond of ['jeq', 'jgt', 'jge', 'jset', 'jne', 'jsgt', 'jsge', 'jlt', 'jle', 'jslt', 'jsle'] as const) {
      add({ name: `${cond}${width}_imm`, opcode: cls | SRC.K | JMP_OPS[cond], kind: 'jcond', width, size: 0, usesSrcReg: false, cond, fields: ['dst', 'imm', 'off'], writesDst: false });
      add({ name: `${cond}${width}_reg`, opcode: cls | SRC.X | JMP_OPS[cond], kind: 'jcond', width, size: 0, usesSrcReg: true, cond, fields: ['dst', 'src', 'off'], writesDst: false });
    }
  }
  add({ name: 'ja', opcode: CLS.JMP | JMP_OPS.ja, kind: 'ja', width: 64, size: 0, usesSrcReg: false, fields: ['off'], writesDst: false });
  add({ name: 'ja32', opcode: CLS.JMP32 | JMP_OPS.ja, kind: 'ja32', width: 64, size: 0, usesSrcReg: false, fields: ['imm'], writesDst: false });
  add({ name: 'call', opcode: CLS.JMP | JMP_OPS.call, kind: 'call', match: { field: 'src', value: CALL_KIND.HELPER }, width: 64, size: 0, usesSrcReg: false, fields: ['imm'], writesDst: false });
  add({ name: 'call_local', opcode: CLS.JMP | JMP_OPS.call, kind: 'call', match: { field: 'src', value: CALL_KIND.LOCAL }, width: 64, size: 0, usesSrcReg: false, fields: ['src', 'imm'], writesDst: false });
  add({ name: 'call_kfunc', opcode: CLS.JMP | JMP_OPS.call, kind: 'call', match: { field: 'src', value: CALL_KIND.KFUNC }, width: 64, size: 0, usesSrcReg: false, fields: ['src', 'off', 'imm'], writesDst: false });
  // callx: the register is in dst (as LLVM and the conformance suite encode it).
  add({ name: 'callx', opcode: CLS.JMP | SRC.X | JMP_OPS.call, kind: 'callx', width: 64, size: 0, usesSrcReg: false, fields: ['dst'], writesDst: false });
  add({ name: 'exit', opcode: CLS.JMP | JMP_OPS.exit, kind: 'exit', width: 64, size: 0, usesSrcReg: false, fields: [], writesDst: false });

  // Loads and stores
  add({ name: 'lddw', opcode: CLS.LD | MODE.IMM | SIZE.DW, kind: 'lddw', width: 64, size: 8, usesSrcReg: false, fields: ['dst', 'src', 'imm'], writesDst: true });
  for (const sz of [SIZE.B, SIZE.H, SIZE.W] as const) {
    const n = SIZE_NAME[SIZE_BYTES[sz]!]!;
    add({ name: `ldabs${n}`, opcode: CLS.LD | MODE.ABS | sz, kind: 'ldabs', width: 64, size: SIZE_BYTES[sz]!, usesSrcReg: false, fields: ['imm'], writesDst: false });
    add({ name: `ldind${n}`, opcode: CLS.LD | MODE.IND | sz, kind: 'ldind', width: 64, size: SIZE_BYTES[sz]!, usesSrcReg: true, fields: ['src', 'imm'], writesDst: false });
  }
  for (const sz of [SIZE.B, SIZE.H, SIZE.W, SIZE.DW] as const) {
    const bytes = SIZE_BYTES[sz]!;
    const n = SIZE_NAME[bytes]!;
    add({ name: `ldx${n}`, opcode: CLS.LDX | MODE.MEM | sz, kind: 'ldx', width: 64, size: bytes, usesSrcReg: true, fields: ['dst', 'src', 'off'], writesDst: true });
    if (bytes !== 8) add({ name: `ldxs${n}`, opcode: CLS.LDX | MODE.MEMSX | sz, kind: 'ldxs', width: 64, size: bytes, usesSrcReg: true, fields: ['dst', 'src', 'off'], writesDst: true });
    add({ name: `st${n}`, opcode: CLS.ST | MODE.MEM | sz, kind: 'st', width: 64, size: bytes, usesSrcReg: false, fields: ['dst', 'off', 'imm'], writesDst: false });
    add({ name: `stx${n}`, opcode: CLS.STX | MODE.MEM | sz, kind: 'stx', width: 64, size: bytes, usesSrcReg: true, fields: ['dst', 'src', 'off'], writesDst: false });
  }
  for (const [sz, width] of [[SIZE.W, 32], [SIZE.DW, 64]] as const) {
    for (const atomic of ['add', 'or', 'and', 'xor'] as const) {
      for (const fetch of [false, true]) {
        add({ name: `lock_${fetch ? 'fetch_' : ''}${atomic}${width}`, opcode: CLS.STX | MODE.ATOMIC | sz, kind: 'atomic', match: { field: 'imm', value: ATOMIC_OPS[atomic] | (fetch ? ATOMIC_FETCH : 0) }, width, size: SIZE_BYTES[sz]!, usesSrcReg: true, atomic, fetch, fields: ['dst', 'src', 'off', 'imm'], writesDst: false });
      }
    }
    for (const atomic of ['xchg', 'cmpxchg'] as const) {
      add({ name: `lock_${atomic}${width}`, opcode: CLS.STX | MODE.ATOMIC | sz, kind: 'atomic', match: { field: 'imm', value: ATOMIC_OPS[atomic] }, width, size: SIZE_BYTES[sz]!, usesSrcReg: true, atomic, fetch: true, fields: ['dst', 'src', 'off', 'imm'], writesDst: false });
    }
  }
  return rows.map((r, id) => ({ ...r, id }));
}

export const OPS: readonly OpSpec[] = buildTable();
export const OP_BY_NAME: ReadonlyMap<string, OpSpec> = new Map(OPS.map((s) => [s.name, s]));

/** Rows per opcode byte; most bytes have one row, shared bytes several (told apart by `match`). */
const ROWS_BY_OPCODE: readonly (readonly OpSpec[])[] = (() => {
  const t: OpSpec[][] = Array.from({ length: 256 }, () => []);
  for (const s of OPS) t[s.opcode]!.push(s);
  return t;
})();

/** Whether any row uses this opcode byte (used for "unknown opcode" errors). */
export function isKnownOpcode(opcode: number): boolean {
  return (ROWS_BY_OPCODE[opcode & 0xff]?.length ?? 0) > 0;
}

/** The row for an instruction's fields, or undefined when no row matches (unknown opcode or bad discriminator). */
export function specOf(opcode: number, src: number, off: number, imm: number): OpSpec | undefined {
  const rows = ROWS_BY_OPCODE[opcode & 0xff];
  if (!rows || rows.length === 0) return undefined;
  for (const s of rows) {
    if (!s.match) return s;
    const v = s.match.field === 'off' ? off : s.match.field === 'imm' ? imm : src;
    if (v === s.match.value) return s;
  }
  return undefined;
}

export function opByName(name: string): OpSpec {
  const s = OP_BY_NAME.get(name);
  if (!s) throw new Error(`no opcode row named ${name}`);
  return s;
}

export const opClass = (opcode: number): number => opcode & 0x07;
