import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OPS, specOf } from '../src/ebpf/opcodes.js';
import { decodeProgram, encodeProgram, validateProgram, ProgramError } from '../src/ebpf/insn.js';

test('every opcode row is found again from its own fields', () => {
  for (const s of OPS) {
    const off = s.match?.field === 'off' ? s.match.value : 0;
    const imm = s.match?.field === 'imm' ? s.match.value : 0;
    const src = s.match?.field === 'src' ? s.match.value : 0;
    assert.equal(specOf(s.opcode, src, off, imm)?.name, s.name);
  }
});

test('row names are unique', () => {
  assert.equal(new Set(OPS.map((s) => s.name)).size, OPS.length);
});

test('decode/encode round trip and framing errors', () => {
  const bytes = new Uint8Array([0xb7, 0x00, 0x00, 0x00, 0x2a, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(encodeProgram(decodeProgram(bytes)), bytes);
  assert.throws(() => decodeProgram(bytes.subarray(0, 12)), /not a multiple of 8/);
  assert.throws(() => validateProgram([{ op: 0x18, dst: 0, src: 0, off: 0, imm: 1 }]), ProgramError);
  assert.throws(() => validateProgram([{ op: 0xff, dst: 0, src: 0, off: 0, imm: 0 }]), /instruction 0: unknown opcode 0xff/);
});
