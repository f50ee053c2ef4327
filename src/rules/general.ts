/**
 * Immediates and stack offsets abstracted in `registers` rules: which immediates may be parameters,
 * how far a rule's r10 offsets may shift, and at use time binding a rule to a window (registers,
 * parameters and shift, each consistently) and instantiating its replacement with that binding.
 */
import type { Insn } from '../ebpf/insn.js';
import { specOf } from '../ebpf/opcodes.js';
import { FRAME_POINTER, regOperands, type ImmParam, type Rule, type StackShift } from './rule.js';

export const STACK_SIZE = 512;
/** Shifts are multiples of 8: every access keeps its place in its dword (its alignment class). */
export const SHIFT_STRIDE = 8;

/**
 * An immediate that may become a parameter: an ALU K-form other than a shift (a shift's immediate
 * must stay below the width, so it is never abstracted) or a store of an immediate. Both equal the
 * X-form on a register holding the immediate sign-extended to 64 bits, which the proof uses.
 */
export function immIsParameterisable(x: Insn): boolean {
  const spec = specOf(x.op, x.src, x.off, x.imm);
  if (!spec) return false;
  if (spec.kind === 'st') return true;
  return spec.kind === 'alu' && !spec.usesSrcReg && spec.alu !== 'lsh' && spec.alu !== 'rsh' && spec.alu !== 'arsh';
}

/**
 * The candidate parameters of a window: parameterisable slots grouped by immediate value, each
 * group with at least one pattern slot (a value only the replacement has stays as it is), in order
 * of first pattern slot.
 */
export function immParamsOf(pattern: readonly Insn[], replacement: readonly Insn[]): ImmParam[] {
  const byValue = new Map<number, ImmParam>();
  pattern.forEach((x, i) => {
    if (!immIsParameterisable(x)) return;
    const g = byValue.get(x.imm) ?? { pattern: [], replacement: [] };
    g.pattern.push(i);
    byValue.set(x.imm, g);
  });
  replacement.forEach((x, i) => { if (immIsParameterisable(x)) byValue.get(x.imm)?.replacement.push(i); });
  return [...byValue.values()];
}

/** The bytes an instruction accesses on the stack at a fixed r10 offset, or undefined. */
export function stackAccess(x: Insn): { off: number; size: number } | undefined {
  const spec = specOf(x.op, x.src, x.off, x.imm);
  if (!spec) return undefined;
  const base = spec.kind === 'st' || spec.kind === 'stx' ? x.dst : spec.kind === 'ldx' || spec.kind === 'ldxs' ? x.src : -1;
  return base === FRAME_POINTER ? { off: x.off, size: spec.size } : undefined;
}

const ceilTo = (v: number, k: number): number => Math.ceil(v / k) * k || 0;
const floorTo = (v: number, k: number): number => Math.floor(v / k) * k || 0;

/**
 * The shifts that keep every stack access of pattern and replacement inside [-512, 0) in its
 * alignment class; undefined when there is no stack access, r10 is used otherwise, or no shift but 0 fits.
 */
export function shiftRangeOf(pattern: readonly Insn[], replacement: readonly Insn[]): StackShift | undefined {
  const code = [...pattern, ...replacement];
  const accesses = code.map(stackAccess);
  if (accesses.every((a) => a === undefined)) return undefined;
  const usesR10 = (x: Insn): boolean => { const o = regOperands(x); return (o.dst && x.dst === FRAME_POINTER) || (o.src && x.src === FRAME_POINTER); };
  if (code.some((x, i) => accesses[i] === undefined && usesR10(x))) return undefined;
  const present = accesses.filter((a) => a !== undefined);
  const lowest = Math.min(...present.map((a) => a.off)), highestEnd = Math.max(...present.map((a) => a.off + a.size));
  const min = ceilTo(-STACK_SIZE - lowest, SHIFT_STRIDE), max = floorTo(-highestEnd, SHIFT_STRIDE);
  return min === 0 && max === 0 ? undefined : { stride: SHIFT_STRIDE, min, max };
}

/** Every shift of a range, 0 first, then the extremes (the likeliest to fail), then the rest in order. */
export function shiftsOf(s: StackShift): number[] {
  const rest: number[] = [];
  for (let d = s.min; d <= s.max; d += s.stride) if (d !== 0 && d !== s.min && d !== s.max) rest.push(d);
  return [...new Set([0, s.min, s.max, ...rest])];
}

/** The instructions with every stack access's offset moved by d. */
export function shiftInsns(insns: readonly Insn[], d: number): Insn[] {
  return insns.map((x) => (stackAccess(x) ? { ...x, off: x.off + d } : { ...x }));
}

/** What binds a rule to a window: the real register of each abstract id, each parameter's value, the shift. */
export interface Binding { regs: number[]; imms: number[]; shift: number }

