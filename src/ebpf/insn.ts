/**
 * Instructions as plain data (`struct bpf_insn`), raw bytecode decode/encode and load-time validation.
 * A 64-bit immediate load keeps its second slot (opcode 0, imm = high 32 bits) so that slot indices,
 * offsets and jump targets stay byte-exact with the kernel's view.
 */
import { InputError } from './errors.js';
import { CLS, CallKind, OPS, Opcode, isKnownOpcode, specOf, type OpSpec } from './opcodes.js';

export interface Insn {
  op: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

/** A problem with a program's bytes or structure; `index` is the instruction slot where there is one. */
export class ProgramError extends InputError {
  constructor(message: string, readonly index?: number) {
    super(index === undefined ? message : `instruction ${index}: ${message}`);
    this.name = 'ProgramError';
  }
}

export const INSN_SIZE = 8;
export const MAX_REG = 10;
export const LDDW_OPCODE = Opcode.LDDW;

export function decodeInsn(bytes: Uint8Array, offset: number): Insn {
  const v = new DataView(bytes.buffer, bytes.byteOffset + offset, INSN_SIZE);
  const regs = v.getUint8(1);
  return { op: v.getUint8(0), dst: regs & 0x0f, src: regs >> 4, off: v.getInt16(2, true), imm: v.getInt32(4, true) };
}

/** Raw bytes → instructions. Only the framing is checked here; see `validateProgram` for the rest. */
export function decodeProgram(bytes: Uint8Array): Insn[] {
  if (bytes.length === 0) throw new ProgramError('empty program (0 bytes)');
  if (bytes.length % INSN_SIZE !== 0) {
    throw new ProgramError(`length ${bytes.length} bytes is not a multiple of 8 (truncated instruction at ${Math.floor(bytes.length / INSN_SIZE)})`);
  }
  const out: Insn[] = [];
  for (let o = 0; o < bytes.length; o += INSN_SIZE) out.push(decodeInsn(bytes, o));
  return out;
}

export function encodeProgram(insns: readonly Insn[]): Uint8Array {
  const out = new Uint8Array(insns.length * INSN_SIZE);
  const v = new DataView(out.buffer);
  insns.forEach((ins, i) => {
    const o = i * INSN_SIZE;
    v.setUint8(o, ins.op & 0xff);
    v.setUint8(o + 1, ((ins.src & 0x0f) << 4) | (ins.dst & 0x0f));
    v.setInt16(o + 2, ins.off, true);
    v.setInt32(o + 4, ins.imm, true);
  });
  return out;
}

/** Same opcode and operands. */
export const sameInsn = (a: Insn, b: Insn): boolean => a.op === b.op && a.dst === b.dst && a.src === b.src && a.off === b.off && a.imm === b.imm;

/**
 * Whether `insns` is `start` outside slots [s, e] (the same instruction objects: window candidates share
 * them), with 64-bit loads in the same window slots and, when slot s is a load's second half, that half
 * unchanged: every run then reaches the window, and leaves it, as `start`'s does.
 */
export function keepsStartOutside(insns: readonly Insn[], start: readonly Insn[], s: number, e: number): boolean {
  const n = start.length;
  if (insns.length !== n) return false;
  for (let i = 0; i < s; i++) if (insns[i] !== start[i]) return false;
  for (let i = e + 1; i < n; i++) if (insns[i] !== start[i]) return false;
  for (let i = s; i <= e; i++) if ((insns[i]!.op === LDDW_OPCODE) !== (start[i]!.op === LDDW_OPCODE)) return false;
  return !(s > 0 && start[s - 1]!.op === LDDW_OPCODE) || sameInsn(insns[s]!, start[s]!);
}

/** The second slot of a 64-bit immediate load as the kernel wants it. */
export function lddwSecondHalf(high: number): Insn {
  return { op: 0, dst: 0, src: 0, off: 0, imm: high | 0 };
}

/** Slot indices that are second halves of a 64-bit immediate load (not instructions of their own). */
export function secondHalfMask(insns: readonly Insn[]): Uint8Array {
  const mask = new Uint8Array(insns.length);
  for (let i = 0; i < insns.length; i++) {
    if (insns[i]!.op === LDDW_OPCODE && !mask[i]) mask[i + 1] = 1;
  }
  return mask;
}

/** Row of an instruction; throws a ProgramError naming the slot when the opcode is unknown. */
export function specAt(insns: readonly Insn[], i: number): OpSpec {
  const ins = insns[i]!;
  const s = specOf(ins.op, ins.src, ins.off, ins.imm);
  if (s) return s;
  const hex = `0x${ins.op.toString(16).padStart(2, '0')}`;
  if (!isKnownOpcode(ins.op)) throw new ProgramError(`unknown opcode ${hex}`, i);
  throw new ProgramError(`invalid field for opcode ${hex} (off=${ins.off}, imm=${ins.imm}, src=${ins.src})`, i);
}

export interface ValidateOptions {
  /** Reject instructions whose reserved fields are non-zero (the kernel does). Default true. */
  strictReserved?: boolean;
  /** Require the last instruction to be exit or an unconditional jump (falling off the end is an error). Default true. */
  requireExitAtEnd?: boolean;
}

/**
 * Load-time checks every eBPF loader makes: known opcodes, registers r0–r10, r10 never written,
 * well-formed 64-bit immediate loads, jump and call targets inside the program and not into the
 * second half of a 64-bit load, byte-swap widths. Returns the row per slot (undefined for second halves).
 */
export function validateProgram(insns: readonly Insn[], opts: ValidateOptions = {}): (OpSpec | undefined)[] {
  const strict = opts.strictReserved ?? true;
  const n = insns.length;
  if (n === 0) throw new ProgramError('empty program');
  const specs: (OpSpec | undefined)[] = new Array(n);
  const half = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (half[i]) continue;
    const ins = insns[i]!;
    const s = specAt(insns, i);
    specs[i] = s;
    if (ins.dst > MAX_REG) throw new ProgramError(`invalid destination register r${ins.dst}`, i);
    if (ins.src > MAX_REG && s.kind !== 'lddw' && s.kind !== 'call') throw new ProgramError(`invalid source register r${ins.src}`, i);
    if (s.writesDst && ins.dst === 10) throw new ProgramError('r10 is read-only', i);
    if (strict) checkReserved(ins, s, i);
    if (s.kind === 'lddw') {
      if (i + 1 >= n) throw new ProgramError('64-bit immediate load is missing its second half', i);
      const h = insns[i + 1]!;
      if (h.op !== 0 || h.dst !== 0 || h.src !== 0 || h.off !== 0) {
        throw new ProgramError('malformed second half of a 64-bit immediate load (opcode, registers and offset must be 0)', i + 1);
      }
      if (ins.src > 6) throw new ProgramError(`unknown pseudo source ${ins.src} of a 64-bit immediate load`, i);
      half[i + 1] = 1;
    }
  }
  for (let i = 0; i < n; i++) {
    const s = specs[i];
    if (!s) continue;
    const ins = insns[i]!;
    let target: number | undefined;
    if (s.kind === 'jcond' || s.kind === 'ja') target = i + 1 + ins.off;
    else if (s.kind === 'ja32') target = i + 1 + ins.imm;
    else if (s.kind === 'call' && ins.src === CallKind.LOCAL) target = i + 1 + ins.imm;
    if (target === undefined) continue;
    if (target < 0 || target >= n) throw new ProgramError(`jump out of range (target ${target}, program has ${n} slots)`, i);
    if (half[target]) throw new ProgramError(`jump into the middle of a 64-bit immediate load (target ${target})`, i);
  }
  checkSubprograms(insns, specs, half, opts.requireExitAtEnd ?? true);
  return specs;
}

