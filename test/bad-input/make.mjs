/**
 * Regenerates the binary files of the bad-input corpus (`node test/bad-input/make.mjs`). The output
 * is committed, so the corpus is plain data; this script only documents how each file was made.
 * Text files (.s, .maps, .desc, .txt) are written by hand and not touched here.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** One 8-byte instruction: opcode, dst, src, off, imm (little-endian, like struct bpf_insn). */
const insn = (op, dst = 0, src = 0, off = 0, imm = 0) => {
  const b = Buffer.alloc(8);
  b.writeUInt8(op, 0); b.writeUInt8((src << 4) | dst, 1); b.writeInt16LE(off, 2); b.writeInt32LE(imm, 4);
  return b;
};
const MOV0 = insn(0xb7, 0, 0, 0, 0); // r0 = 0
const EXIT = insn(0x95);
const prog = (...insns) => Buffer.concat(insns);
const files = {
  'truncated.insns': prog(MOV0, EXIT).subarray(0, 13),
  'lddw-half.insns': prog(MOV0, EXIT, insn(0x18, 1, 0, 0, 1)),
  'unknown-opcode.insns': prog(MOV0, insn(0xff), EXIT),
  'bad-register.insns': prog(MOV0, insn(0xb7, 11, 0, 0, 1), EXIT),
  'jump-out.insns': prog(MOV0, insn(0x05, 0, 0, 5), EXIT),
  'r10-written.insns': prog(MOV0, MOV0, insn(0xb7, 10, 0, 0, 0), EXIT),
  'empty.insns': Buffer.alloc(0),
  'bad-maps.insns': prog(MOV0, EXIT),
  'bad-desc.insns': prog(MOV0, EXIT),
  'negative-key.insns': prog(MOV0, EXIT),
  'unsupported-map.insns': prog(MOV0, EXIT),
  'huge-map.insns': prog(MOV0, EXIT),
  'map-fd-no-maps.insns': prog(insn(0x18, 1, 1, 0, 7), insn(0), MOV0, EXIT), // r1 = map fd 7 ll
  'x.o': Buffer.from('3c9a1f0e77d2b4516a08c3ee9f2d7b40112233445566778899aabbccddeeff00', 'hex'),
  'short-elf.o': Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01]),
  'ok.insns': prog(MOV0, EXIT),
};
for (const [name, bytes] of Object.entries(files)) writeFileSync(join(here, name), bytes);