/** The binding of `rule` to `insns` at `slot`, or undefined when it does not match there. */
export function bindAt(rule: Rule, insns: readonly Insn[], slot: number): Binding | undefined {
  const n = rule.pattern.length;
  if (slot + n > insns.length) return undefined;
  const general = rule.generality === 'registers';
  const paramOf = new Map<number, number>();
  if (general) (rule.imms ?? []).forEach((p, k) => p.pattern.forEach((i) => paramOf.set(i, k)));
  const b: Binding = { regs: [], imms: [], shift: 0 };
  let shift: number | undefined;
  const used = new Set<number>();
  const bindReg = (id: number, real: number): boolean => {
    if (id === FRAME_POINTER || real === FRAME_POINTER) return id === real;
    if (b.regs[id] === undefined) {
      if (used.has(real)) return false;
      b.regs[id] = real; used.add(real);
      return true;
    }
    return b.regs[id] === real;
  };
  for (let i = 0; i < n; i++) {
    const p = rule.pattern[i]!, x = insns[slot + i]!;
    if (p.op !== x.op) return undefined;
    const k = paramOf.get(i);
    if (k === undefined ? p.imm !== x.imm : (b.imms[k] ??= x.imm) !== x.imm) return undefined;
    if (general && rule.stackShift && stackAccess(p)) {
      if (!stackAccess(x) || (shift ??= x.off - p.off) !== x.off - p.off) return undefined;
    } else if (p.off !== x.off) return undefined;
    if (!general) { if (p.dst !== x.dst || p.src !== x.src) return undefined; continue; }
    const o = regOperands(p);
    if (o.dst ? !bindReg(p.dst, x.dst) : p.dst !== x.dst) return undefined;
    if (o.src ? !bindReg(p.src, x.src) : p.src !== x.src) return undefined;
  }
  if (shift !== undefined) {
    const s = rule.stackShift!;
    if (shift < s.min || shift > s.max || shift % s.stride !== 0) return undefined;
    b.shift = shift;
  }
  return b;
}

/** The rule's replacement for a window it is bound to: registers renamed, parameters filled in, offsets shifted. */
export function instantiateBinding(rule: Rule, b: Binding): Insn[] {
  if (rule.generality !== 'registers') return rule.replacement.map((x) => ({ ...x }));
  const imms = new Map<number, number>();
  (rule.imms ?? []).forEach((p, k) => p.replacement.forEach((i) => imms.set(i, b.imms[k]!)));
  return rule.replacement.map((x, i) => {
    const o = regOperands(x);
    const real = (r: number): number => (r === FRAME_POINTER ? r : b.regs[r]!);
    const off = b.shift !== 0 && stackAccess(x) ? x.off + b.shift : x.off;
    return { ...x, dst: o.dst ? real(x.dst) : x.dst, src: o.src ? real(x.src) : x.src, off, imm: imms.get(i) ?? x.imm };
  });
}

/** Why a rule's parameters or shift are malformed (import checks), or undefined when they are sound data. */
export function generalFieldsProblem(r: Pick<Rule, 'generality' | 'pattern' | 'replacement' | 'imms' | 'stackShift'>): string | undefined {
  if ((r.imms !== undefined || r.stackShift !== undefined) && r.generality !== 'registers') return 'imms/stackShift: only registers rules have them';
  if (r.imms !== undefined) {
    if (!Array.isArray(r.imms) || r.imms.length === 0) return 'imms: expected a non-empty list';
    const seen = new Set<string>();
    for (const p of r.imms) {
      if (typeof p !== 'object' || p === null || !Array.isArray(p.pattern) || !Array.isArray(p.replacement) || p.pattern.length === 0) return 'imms: expected [{pattern: [slots], replacement: [slots]}]';
      const slots = [...p.pattern.map((i) => ['p', i, r.pattern] as const), ...p.replacement.map((i) => ['r', i, r.replacement] as const)];
      const values = new Set<number>();
      for (const [side, i, insns] of slots) {
        if (!Number.isInteger(i) || i < 0 || i >= insns.length || !immIsParameterisable(insns[i]!)) return `imms: slot ${side}${i} cannot be a parameter`;
        if (seen.has(`${side}${i}`)) return `imms: slot ${side}${i} in two parameters`;
        seen.add(`${side}${i}`);
        values.add(insns[i]!.imm);
      }
      if (values.size !== 1) return 'imms: one parameter has different immediates in its slots';
    }
  }
  if (r.stackShift !== undefined) {
    const s = r.stackShift, legal = shiftRangeOf(r.pattern, r.replacement);
    if (typeof s !== 'object' || s === null || ![s.stride, s.min, s.max].every(Number.isInteger)) return 'stackShift: expected {stride, min, max} integers';
    if (!legal || s.stride !== legal.stride || s.min < legal.min || s.max > legal.max || s.min > 0 || s.max < 0) return 'stackShift: outside the stack or not in the alignment class';
  }
  return undefined;
}
