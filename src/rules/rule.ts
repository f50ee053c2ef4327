/**
 * A rewrite rule as plain data: a pattern (a window of instructions), its replacement (same length,
 * NOPs where slots were freed), the preconditions it was proved under, the witness it was first
 * proved on and its provenance. A `registers` rule names registers by abstract id (0, 1, … in order
 * of first use; r10 stays r10) and matches any consistent renaming; a `concrete` rule matches its
 * instructions exactly. A `registers` rule may also be general over immediates (`imms`: parameters,
 * each a set of slots whose immediate is one value) and over a uniform shift of its r10 offsets
 * (`stackShift`); its instructions keep the witness's values. The shape (the lookup key) is a hash
 * of the pattern's opcode sequence.
 */
import { createHash } from 'node:crypto';
import type { Insn } from '../ebpf/insn.js';
import type { MapDef, ProgType } from '../ebpf/program.js';
import { specOf } from '../ebpf/opcodes.js';

export type Generality = 'registers' | 'concrete';

/** Entry precondition of one register: any value, any scalar, or one known constant (hex). */
export type EntryKind = 'any' | 'scalar' | `const:${string}`;

export interface Preconditions {
  /** Per register (abstract id for `registers` rules, r0…r10 for concrete ones): what it must hold at entry. */
  entry: EntryKind[];
  /** Bit i: register i (abstract id / real register) may be read after the window; others must be dead. */
  liveOut: number;
}

/** The program and window the rule was first proved on: `rules verify` proves it there again. */
export interface Witness {
  name: string;
  progType?: ProgType;
  k2InputType?: number;
  maxPktSize?: number;
  maps: MapDef[];
  /** The window's start program, hex-encoded bytecode. */
  start: string;
  s: number;
  e: number;
  /** `registers` rules: the real register of each abstract id in the witness. */
  regs?: number[];
}

export interface Provenance {
  programDigest: string;
  programName: string;
  section?: string;
  gitCommit?: string;
  learnedAt: string;
}

/** One immediate parameter: the pattern and replacement slots whose immediate is that one value. */
export interface ImmParam { pattern: number[]; replacement: number[] }

/** The rule holds for every shift d of its r10 offsets with min <= d <= max and d a multiple of stride. */
export interface StackShift { stride: number; min: number; max: number }

export interface Rule {
  id: string;
  shape: string;
  generality: Generality;
  pattern: Insn[];
  replacement: Insn[];
  pre: Preconditions;
  /** `registers` rules only: immediate parameters (absent: every immediate as it is). */
  imms?: ImmParam[];
  /** `registers` rules only: the r10 offsets may shift (absent: they are fixed). */
  stackShift?: StackShift;
  witness: Witness;
  /** Performance cost removed (instructions, K2's perf cost). */
  saved: number;
  /** Search time the learning run took to reach this rewrite (ms): what applying it saves. */
  msToFind: number;
  fires: number;
  provenance: Provenance;
}

export const FRAME_POINTER = 10;

/** The registers an instruction reads and writes as operands (dst and src where they are registers). */
export function regOperands(x: Insn): { dst: boolean; src: boolean } {
  const spec = specOf(x.op, x.src, x.off, x.imm);
  if (!spec) return { dst: false, src: false };
  return { dst: spec.fields.includes('dst'), src: spec.usesSrcReg };
}

/** The hash of a window's opcode sequence: every rule for these opcodes shares it. */
export function shapeOf(insns: readonly Insn[]): string {
  return createHash('sha256').update(Buffer.from(insns.map((x) => x.op & 0xff))).digest('hex').slice(0, 16);
}

/**
 * Registers renamed to abstract ids in order of first use over pattern then replacement
 * (r10 kept). Returns the renamed instructions and the real register of each abstract id.
 */
export function abstractRegisters(pattern: readonly Insn[], replacement: readonly Insn[]): { pattern: Insn[]; replacement: Insn[]; regs: number[] } {
  const ids = new Map<number, number>();
  const regs: number[] = [];
  const id = (r: number): number => {
    if (r === FRAME_POINTER) return r;
    let k = ids.get(r);
    if (k === undefined) { k = regs.length; ids.set(r, k); regs.push(r); }
    return k;
  };
  const rename = (x: Insn): Insn => {
    const o = regOperands(x);
    return { ...x, dst: o.dst ? id(x.dst) : x.dst, src: o.src ? id(x.src) : x.src };
  };
  const p = pattern.map(rename);
  return { pattern: p, replacement: replacement.map(rename), regs };
}

/** Instructions with abstract ids replaced by the real registers `regs[id]` (r10 kept). */
export function instantiate(insns: readonly Insn[], regs: readonly number[]): Insn[] {
  return insns.map((x) => {
    const o = regOperands(x);
    const real = (r: number): number => (r === FRAME_POINTER ? r : regs[r]!);
    return { ...x, dst: o.dst ? real(x.dst) : x.dst, src: o.src ? real(x.src) : x.src };
  });
}

export function ruleId(r: Pick<Rule, 'generality' | 'pattern' | 'replacement' | 'pre' | 'imms' | 'stackShift'>): string {
  const base = [r.generality, r.pattern.map(insnKey), r.replacement.map(insnKey), r.pre.entry, r.pre.liveOut];
  // Rules without parameters or shift keep the ids they had before either existed.
  const imms = r.imms?.map((p) => [p.pattern, p.replacement]) ?? null;
  const shift = r.stackShift ? [r.stackShift.stride, r.stackShift.min, r.stackShift.max] : null;
  const general = imms !== null || shift !== null ? [imms, shift] : [];
  const key = JSON.stringify([...base, ...general]);
  return createHash('sha256').update(key).digest('hex').slice(0, 24);
}

/** What `rules list/stats` call a rule's generality: `registers`, plus `+imm` and `+shift` when it has them. */
export function generalityLabel(r: Pick<Rule, 'generality' | 'imms' | 'stackShift'>): string {
  return `${r.generality}${r.imms?.length ? '+imm' : ''}${r.stackShift ? '+shift' : ''}`;
}

const insnKey = (x: Insn): number[] => [x.op, x.dst, x.src, x.off, x.imm];

export { sameInsn } from '../ebpf/insn.js';

/** A digest of a set of rules (the rules a run consulted): sorted ids, hashed. */
export function rulesDigest(ids: Iterable<string>): string {
  return createHash('sha256').update([...ids].sort().join(',')).digest('hex').slice(0, 16);
}
