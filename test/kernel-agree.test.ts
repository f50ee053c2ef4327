/**
 * The output gate's kernel comparison (src/optimize/kernel-agree.ts): both programs from the same seeded
 * maps, r0, packet and the data maps compared after each BPF_PROG_TEST_RUN. Maps neither program can
 * write are not read back (they keep their seeds): a difference in a written map must still be found.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../src/ebpf/asm.js';
import type { Program } from '../src/ebpf/program.js';
import { kernelUnavailableReason } from '../src/kernel/index.js';
import { kernelAgreement } from '../src/optimize/kernel-agree.js';

const noKernel = kernelUnavailableReason();
const maps: Program['maps'] = [
  { name: 'counts', type: 2, keySize: 4, valueSize: 8, maxEntries: 4, fd: 0, flags: 0 },
  { name: 'table', type: 2, keySize: 4, valueSize: 8, maxEntries: 4096, fd: 1, flags: 0 },
];
// Looks key 0 up in `table` (read only), then stores `v` into `counts[0]`.
const prog = (v: number): Program => ({
  name: `store-${v}`, source: 'test', progType: 'xdp', license: 'GPL', maps,
  insns: assemble(`r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nld_pseudo r1, 1, 1\ncall 1\nr1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nld_pseudo r1, 1, 0\ncall 1\nif r0 == 0 goto +2\nr1 = ${v}\n*(u64 *)(r0 + 0) = r1\nr0 = 2\nexit`),
});

test('kernel agreement: the same program agrees; a different store into a written map is a mismatch', { skip: noKernel }, () => {
  const same = kernelAgreement(prog(1), prog(1), 50);
  assert.equal(same.rejected, undefined);
  assert.deepEqual([same.inputs, same.mismatches], [50, 0]);
  const other = kernelAgreement(prog(1), prog(2), 50);
  assert.equal(other.inputs, 50);
  assert.equal(other.mismatches, 50);
  assert.deepEqual(other.first?.differs, ['maps']);
});
