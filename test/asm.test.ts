/**
 * Assembler tests: exact round trips (bytes → disassemble → assemble → bytes) for every opcode-table
 * row, the K2 suite and the conformance vectors; hand-written syntax cases; error messages; and
 * reading llvm-objdump output of objects that llvm-mc-19 assembled from our text.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AsmError, assemble } from '../src/ebpf/asm.js';
import { disassemble } from '../src/ebpf/disasm.js';
import { InputError } from '../src/ebpf/errors.js';
import { encodeProgram, type Insn } from '../src/ebpf/insn.js';
import { OPS, specOf } from '../src/ebpf/opcodes.js';
import {
  conformanceMissing, k2Missing, LLVM_MC, llvmMissing, loadConformancePrograms, loadK2Programs, rowSamples, type NamedProgram,
} from './llvm-util.js';

const hexOf = (insns: readonly Insn[]): string => Array.from(encodeProgram(insns), (b) => b.toString(16).padStart(2, '0')).join(' ');

/** Names of the programs whose bytes do not survive disassemble → assemble. */
function roundTripFailures(programs: readonly NamedProgram[]): string[] {
  const bad: string[] = [];
  for (const p of programs) {
    const text = disassemble(p.insns).join('\n');
    let got: string;
    try {
      got = hexOf(assemble(text));
    } catch (e) {
      bad.push(`${p.name}: ${(e as Error).message}`);
      continue;
    }
    if (got !== hexOf(p.insns)) bad.push(`${p.name}: bytes differ`);
  }
  return bad;
}

const samples = (): NamedProgram[] => rowSamples(OPS).map((insns) => ({ name: disassemble(insns).join(' / '), insns }));

test('round trip: every opcode-table row with extreme fields', () => {
  assert.deepEqual(roundTripFailures(samples()), []);
});

test('round trip: K2 suite programs', { skip: k2Missing }, (t) => {
  const programs = loadK2Programs();
  assert.ok(programs.length > 0);
  assert.deepEqual(roundTripFailures(programs), []);
  t.diagnostic(`${programs.length} programs, ${programs.reduce((n, p) => n + p.insns.length, 0)} slots`);
});

test('round trip: conformance programs (including malformed ones, via .byte)', { skip: conformanceMissing }, (t) => {
  const { programs, skipped } = loadConformancePrograms();
  assert.ok(programs.length > 0);
  assert.deepEqual(roundTripFailures(programs), []);
  t.diagnostic(`${programs.length} programs, ${programs.reduce((n, p) => n + p.insns.length, 0)} slots; ${skipped.length} vectors without instructions`);
});

/** [source, expected bytes]: the syntax beyond what the disassembler prints. */
const SYNTAX: [string, string][] = [
  ['  r1 = 5 ; comment', 'b7 01 00 00 05 00 00 00'],
  ['r1=5 # hash comment', 'b7 01 00 00 05 00 00 00'],
  ['w1 = 0xffffffff // hex is a 32-bit pattern', 'b4 01 00 00 ff ff ff ff'],
  ['R1 += r2', '0f 21 00 00 00 00 00 00'],
  ['r1 = 0x5566778811223344 ll', '18 01 00 00 44 33 22 11 00 00 00 00 88 77 66 55'],
  ['r1 = 18446744073709551615 ll', '18 01 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff'],
  ['ld_pseudo\tr1, 1, 3', '18 11 00 00 03 00 00 00 00 00 00 00 00 00 00 00'],
  ['*(u32*)(r10-4)=r1', '63 1a fc ff 00 00 00 00'],
  ['r1 = *(u64 *)(r2)', '79 21 00 00 00 00 00 00'],
  ['w1 = *(u8 *)(r2 + 1) ; clang alu32 spelling', '71 21 01 00 00 00 00 00'],
  ['*(u16 *)(r1 + 0) = w2', '6b 21 00 00 00 00 00 00'],
  ['lock *(u32 *)(r1 + 5) += w2', 'c3 21 05 00 00 00 00 00'],
  ['r2 = atomic_fetch_add((u32 *)(r1 + 5), r2)', 'c3 21 05 00 01 00 00 00'],
  ['call pc+0\nexit', '85 10 00 00 00 00 00 00 95 00 00 00 00 00 00 00'],
  ['start:\n  r0 = 0\nloop: if r0 > 9 goto done\n  r0 += 1\n  goto loop\ndone:\n  exit',
    'b7 00 00 00 00 00 00 00 25 00 02 00 09 00 00 00 07 00 00 00 01 00 00 00 05 00 fd ff 00 00 00 00 95 00 00 00 00 00 00 00'],
  ['  call f\n  exit\nf: r0 = 1 ll\n  gotol f', '85 10 00 00 01 00 00 00 95 00 00 00 00 00 00 00 18 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 06 00 00 00 fd ff ff ff'],
  ['\n\n  .text\n\nexit\n', '95 00 00 00 00 00 00 00'],
  // llvm-objdump lines: address, raw bytes, hex operands, symbolic annotations.
  ['0000000000000000 <prog>:\n       0:\t18 01 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff\tr1 = -0x1 ll\n' +
    '       2:\tc5 01 fd ff ff ff ff ff\tif r1 s< -0x1 goto -0x3 <prog>\n       3:\tgoto -0x4 <prog>',
  '18 01 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff c5 01 fd ff ff ff ff ff 05 00 fc ff 00 00 00 00'],
  ['.byte 0x00, 0x21, 0x05, 0x00, 0x07, 0x00, 0x00, 0x00', '00 21 05 00 07 00 00 00'],
];

