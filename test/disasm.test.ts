/**
 * Disassembler tests: hand-written expectations for every instruction kind, then whole-program
 * comparison with `llvm-mc-19 --disassemble -triple=bpfel` for every opcode-table row, the K2 suite
 * and the conformance vectors (skipped, with the reason, when llvm-mc-19 or ../shared is absent).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { disassemble, disassembleWithSlots, formatInsn, type SlotText } from '../src/ebpf/disasm.js';
import { decodeProgram, type Insn } from '../src/ebpf/insn.js';
import { OPS, specOf } from '../src/ebpf/opcodes.js';
import {
  conformanceMissing, k2Missing, llvmDisassemble, llvmMissing, loadConformancePrograms, loadK2Programs, norm, rowSamples,
  type NamedProgram,
} from './llvm-util.js';

const fromHex = (h: string): Insn[] => decodeProgram(Uint8Array.from(h.trim().split(/\s+/), (b) => parseInt(b, 16)));

/** [instruction bytes, expected text]; texts taken from llvm-mc-19 except the documented deviations. */
const CASES: [string, string][] = [
  ['b7 01 00 00 05 00 00 00', 'r1 = 5'],
  ['b7 01 00 00 ff ff ff ff', 'r1 = -1'],
  ['07 01 00 00 00 00 00 80', 'r1 += -2147483648'],
  ['0f 21 00 00 00 00 00 00', 'r1 += r2'],
  ['04 01 00 00 05 00 00 00', 'w1 += 5'],
  ['0c 21 00 00 00 00 00 00', 'w1 += w2'],
  ['c7 01 00 00 03 00 00 00', 'r1 s>>= 3'],
  ['3f 21 01 00 00 00 00 00', 'r1 s/= r2'],
  ['94 01 01 00 07 00 00 00', 'w1 s%= 7'],
  ['87 01 00 00 00 00 00 00', 'r1 = -r1'],
  ['84 01 00 00 00 00 00 00', 'w1 = -w1'],
  ['bf 21 08 00 00 00 00 00', 'r1 = (s8)r2'],
  ['bc 21 10 00 00 00 00 00', 'w1 = (s16)w2'],
  ['d4 01 00 00 10 00 00 00', 'r1 = le16 r1'],
  ['dc 01 00 00 40 00 00 00', 'r1 = be64 r1'],
  ['d7 01 00 00 20 00 00 00', 'r1 = bswap32 r1'],
  ['18 01 00 00 44 33 22 11 00 00 00 00 88 77 66 55', 'r1 = 6153737367135073092 ll'],
  ['18 01 00 00 ff ff ff ff 00 00 00 00 ff ff ff ff', 'r1 = -1 ll'],
  ['18 11 00 00 03 00 00 00 00 00 00 00 00 00 00 00', 'ld_pseudo r1, 1, 3'],
  ['18 61 00 00 fd ff ff ff 00 00 00 00 00 00 00 00', 'ld_pseudo r1, 6, 4294967293'],
  // Deviation: LLVM drops the second slot's imm of a pseudo load; we print the whole value.
  ['18 21 00 00 03 00 00 00 00 00 00 00 07 00 00 00', 'ld_pseudo r1, 2, 30064771075'],
  ['28 00 00 00 0c 00 00 00', 'r0 = *(u16 *)skb[12]'],
  ['50 20 00 00 00 00 00 00', 'r0 = *(u8 *)skb[r2]'],
  // Deviation: LLVM drops LD_IND's imm.
  ['48 30 00 00 fe ff ff ff', 'r0 = *(u16 *)skb[r3 - 2]'],
  ['61 21 fd ff 00 00 00 00', 'r1 = *(u32 *)(r2 - 3)'],
  ['91 10 00 00 00 00 00 00', 'r0 = *(s8 *)(r1 + 0)'],
  ['7a 0a f8 ff 2a 00 00 00', '*(u64 *)(r10 - 8) = 42'],
  ['6b 21 04 00 00 00 00 00', '*(u16 *)(r1 + 4) = r2'],
  ['2d 21 05 00 00 00 00 00', 'if r1 > r2 goto +5'],
  ['16 01 01 00 03 00 00 00', 'if w1 == 3 goto +1'],
  ['c5 01 fd ff ff ff ff ff', 'if r1 s< -1 goto -3'],
  ['45 01 00 00 01 00 00 00', 'if r1 & 1 goto +0'],
  ['05 00 fd ff 00 00 00 00', 'goto -3'],
  ['06 00 00 00 07 00 00 00', 'gotol +7'],
  ['85 00 00 00 01 00 00 00', 'call 1'],
  ['8d 03 00 00 00 00 00 00', 'callx r3'],
  ['95 00 00 00 00 00 00 00', 'exit'],
  // Deviations: LLVM prints every call kind as `call N`.
  ['85 10 00 00 fd ff ff ff', 'call pc-3'],
  ['85 20 00 00 05 00 00 00', 'call kfunc 5'],
  ['85 20 02 00 05 00 00 00', 'call kfunc 5, 2'],
  ['db 21 05 00 00 00 00 00', 'lock *(u64 *)(r1 + 5) += r2'],
  ['db 21 05 00 a1 00 00 00', 'r2 = atomic_fetch_xor((u64 *)(r1 + 5), r2)'],
  ['db 21 05 00 e1 00 00 00', 'r2 = xchg_64(r1 + 5, r2)'],
  ['db 21 05 00 f1 00 00 00', 'r0 = cmpxchg_64(r1 + 5, r0, r2)'],
  ['c3 21 05 00 00 00 00 00', 'lock *(u32 *)(r1 + 5) += r2'],
  // Deviations: LLVM's default decoder knows no other 32-bit atomic; these are its +alu32 texts.
  ['c3 21 05 00 01 00 00 00', 'w2 = atomic_fetch_add((u32 *)(r1 + 5), w2)'],
  ['c3 21 05 00 40 00 00 00', 'lock *(u32 *)(r1 + 5) |= w2'],
  ['c3 21 05 00 e1 00 00 00', 'w2 = xchg32_32(r1 + 5, w2)'],
  ['c3 21 05 00 f1 00 00 00', 'w0 = cmpxchg32_32(r1 + 5, w0, w2)'],
  // No faithful text: unknown opcode, reserved field set, register above r10, broken 64-bit load.
  ['00 21 05 00 07 00 00 00', '.byte 0x00, 0x21, 0x05, 0x00, 0x07, 0x00, 0x00, 0x00'],
  ['07 01 05 00 07 00 00 00', '.byte 0x07, 0x01, 0x05, 0x00, 0x07, 0x00, 0x00, 0x00'],
  ['bf b1 00 00 00 00 00 00', '.byte 0xbf, 0xb1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00'],
  ['18 01 00 00 01 00 00 00', '.byte 0x18, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00'],
];