/**
 * BPF-to-BPF call targets split the program into sub-programs, as in the kernel verifier: no jump
 * may leave its sub-program, and each one must end with exit or an unconditional jump.
 */
function checkSubprograms(insns: readonly Insn[], specs: readonly (OpSpec | undefined)[], half: Uint8Array, requireEnd: boolean): void {
  const n = insns.length;
  const starts = new Set<number>([0]);
  specs.forEach((s, i) => { if (s?.kind === 'call' && insns[i]!.src === CallKind.LOCAL) starts.add(i + 1 + insns[i]!.imm); });
  const bounds = [...starts].sort((a, b) => a - b);
  for (let k = 0; k < bounds.length; k++) {
    const start = bounds[k]!;
    const end = k + 1 < bounds.length ? bounds[k + 1]! : n; // exclusive
    for (let i = start; i < end; i++) {
      const s = specs[i];
      if (!s || !(s.kind === 'jcond' || s.kind === 'ja' || s.kind === 'ja32')) continue;
      const t = i + 1 + (s.kind === 'ja32' ? insns[i]!.imm : insns[i]!.off);
      if (t < start || t >= end) throw new ProgramError(`jump out of its sub-program (target ${t}, sub-program spans ${start}–${end - 1})`, i);
    }
    if (!requireEnd) continue;
    let last = end - 1;
    if (half[last]) last--;
    const s = specs[last];
    if (!s || !(s.kind === 'exit' || s.kind === 'ja' || s.kind === 'ja32')) {
      throw new ProgramError(k === 0 && bounds.length === 1
        ? 'last instruction is not exit or an unconditional jump (execution would fall off the end)'
        : `sub-program starting at ${start} does not end with exit or an unconditional jump`, last);
    }
  }
}

function checkReserved(ins: Insn, s: OpSpec, i: number): void {
  const used = s.fields;
  const matched = s.match?.field;
  const bad = (f: string, v: number): never => { throw new ProgramError(`reserved field ${f}=${v} must be 0 for ${s.name}`, i); };
  if (!used.includes('dst') && ins.dst !== 0) bad('dst', ins.dst);
  if (!used.includes('src') && matched !== 'src' && ins.src !== 0 && s.kind !== 'lddw') bad('src', ins.src);
  if (!used.includes('off') && matched !== 'off' && ins.off !== 0) bad('off', ins.off);
  if (!used.includes('imm') && matched !== 'imm' && ins.imm !== 0) bad('imm', ins.imm);
}

/** Class name for messages. */
export function className(op: number): string {
  return Object.entries(CLS).find(([, v]) => v === (op & 7))?.[0] ?? '?';
}

export const TOTAL_ROWS = OPS.length;
