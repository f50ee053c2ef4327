/**
 * Shared helpers of the Z3 tests: a checker on the fastest available implementation, seeded random
 * loop-free programs over the opcode table's ALU/jump/memory rows, single mutations, and the
 * interpreter-side comparison of two programs on many random inputs.
 */
import type { Insn } from '../src/ebpf/insn.js';
import { OPS, type OpSpec } from '../src/ebpf/opcodes.js';
import type { Program } from '../src/ebpf/program.js';
import type { RunInput } from '../src/interp/machine.js';
import { Session, toRunnable } from '../src/interp/run.js';
import { captureOutput, outputError } from '../src/search/output-error.js';
import type { Rng } from '../src/common/rng.js';
import { createZ3Checker, type Z3Checker } from '../src/verify/checker.js';
import { createZ3Impl, nativeAvailable } from '../variants/z3/index.js';

export const hasNative = nativeAvailable();

export async function fastChecker(program: Program, cache = false): Promise<Z3Checker> {
  return createZ3Checker(program, { impl: await createZ3Impl(hasNative ? 'native-process' : 'reused-solver'), cache });
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)]!;
const ALU_ROWS = OPS.filter((s) => s.kind === 'alu' || s.kind === 'neg' || s.kind === 'movsx' || s.kind === 'endian' || s.kind === 'bswap');
const JCOND_ROWS = OPS.filter((s) => s.kind === 'jcond');
const REGS = [0, 2, 3, 4, 5];
const IMMS = [0, 1, -1, 2, 7, 8, 31, 32, 63, 64, 255, 0x7fffffff, -0x80000000, 0x1234, -7, 16];

export const RAW_SIZE = 16;
export function rawProgram(insns: Insn[]): Program {
  return { name: 'random', source: 'random', insns, maps: [], progType: 'tracepoint', maxPktSize: RAW_SIZE };
}

function aluInsn(rng: Rng, s: OpSpec): Insn {
  const dst = pick(rng, REGS), src = pick(rng, REGS);
  const off = s.match?.field === 'off' ? s.match.value : 0;
  const imm = s.match?.field === 'imm' ? s.match.value : s.usesSrcReg ? 0 : pick(rng, IMMS);
  return { op: s.opcode, dst, src: s.usesSrcReg ? src : 0, off, imm };
}

/** A random loop-free program reading its 16-byte context, using the stack and writing back. */
export function randomProgram(rng: Rng, body = 10): Insn[] {
  const out: Insn[] = [];
  const sizes = [[0x79, 8], [0x61, 4], [0x69, 2], [0x71, 1]] as const;
  for (const r of [2, 3, 4, 5]) {
    const [op, sz] = pick(rng, sizes);
    out.push({ op, dst: r, src: 1, off: rng.int(RAW_SIZE - sz + 1), imm: 0 });
  }
  out.push({ op: 0xb7, dst: 0, src: 0, off: 0, imm: pick(rng, IMMS) });
  const jumps: number[] = [];
  for (let k = 0; k < body; k++) {
    const u = rng.float();
    if (u < 0.65) out.push(aluInsn(rng, pick(rng, ALU_ROWS)));
    else if (u < 0.8) {
      const s = pick(rng, JCOND_ROWS);
      jumps.push(out.length);
      out.push({ op: s.opcode, dst: pick(rng, REGS), src: s.usesSrcReg ? pick(rng, REGS) : 0, off: 0, imm: s.usesSrcReg ? 0 : pick(rng, IMMS) });
    } else if (u < 0.9) {
      out.push({ op: 0x7b, dst: 10, src: pick(rng, REGS), off: -8, imm: 0 });
      out.push({ op: pick(rng, [0x79, 0x61, 0x69, 0x71]), dst: pick(rng, REGS), src: 10, off: -8, imm: 0 });
    } else {
      const [, sz] = pick(rng, sizes);
      const op = sz === 8 ? 0x7b : sz === 4 ? 0x63 : sz === 2 ? 0x6b : 0x73;
      out.push({ op, dst: 1, src: pick(rng, REGS), off: rng.int(RAW_SIZE - sz + 1), imm: 0 });
    }
  }
  out.push({ op: 0x95, dst: 0, src: 0, off: 0, imm: 0 });
  for (const j of jumps) out[j]!.off = rng.int(out.length - 1 - j);
  // The stack slot is written before any read of it: initialise it first.
  out.unshift({ op: 0x7a, dst: 10, src: 0, off: -8, imm: 0 });
  return out;
}

/** One random change: an operand, the opcode (within ALU rows), or the instruction turned into a NOP. */
export function mutate(rng: Rng, insns: readonly Insn[], slots: readonly number[]): Insn[] {
  const out = insns.map((x) => ({ ...x }));
  const i = pick(rng, slots);
  const x = out[i]!;
  const u = rng.float();
  if (u < 0.2) out[i] = { op: 0x05, dst: 0, src: 0, off: 0, imm: 0 };
  else if (u < 0.5 && (x.op & 7) !== 0x05 && (x.op & 7) !== 0x06 && (x.op & 7) === 0x07 || (u < 0.5 && (x.op & 7) === 0x04)) out[i] = { ...aluInsn(rng, pick(rng, ALU_ROWS)), dst: x.dst };
  else if (u < 0.75) x.imm = pick(rng, IMMS);
  else if (u < 0.9) x.src = pick(rng, REGS);
  else x.dst = pick(rng, REGS);
  return out;
}

/** Number of inputs on which two programs' observable outputs differ (inputs where A fails are skipped). */
export function differences(program: Program, a: readonly Insn[], b: readonly Insn[], inputs: readonly RunInput[]): { differ: number; compared: number; example?: RunInput } {
  const sa = new Session(toRunnable({ ...program, insns: a.map((x) => ({ ...x })) }));
  const sb = new Session(toRunnable({ ...program, insns: b.map((x) => ({ ...x })) }));
  let differ = 0, compared = 0;
  let example: RunInput | undefined;
  for (const input of inputs) {
    if (!sa.run(input)) continue;
    compared++;
    const exp = captureOutput(sa.machine);
    if (!sb.run(input) || outputError(sb.machine, exp, true, 1) !== 0) { differ++; example ??= input; }
  }
  return { differ, compared, ...(example ? { example } : {}) };
}

/** Random raw-context inputs with edge values mixed in. */
export function rawInputs(rng: Rng, n: number, size = RAW_SIZE): RunInput[] {
  const edge = [0, 0xff, 0x80, 0x7f, 1];
  return Array.from({ length: n }, () => {
    const packet = rng.bytes(size);
    for (let j = 0; j < size; j++) if (rng.float() < 0.3) packet[j] = pick(rng, edge);
    return { packet };
  });
}