test('hand-written cases, one per instruction kind and quirk', () => {
  for (const [hex, want] of CASES) assert.equal(disassemble(fromHex(hex)).join('\n'), want, hex);
});

test('a 64-bit load is one line covering two slots; formatInsn reads one instruction', () => {
  const p = fromHex('18 01 00 00 01 00 00 00 00 00 00 00 00 00 00 00 b7 00 00 00 00 00 00 00 95 00 00 00 00 00 00 00');
  assert.deepEqual(disassembleWithSlots(p), [{ slot: 0, text: 'r1 = 1 ll' }, { slot: 2, text: 'r0 = 0' }, { slot: 3, text: 'exit' }]);
  assert.equal(formatInsn(p, 2), 'r0 = 0');
  assert.equal(formatInsn(p, 0), 'r1 = 1 ll');
  assert.throws(() => formatInsn(p, 4), RangeError);
});

/** What llvm-mc prints for our text: our documented deviations mapped back to LLVM's lossy forms. */
function llvmView(insns: readonly Insn[], slot: number, ours: string): string {
  const ins = insns[slot]!;
  const s = specOf(ins.op, ins.src, ins.off, ins.imm)!;
  if (s.kind === 'call') return `call ${ins.imm}`;
  if (s.kind === 'ldind') return ours.replace(/skb\[(r\d+).*\]/, 'skb[$1]');
  if (s.kind === 'lddw' && ins.src !== 0) return `ld_pseudo r${ins.dst}, ${ins.src}, ${ins.imm >>> 0}`;
  return ours;
}

