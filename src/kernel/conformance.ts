/**
 * Conformance vectors on the kernel: each vector becomes the body of a BPF-to-BPF call inside an
 * XDP program whose prologue checks the packet holds the `mem` bytes plus 8, calls the body with
 * r1 = the `mem` bytes in the packet (0 without mem) and r2 = their length, and stores all 64 bits
 * of r0 after them (a test run returns only 32). Kernel and interpreter must agree on r0 and mem.
 */
import { basename } from 'node:path';
import { InputError } from '../ebpf/errors.js';
import type { Insn } from '../ebpf/insn.js';
import { CallKind, opByName } from '../ebpf/opcodes.js';
import { XDP_ACTION } from '../ebpf/abi.js';
import { loadConformanceCase, type ConformanceCase } from '../conformance/parse.js';
import { hex } from '../ebpf/hex.js';
import { runProgram, toRunnable } from '../interp/run.js';
import { close, loadProgram } from './prog.js';
import { ETH_HLEN, testRun } from './testrun.js';

export type KernelCaseStatus = 'agree' | 'disagree' | 'rejected' | 'skipped';

export interface KernelCaseResult {
  file: string;
  status: KernelCaseStatus;
  reason: string;
}

const ins = (op: number, dst: number, src: number, off: number, imm: number): Insn => ({ op, dst, src, off, imm });
const op = (name: string): number => opByName(name).opcode;

/** The XDP wrapper around a vector's instructions (the body starts at slot 11). */
export function wrapForKernel(body: readonly Insn[], memLen: number): Insn[] {
  return [
    ins(op('ldxw'), 6, 1, 0, 0), // r6 = ctx->data
    ins(op('ldxw'), 7, 1, 4, 0), // r7 = ctx->data_end
    ins(op('mov64_reg'), 8, 6, 0, 0), // r8 = r6
    ins(op('add64_imm'), 8, 0, 0, memLen + 8), // r8 += mem + result slot
    ins(op('jgt64_reg'), 8, 7, 4, 0), // if r8 > r7 goto pass
    memLen > 0 ? ins(op('mov64_reg'), 1, 6, 0, 0) : ins(op('mov64_imm'), 1, 0, 0, 0), // r1 = mem (or 0)
    ins(op('mov64_imm'), 2, 0, 0, memLen), // r2 = its length
    ins(op('call_local'), 0, CallKind.LOCAL, 0, 3), // call body
    ins(op('stxdw'), 6, 0, memLen, 0), // *(u64 *)(r6 + mem) = r0
    ins(op('mov64_imm'), 0, 0, 0, XDP_ACTION.PASS), // pass
    ins(op('exit'), 0, 0, 0, 0),
    ...body,
  ];
}

/** Vectors not sent to the kernel, with the reason. */
const KERNEL_SKIPS: Record<string, string> = {
  'mul-loop-memory-iterations.data': 'the verifier walks its loop to the 1,000,000-instruction limit (about 10 s) before rejecting it',
};

export function runVectorOnKernel(file: string): KernelCaseResult {
  const skip = KERNEL_SKIPS[basename(file)];
  if (skip) return { file, status: 'skipped', reason: skip };
  let c: ConformanceCase;
  try {
    c = loadConformanceCase(file);
  } catch (e) {
    if (e instanceof InputError) return { file, status: 'skipped', reason: `unreadable: ${e.message}` };
    throw e;
  }
  if (c.error !== undefined || c.errorPattern !== undefined) return { file, status: 'skipped', reason: 'an error vector (nothing to compare)' };
  if (!c.insns || c.result === undefined) return { file, status: 'skipped', reason: 'no program or no expected result' };
  const mem = c.mem ?? new Uint8Array(0);
  const wrapped = wrapForKernel(c.insns, mem.length);
  const loaded = loadProgram({ name: 'conformance', source: file, insns: wrapped, maps: [], progType: 'xdp' }, { logLevel: 1 });
  if (!loaded.accepted) return { file, status: 'rejected', reason: loaded.reason };
  let kernelR0: bigint, kernelMem: Uint8Array;
  try {
    const packet = new Uint8Array(Math.max(ETH_HLEN, mem.length + 8));
    packet.set(mem);
    const out = testRun(loaded, { packet }).packet;
    kernelR0 = new DataView(out.buffer, out.byteOffset).getBigUint64(mem.length, true);
    kernelMem = out.slice(0, mem.length);
  } finally {
    close(loaded);
  }
  const runnable = toRunnable({ name: 'conformance', source: file, insns: c.insns, maps: [] }, 'none');
  const res = runProgram(runnable, { packet: new Uint8Array(0), ...(c.mem ? { scratch: c.mem } : { r1: 0n, r2: 0n }) });
  if (res.error) return { file, status: 'disagree', reason: `the kernel ran it (r0 = 0x${kernelR0.toString(16)}), the interpreter failed: ${res.error.message}` };
  const want = BigInt.asUintN(64, c.result);
  const facts = `kernel r0 = 0x${kernelR0.toString(16)}, interpreter r0 = 0x${res.r0.toString(16)}, expected 0x${want.toString(16)}`;
  if (res.r0 !== kernelR0) return { file, status: 'disagree', reason: facts };
  if (hex(res.packet) !== hex(kernelMem)) return { file, status: 'disagree', reason: `mem differs: kernel ${hex(kernelMem)}, interpreter ${hex(res.packet)}` };
  return { file, status: 'agree', reason: facts };
}
