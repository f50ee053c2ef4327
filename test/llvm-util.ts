/**
 * Test helpers for the disassembler/assembler tests: llvm-mc-19 as the reference disassembler (all
 * programs in one process per call) and the test programs under ../shared (K2 suite, conformance vectors).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findConformanceFiles, loadConformanceCase } from '../src/conformance/parse.js';
import { decodeProgram, encodeProgram, lddwSecondHalf, type Insn } from '../src/ebpf/insn.js';
import type { OpSpec } from '../src/ebpf/opcodes.js';
import { repoRoot, sharedDir } from './paths.js';

export const LLVM_MC = 'llvm-mc-19';

export { repoRoot, sharedDir };
export const k2ProgramsDir = join(sharedDir, 'k2-suite', 'programs');
export const conformanceDir = join(sharedDir, 'conformance');

/** Why llvm-mc cannot be used, or undefined when it can. */
export const llvmMissing: string | undefined = (() => {
  try {
    execFileSync(LLVM_MC, ['--version'], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    return `${LLVM_MC} not found: ${(e as Error).message.split('\n')[0]}`;
  }
})();

export const k2Missing = existsSync(k2ProgramsDir) ? undefined : `${k2ProgramsDir} is absent`;
export const conformanceMissing = existsSync(conformanceDir) ? undefined : `${conformanceDir} is absent`;

export interface NamedProgram {
  name: string;
  insns: Insn[];
}

export function loadK2Programs(): NamedProgram[] {
  return readdirSync(k2ProgramsDir).filter((f) => f.endsWith('.insns')).sort().map((f) => ({
    name: `k2-suite/${f}`,
    insns: decodeProgram(new Uint8Array(readFileSync(join(k2ProgramsDir, f)))),
  }));
}

/** Every conformance vector that yields instructions (raw or assembled); the rest are counted in `skipped`. */
export function loadConformancePrograms(): { programs: NamedProgram[]; skipped: string[] } {
  const programs: NamedProgram[] = [];
  const skipped: string[] = [];
  for (const file of findConformanceFiles([conformanceDir])) {
    const name = file.slice(conformanceDir.length + 1);
    const c = loadConformanceCase(file);
    if (c.insns && c.insns.length > 0) programs.push({ name, insns: c.insns });
    else skipped.push(`${name}: ${c.assembleError ?? 'no instructions'}`);
  }
  return { programs, skipped };
}

const hex = (b: number): string => `0x${b.toString(16).padStart(2, '0')}`;

/**
 * llvm-mc's text per slot for every program: `null` where LLVM reported "invalid instruction encoding",
 * undefined for slots LLVM consumed as the second half of a 64-bit load. One process for all programs;
 * each slot is one input line, so a warning's line number is the slot's global index + 1.
 */
export function llvmDisassemble(programs: readonly (readonly Insn[])[], mattr?: string): (string | null | undefined)[][] {
  const bytes = encodeProgram(programs.flat());
  const lines: string[] = [];
  for (let o = 0; o < bytes.length; o += 8) lines.push(Array.from(bytes.subarray(o, o + 8), hex).join(' '));
  const args = ['--disassemble', '-triple=bpfel', '-show-encoding', ...(mattr ? [`-mattr=${mattr}`] : [])];
  // spawnSync rather than execFileSync: the invalid-encoding warnings arrive on stderr of a successful run.
  const r = spawnSync(LLVM_MC, args, { input: lines.join('\n') + '\n', maxBuffer: 1 << 28, encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`${LLVM_MC} failed: ${r.error?.message ?? r.stderr}`);
  const stdout = r.stdout;
  const stderr = r.stderr;
  const invalid = new Set<number>();
  for (const m of stderr.matchAll(/<stdin>:(\d+):(\d+): warning: invalid instruction encoding/g)) {
    if (m[2] !== '1') throw new Error(`unexpected warning position ${m[1]}:${m[2]}`);
    invalid.add(Number(m[1]) - 1);
  }
  const entries = stdout.split('\n').flatMap((l) => {
    const m = /^\s*(.*?)\s*# encoding: \[([^\]]*)\]/.exec(l);
    return m ? [{ text: m[1]!.replace(/\s+/g, ' ').trim(), enc: m[2]!.split(',').map((x) => Number(x)) }] : [];
  });
  const flat: (string | null | undefined)[] = new Array(bytes.length / 8);
  let next = 0;
  for (let g = 0; g < flat.length; ) {
    if (invalid.has(g)) {
      flat[g++] = null;
      continue;
    }
    const e = entries[next++];
    // The encoding shown is LLVM's re-encoding of what it decoded (lossy for some calls), so only
    // its length and opcode byte are checked to keep the alignment honest.
    if (!e || (e.enc.length !== 8 && e.enc.length !== 16) || e.enc[0] !== bytes[g * 8]) {
      throw new Error(`cannot align ${LLVM_MC} output at slot ${g}: ${e ? `${e.text} [${e.enc.map(hex)}]` : 'no more output'}`);
    }
    flat[g] = e.text;
    g += e.enc.length / 8;
  }
  const out: (string | null | undefined)[][] = [];
  let at = 0;
  for (const p of programs) {
    out.push(flat.slice(at, at + p.length));
    at += p.length;
  }
  return out;
}

/** Collapse whitespace runs to one space and trim (the comparison the brief asks for). */
export const norm = (s: string): string => s.replace(/\s+/g, ' ').trim();

/**
 * A few encodings of every opcode-table row (one or two slots each): small and extreme registers,
 * offsets and immediates, every pseudo source for 64-bit loads. Unused fields stay zero.
 */
export function rowSamples(rows: readonly OpSpec[]): Insn[][] {
  const regs: [number, number][] = [[1, 2], [0, 10], [10, 0], [3, 5], [9, 1]];
  const offs = [5, -3, 0, 32767, -32768];
  const imms = [7, -1, 0, 2147483647, -2147483648];
  const out: Insn[][] = [];
  for (const s of rows) {
    for (let k = 0; k < regs.length; k++) {
      const [dst, src] = regs[k]!;
      const ins: Insn = {
        op: s.opcode,
        dst: s.fields.includes('dst') ? dst : 0,
        src: s.usesSrcReg ? src : 0,
        off: s.fields.includes('off') ? offs[k]! : 0,
        imm: s.fields.includes('imm') ? imms[k]! : 0,
      };
      if (s.match) ins[s.match.field] = s.match.value;
      if (s.kind === 'lddw') {
        for (const pseudo of [0, 1, 2, 3, 4, 5, 6]) out.push([{ ...ins, src: pseudo }, lddwSecondHalf(imms[(k + pseudo) % imms.length]!)]);
      } else out.push([ins]);
    }
  }
  return out;
}