interface Tally { programs: number; compared: number; deviations: number; raw: number; mismatches: string[] }

/** Compare our disassembly of every program with llvm-mc's (default, and +alu32 for 32-bit atomics). */
function compareWithLlvm(programs: readonly NamedProgram[]): Tally {
  const insnsList = programs.map((p) => p.insns);
  const plain = llvmDisassemble(insnsList);
  const alu32 = llvmDisassemble(insnsList, '+alu32');
  const t: Tally = { programs: programs.length, compared: 0, deviations: 0, raw: 0, mismatches: [] };
  programs.forEach((p, k) => {
    for (const { slot, text } of disassembleWithSlots(p.insns) as SlotText[]) {
      if (text.startsWith('.byte')) {
        t.raw++;
        continue;
      }
      const ins = p.insns[slot]!;
      const s = specOf(ins.op, ins.src, ins.off, ins.imm)!;
      const ref = s.kind === 'atomic' && s.width === 32 && ins.imm !== 0 ? alu32 : plain;
      const want = ref[k]![slot];
      // LLVM reads whatever follows a malformed 64-bit load (which we print as .byte) as its second half.
      if (want === undefined && slot > 0 && p.insns[slot - 1]!.op === 0x18 && formatInsn(p.insns, slot - 1).startsWith('.byte')) {
        t.raw++;
        continue;
      }
      const got = llvmView(p.insns, slot, norm(text));
      if (got !== norm(text) || ref === alu32) t.deviations++;
      t.compared++;
      if (got !== want) t.mismatches.push(`${p.name} slot ${slot}: ours '${text}', llvm-mc '${want}'`);
    }
  });
  return t;
}

const summary = (t: Tally): string =>
  `${t.programs} programs, ${t.compared} instructions compared, ${t.compared - t.mismatches.length} identical ` +
  `(${t.deviations} via documented deviations), ${t.raw} slots not compared (.byte, or swallowed by LLVM after a malformed 64-bit load)`;

test('every opcode-table row matches llvm-mc-19', { skip: llvmMissing }, (t) => {
  const samples = rowSamples(OPS).map((insns, i) => ({ name: `sample ${i}`, insns }));
  const tally = compareWithLlvm(samples);
  t.diagnostic(summary(tally));
  assert.deepEqual(tally.mismatches, []);
  assert.equal(tally.raw, 0, 'every sample has a text form');
});

test('K2 suite programs match llvm-mc-19', { skip: llvmMissing ?? k2Missing }, (t) => {
  const programs = loadK2Programs();
  assert.ok(programs.length > 0, 'no .insns files');
  const tally = compareWithLlvm(programs);
  t.diagnostic(summary(tally));
  assert.deepEqual(tally.mismatches, []);
  assert.equal(tally.raw, 0, 'the K2 suite programs are valid, so nothing should print as .byte');
});

test('conformance programs match llvm-mc-19', { skip: llvmMissing ?? conformanceMissing }, (t) => {
  const { programs, skipped } = loadConformancePrograms();
  assert.ok(programs.length > 0, 'no conformance programs');
  const tally = compareWithLlvm(programs);
  t.diagnostic(`${summary(tally)}; ${skipped.length} vectors without instructions`);
  assert.deepEqual(tally.mismatches, []);
});
