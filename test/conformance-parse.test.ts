/**
 * Tests of the conformance test-vector reader and assembler: small inline cases, then every copied
 * bpf_conformance / ubpf `.data` file (skipped, with the reason, when ../shared is not there).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { assembleConformance } from '../src/conformance/asm.js';
import { findConformanceFiles, loadConformanceCase, parseConformanceText, type ConformanceCase } from '../src/conformance/parse.js';
import { InputError } from '../src/ebpf/errors.js';
import { encodeProgram, type Insn } from '../src/ebpf/insn.js';
import { opByName } from '../src/ebpf/opcodes.js';
import { sharedDir } from './paths.js';

const confDir = resolve(sharedDir, 'conformance');
const bcDir = join(confDir, 'bpf_conformance');
const ubpfDir = join(confDir, 'ubpf');
const haveData = existsSync(bcDir) && existsSync(ubpfDir);
const skip = haveData ? false : `conformance vectors not found at ${confDir} (third-party data lives outside the repo)`;

const op = (name: string): number => opByName(name).opcode;
const hex = (insns: readonly Insn[]): string => Buffer.from(encodeProgram(insns)).toString('hex');

test('asm: comments mid-line, blank lines, trailing commas', () => {
  const insns = assembleConformance('# header\nmov %r0, 1 # one\n\n  add32 %r0, %r1   # reg form\nexit#done\n');
  assert.deepEqual(insns, [
    { op: op('mov64_imm'), dst: 0, src: 0, off: 0, imm: 1 },
    { op: op('add32_reg'), dst: 0, src: 1, off: 0, imm: 0 },
    { op: op('exit'), dst: 0, src: 0, off: 0, imm: 0 },
  ]);
});

test('asm: implicit exit label names the first exit; explicit labels count lddw as two slots', () => {
  const insns = assembleConformance('jne %r1, %r2, exit\nlddw %r0, 0x1122334455667788\nja done\nmov %r0, 2\nexit\ndone:\nexit\n');
  assert.equal(insns.length, 7);
  assert.equal(insns[0]!.off, 4); // slot 0 → first exit at slot 5
  assert.deepEqual(insns[1], { op: op('lddw'), dst: 0, src: 0, off: 0, imm: 0x55667788 });
  assert.deepEqual(insns[2], { op: 0, dst: 0, src: 0, off: 0, imm: 0x11223344 });
  assert.equal(insns[3]!.off, 2); // slot 3 → done at slot 6
  // A defined `exit:` label wins over the implicit one; backward labels are negative.
  const back = assembleConformance('top:\nmov %r0, 0\nexit\nexit:\nja top\nja exit\n');
  assert.equal(back[2]!.off, -3);
  assert.equal(back[3]!.off, -2); // the implicit label would give -3
});

test('asm: immediates — hex is an unsigned bit pattern, decimal is signed', () => {
  assert.equal(assembleConformance('mov %r0, 0x80000000')[0]!.imm, -(2 ** 31));
  assert.equal(assembleConformance('mov %r0, 0xffffffff')[0]!.imm, -1);
  assert.equal(assembleConformance('mov32 %r0, -2147483648')[0]!.imm, -(2 ** 31));
  assert.throws(() => assembleConformance('mov %r0, 2147483648'), /line 1: immediate .* out of range/);
  assert.throws(() => assembleConformance('mov %r0, 0x100000000'), /out of range/);
  const l = assembleConformance('lddw %r1, -1\nlddw %r2, 0x8000000000000000');
  assert.deepEqual([l[0]!.imm, l[1]!.imm, l[2]!.imm, l[3]!.imm], [-1, -1, 0, -(2 ** 31)]);
});

test('asm: memory operands, atomics, calls, v4 forms', () => {
  const [ldx, st, stx, atom, cmpx] = assembleConformance('ldxw %r0, [%r1+4]\nstdw [%r10-8], -1\nstxb [%r1], %r2\nlock fetch add32 [%r10-8], %r1\nlock cmpxchg [%r10-8], %r1');
  assert.deepEqual(ldx, { op: op('ldxw'), dst: 0, src: 1, off: 4, imm: 0 });
  assert.deepEqual(st, { op: op('stdw'), dst: 10, src: 0, off: -8, imm: -1 });
  assert.deepEqual(stx, { op: op('stxb'), dst: 1, src: 2, off: 0, imm: 0 });
  assert.deepEqual(atom, { op: op('lock_fetch_add32'), dst: 10, src: 1, off: -8, imm: opByName('lock_fetch_add32').match!.value });
  assert.equal(cmpx!.imm, 0xf1);
  const [call, local, callx, , sdiv, smod32, movsx, swap, ja32] = assembleConformance('call 5\ncall local f\ncall %r2\nf:\nexit\nsdiv %r0, 3\nsmod32 %r0, %r1\nmovsx832 %r0, %r1\nswap16 %r0\nja32 -1');
  assert.deepEqual(call, { op: op('call'), dst: 0, src: 0, off: 0, imm: 5 });
  assert.deepEqual(local, { op: op('call_local'), dst: 0, src: 1, off: 0, imm: 1 });
  assert.deepEqual(callx, { op: op('callx'), dst: 2, src: 0, off: 0, imm: 0 }); // register in dst
  assert.deepEqual(sdiv, { op: op('sdiv64_imm'), dst: 0, src: 0, off: 1, imm: 3 });
  assert.equal(smod32!.off, 1);
  assert.deepEqual(movsx, { op: op('movsx8_32'), dst: 0, src: 1, off: 8, imm: 0 });
  assert.deepEqual(swap, { op: op('bswap16'), dst: 0, src: 0, off: 0, imm: 16 });
  assert.deepEqual(ja32, { op: op('ja32'), dst: 0, src: 0, off: 0, imm: -1 });
  // r11–r15 assemble so that VMs can be tested on rejecting them.
  assert.equal(assembleConformance('mov %r11, 1')[0]!.dst, 11);
});

test('asm: errors name the line', () => {
  const bad = (text: string, re: RegExp): void => {
    assert.throws(() => assembleConformance(text), (e: unknown) => e instanceof InputError && re.test(e.message));
  };
  bad('mov %r0, 1\n\nfrob %r0, 1\nexit', /^line 3: unknown mnemonic 'frob'/);
  bad('add64 %r0, 1', /^line 1: unknown mnemonic 'add64'/);
  bad('mov %r0,1', /^line 1: /); // upstream needs a space after the comma
  bad('mov %r16, 1', /^line 1: bad register/);
  bad('ja nowhere', /^line 1: unknown label 'nowhere'/);
  bad('ldxw %r0, [%r1+32768]', /^line 1: offset .* out of range/);
  bad('exit\nneg %r0, 1', /^line 2: neg takes 1 operand/);
  bad('lock fetch nand [%r10-8], %r1', /^line 1: unknown atomic/);
});

test('parse: sections, raw wins over asm, mem, result, error', () => {
  const c = parseConformanceText(
    '# Copyright\n-- asm\nmov %r0, 1 # ignored comment\nexit\n-- raw\n0x00000002000000b7\n149\n-- mem\n00 1a\nFF\n-- result\n0xFFFFFFFFFFFFFFF6\n',
    '.',
  );
  assert.deepEqual(c.sections, ['asm', 'raw', 'mem', 'result']);
  assert.equal(c.raw, true);
  assert.equal(c.insns![0]!.imm, 2); // raw, not the asm's 1
  assert.equal(c.asmInsns![0]!.imm, 1);
  assert.equal(c.insns![1]!.op, op('exit')); // decimal raw word 149 = 0x95
  assert.deepEqual([...c.mem!], [0x00, 0x1a, 0xff]);
  assert.equal(c.result, 0xfffffffffffffff6n);
  const e = parseConformanceText('-- asm\nexit\n-- error\nFailed to load code: x\n-- result\n0\n', '.');
  assert.equal(e.error, 'Failed to load code: x');
  assert.equal(e.result, 0n);
  const p = parseConformanceText('-- asm\nexit\n-- error pattern\nuBPF error: .* at PC 0\n-- no jit\nwhy\n-- reload\n', '.');
  assert.equal(p.errorPattern, 'uBPF error: .* at PC 0');
  assert.equal(p.noJit, 'why');
  assert.equal(p.reload, true);
});

test('parse: structural errors and assembler errors with file line numbers', () => {
  assert.throws(() => parseConformanceText('-- asm\nexit\n-- bogus\n', '.'), /line 3: unknown section '-- bogus'/);
  assert.throws(() => parseConformanceText('-- asm\nexit\n-- asm\nexit\n', '.'), /line 3: section 'asm' appears twice/);
  assert.throws(() => parseConformanceText('-- result\n0x1\n', '.'), /no program/);
  const c = parseConformanceText('# c\n-- asm\n# a comment line\nmov %r0, 1\n\nbogus\n-- result\n1\n', '.');
  assert.equal(c.insns, undefined);
  assert.match(c.assembleError!, /^line 6: unknown mnemonic 'bogus'/);
});

test('parse: @ includes are resolved relative to the test file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'k2lab-conf-'));
  try {
    writeFileSync(join(dir, 'prog.asm'), 'ldxb %r0, [%r1+1]\nexit\n');
    writeFileSync(join(dir, 'pkt.hex'), '0x0000:  0026 622f\n0x0004:  47\n');
    writeFileSync(join(dir, 't.data'), '-- asm @ prog.asm\n-- mem @ pkt.hex\n-- result\n0x26\n');
    const c = loadConformanceCase(join(dir, 't.data'));
    assert.equal(c.insns?.length, 2);
    assert.deepEqual([...c.mem!], [0x00, 0x26, 0x62, 0x2f, 0x47]);
    writeFileSync(join(dir, 'u.data'), '-- asm @ missing.asm\n');
    assert.throws(() => loadConformanceCase(join(dir, 'u.data')), (e: unknown) => e instanceof InputError && e.message.includes('u.data') && e.message.includes('missing.asm'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- the copied third-party vectors ----

function loadAll(dir: string): Map<string, ConformanceCase> {
  const m = new Map<string, ConformanceCase>();
  for (const f of findConformanceFiles([dir])) m.set(relative(dir, f), loadConformanceCase(f));
  return m;
}

test('every copied .data file parses and its program assembles', { skip }, () => {
  const files = findConformanceFiles([bcDir, ubpfDir]);
  assert.equal(files.length, 396);
  assert.ok(files.every((f) => f.endsWith('.data')));
  assert.deepEqual(files, [...files].sort());
  for (const f of files) {
    const c = loadConformanceCase(f);
    assert.equal(c.assembleError, undefined, `${f}: ${c.assembleError}`);
    assert.ok(c.insns && c.insns.length > 0, f);
  }
});

test('expectation counts match the README', { skip }, () => {
  const bc = loadAll(bcDir);
  assert.equal(bc.size, 313);
  for (const [f, c] of bc) {
    assert.notEqual(c.result, undefined, f);
    assert.equal(c.error ?? c.errorPattern, undefined, f);
  }
  const ubpf = loadAll(ubpfDir);
  assert.equal(ubpf.size, 83);
  const kind = (c: ConformanceCase): string => (c.error !== undefined || c.errorPattern !== undefined ? 'error' : c.result !== undefined ? 'result' : 'none');
  const count = (k: string): number => [...ubpf.values()].filter((c) => kind(c) === k).length;
  assert.deepEqual([count('result'), count('error'), count('none')], [51, 26, 6]);
  assert.equal([...ubpf.values()].filter((c) => c.errorPattern !== undefined).length, 4);
  // Spot checks: hexdump includes and an asm include.
  const sack = ubpf.get(join('tcp-sack', 'match.data'));
  assert.ok(sack?.mem && sack.mem.length > 0 && sack.raw === false && sack.result === 1n);
  assert.equal(bc.get('lddw.data')?.result, 0x1122334455667788n);
});

test('the 7 files with both asm and raw: our assembly is byte-identical to raw', { skip }, () => {
  const both: string[] = [];
  for (const f of findConformanceFiles([bcDir, ubpfDir])) {
    const c = loadConformanceCase(f);
    if (!c.raw || !c.asmInsns) continue;
    both.push(relative(confDir, f));
    assert.equal(hex(c.asmInsns), hex(c.insns!), f);
  }
  assert.deepEqual(both.map((f) => basename(f)).sort(), ['alu.data', 'alu64.data', 'jmp.data', 'lddw.data', 'ldx.data', 'st.data', 'stx.data']);
});