test('syntax: labels, comments, spacing, alternative spellings, objdump lines', () => {
  for (const [src, want] of SYNTAX) assert.equal(hexOf(assemble(src)), want, src);
});

/** [source, expected message]: every error is an InputError with a one-line `line N:` message. */
const ERRORS: [string, string][] = [
  ['r0 = 0\nexit\nfoo r1, 2', "line 3: unknown mnemonic 'foo'"],
  ['.word 5', "line 1: unknown directive '.word'"],
  ['r1 = foo', "line 1: cannot parse 'r1 = foo'"],
  ['r11 = 1', 'line 1: invalid register r11 (r0–r10)'],
  ['w1 += r2', 'line 1: expected a 32-bit (wN) register, got r2'],
  ['w1 = 1 ll', 'line 1: expected a 64-bit (rN) register, got w1'],
  ['r1 = 4294967296', 'line 1: immediate 4294967296 out of range -2147483648…4294967295'],
  ['r1 = *(u8 *)(r2 + 32768)', 'line 1: offset +32768 out of range -32768…32767'],
  ['goto nowhere', "line 1: undefined label 'nowhere'"],
  ['a:\na:\nexit', "line 2: label 'a' defined twice"],
  ['goto +40000', 'line 1: jump offset 40000 does not fit the 16-bit field'],
  ['r1 = -r2', 'line 1: negation must name one register twice (r1 = -r1)'],
  ['w1 = (s32)w2', 'line 1: no instruction w = (s32)'],
  ['r1 = *(s64 *)(r2 + 0)', 'line 1: no instruction = *(s64 *)'],
  ['r1 = *(u16 *)skb[4]', 'line 1: packet loads always write r0'],
  ['.byte 1, 2', 'line 1: .byte takes exactly 8 bytes (one instruction slot), got 2'],
];

test('errors name the line and say what is wrong', () => {
  for (const [src, want] of ERRORS) {
    assert.throws(() => assemble(src), (e: unknown) => {
      assert.ok(e instanceof InputError && e instanceof AsmError, `${src}: ${String(e)}`);
      assert.equal(e.message, want);
      return true;
    });
  }
});

/** Programs whose every instruction LLVM prints exactly as we do (no documented deviation). */
function llvmExpressible(insns: readonly Insn[]): boolean {
  return insns.every((ins, i) => {
    const s = specOf(ins.op, ins.src, ins.off, ins.imm);
    if (!s) return i > 0 && insns[i - 1]!.op === 0x18;
    if (s.kind === 'call') return ins.src === 0;
    if (s.kind === 'atomic' && s.width === 32) return ins.imm === 0;
    if (s.kind === 'lddw') return ins.src === 0 || insns[i + 1]!.imm === 0;
    if (s.kind === 'ldind') return ins.imm === 0;
    // LLVM's assembler takes only 16-bit literals after gotol (its disassembler prints all 32 bits).
    if (s.kind === 'ja32') return Math.abs(ins.imm) < 32768;
    return true;
  });
}

test('reads llvm-objdump output of llvm-mc-19 objects assembled from our text', { skip: llvmMissing }, (t) => {
  const programs = [...samples().filter((p) => llvmExpressible(p.insns)), ...(k2Missing ? [] : loadK2Programs())];
  const want = programs.flatMap((p) => p.insns);
  const dir = mkdtempSync(join(tmpdir(), 'k2lab-asm-'));
  try {
    const obj = join(dir, 'all.o');
    execFileSync(LLVM_MC, ['-triple=bpfel', '-filetype=obj', '-o', obj], { input: disassemble(want).join('\n') + '\n', stdio: ['pipe', 'pipe', 'pipe'] });
    const dump = execFileSync(LLVM_MC.replace('llvm-mc', 'llvm-objdump'), ['-d', obj], { maxBuffer: 1 << 26 }).toString();
    // Keep only the disassembly (drop the file-format header lines).
    const body = dump.slice(dump.indexOf('Disassembly of section .text:') + 'Disassembly of section .text:'.length);
    assert.equal(hexOf(assemble(body)), hexOf(want));
    t.diagnostic(`${programs.length} programs, ${want.length} slots through llvm-mc → llvm-objdump → assemble`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
