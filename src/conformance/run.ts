/**
 * Runs conformance vectors: load-time checks, then interpretation with uBPF's test helpers and the
 * `mem` buffer in r1/r2, comparing all 64 bits of r0. Error vectors pass when the program is
 * rejected or aborts. Vectors that test uBPF itself rather than the ISA are skipped with a reason.
 */
import { basename, relative } from 'node:path';
import { InputError } from '../ebpf/errors.js';
import { encodeProgram, validateProgram } from '../ebpf/insn.js';
import { runProgram, toRunnable } from '../interp/run.js';
import { CONFORMANCE_HELPERS } from './helpers.js';
import { loadConformanceCase, type ConformanceCase } from './parse.js';

export type CaseStatus = 'pass' | 'fail' | 'skip';
export interface CaseResult { file: string; status: CaseStatus; reason: string }
export interface ConformanceReport { passed: number; failed: number; skipped: number; results: CaseResult[] }

/** Vectors that test uBPF's own limits or API, or are stale against ISA v4 (see README "Conformance"). */
const KNOWN_SKIPS: Record<string, string> = {
  'err-unknown-opcode.data': 'stale vector: opcode 0x06 is ja32 (gotol) in ISA v4 (RFC 9669), not unknown',
  'err-too-many-instructions.data': "tests uBPF's own 65,536-slot limit; Linux accepts up to 1,000,000 instructions",
};

export function runConformanceFile(file: string, root?: string): CaseResult {
  const shown = root ? relative(root, file) : file;
  const skip = KNOWN_SKIPS[basename(file)];
  if (skip) return { file: shown, status: 'skip', reason: skip };
  let c: ConformanceCase;
  try {
    c = loadConformanceCase(file);
  } catch (e) {
    if (e instanceof InputError) return { file: shown, status: 'fail', reason: `unreadable vector: ${e.message}` };
    throw e;
  }
  if (c.reload || c.unload) return { file: shown, status: 'skip', reason: "tests uBPF's load/unload API, not the instruction set" };
  const r = judge(c);
  return { file: shown, ...r };
}

function judge(c: ConformanceCase): { status: CaseStatus; reason: string } {
  const expectError = c.error !== undefined || c.errorPattern !== undefined;
  if (!c.insns) return expectError ? { status: 'pass', reason: `rejected by the assembler: ${c.assembleError}` } : { status: 'fail', reason: `does not assemble: ${c.assembleError}` };
  if (!expectError && c.result === undefined) {
    // Decoder vectors (asm + raw, no expectation): our assembly must give the raw bytes.
    if (!c.raw || !c.asmInsns) return { status: 'skip', reason: 'no expectation and nothing to compare' };
    const same = Buffer.from(encodeProgram(c.asmInsns)).equals(Buffer.from(encodeProgram(c.insns)));
    return same ? { status: 'pass', reason: 'asm encodes to the raw bytes' } : { status: 'fail', reason: 'asm does not encode to the raw bytes' };
  }
  let res;
  try {
    validateProgram(c.insns);
    const runnable = toRunnable({ name: c.file, source: c.file, insns: c.insns, maps: [] }, 'none');
    res = runProgram(runnable, { packet: new Uint8Array(0), ...(c.mem ? { scratch: c.mem } : { r1: 0n, r2: 0n }) }, { helpers: CONFORMANCE_HELPERS });
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return expectError ? { status: 'pass', reason: `rejected at load: ${e.message}` } : { status: 'fail', reason: `rejected at load: ${e.message}` };
  }
  if (res.error) {
    return expectError ? { status: 'pass', reason: `aborted: ${res.error.message}` } : { status: 'fail', reason: `aborted at ${res.error.pc}: ${res.error.message}` };
  }
  if (expectError) return { status: 'fail', reason: `expected an error (${c.error ?? c.errorPattern}), got r0 = 0x${res.r0.toString(16)}` };
  const want = BigInt.asUintN(64, c.result!);
  return res.r0 === want
    ? { status: 'pass', reason: `r0 = 0x${res.r0.toString(16)}` }
    : { status: 'fail', reason: `r0 = 0x${res.r0.toString(16)}, expected 0x${want.toString(16)}` };
}

export function runConformance(files: readonly string[], root?: string): ConformanceReport {
  const results = files.map((f) => runConformanceFile(f, root));
  const count = (s: CaseStatus): number => results.filter((r) => r.status === s).length;
  return { passed: count('pass'), failed: count('fail'), skipped: count('skip'), results };
}
