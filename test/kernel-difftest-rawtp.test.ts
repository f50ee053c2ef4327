/**
 * Which programs difftest test-runs. Raw tracepoint programs are: their input is the 12 u64 arguments, which the kernel's
 * test run takes as ctx_in (no packet). Agreement on r0 and maps, and a planted difference caught.
 * Skips where bpf() is unavailable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../src/ebpf/asm.js';
import { MAP_TYPES, type Program } from '../src/ebpf/program.js';
import { difftest } from '../src/kernel/difftest.js';
import { kernelUnavailableReason } from '../src/kernel/index.js';
import { canTestRunProgram } from '../src/kernel/testrun.js';

const skip: string | false = kernelUnavailableReason() ?? false;

/** counts[0] = args[1] + shift; r0 = args[0] & 0xff (or, planted, & 0x7f). */
function prog(mask = 0xff, shift = 0): Program {
  const lines = [
    'r6 = *(u64 *)(r1 + 0)', 'r7 = *(u64 *)(r1 + 8)', `r7 += ${shift}`,
    '*(u32 *)(r10 - 4) = 0', 'ld_pseudo r1, 1, 0', 'r2 = r10', 'r2 += -4', 'call 1', 'if r0 == 0 goto out',
    '*(u64 *)(r0 + 0) = r7',
    'out:', 'r0 = r6', `r0 &= ${mask}`, 'exit',
  ];
  return { name: 'args', source: 'test', insns: assemble(lines.join('\n')), progType: 'raw_tracepoint', section: 'raw_tp/test',
    maps: [{ name: 'counts', type: MAP_TYPES.array, keySize: 4, valueSize: 8, maxEntries: 2, fd: 0, flags: 0 }] };
}

test('raw_tp programs are test-runnable; interpreter and kernel agree on the arguments they are given', { skip }, () => {
  assert.equal(canTestRunProgram(prog()), true);
  const r = difftest(prog(), { inputs: 100, seed: 9 });
  assert.deepEqual([r.kernelTestRun, r.inputs, r.mismatches, r.environmentDependent], [true, 100, 0, 0], JSON.stringify(r.examples[0]));
});

test('raw_tp: a planted difference in r0 or in a map is caught', { skip }, () => {
  const r0 = difftest(prog(), { inputs: 100, seed: 9, maxExamples: 1, kernelProgram: prog(0x7f) });
  assert.ok(r0.mismatches > 20, `${r0.mismatches} mismatches`);
  assert.deepEqual(r0.examples[0]!.differs, ['r0']);
  const map = difftest(prog(), { inputs: 20, seed: 9, maxExamples: 1, kernelProgram: prog(0xff, 1) });
  assert.equal(map.mismatches, 20);
  assert.deepEqual(map.examples[0]!.differs, ['map counts']);
});

test('an xdp/devmap program is verifier-only (the kernel refuses to test-run it), not an EINVAL error', { skip }, () => {
  const p: Program = { name: 'xdp/devmap', source: 'test', insns: assemble('r0 = 2\nexit'), maps: [], progType: 'xdp', section: 'xdp/devmap' };
  assert.equal(canTestRunProgram(p), false);
  const r = difftest(p, { inputs: 10, seed: 1 });
  assert.deepEqual([r.kernelTestRun, r.inputs], [false, 0]);
  assert.match(r.note ?? '', /^xdp\/devmap \(devmap\/cpumap\) XDP programs cannot be test-run by the kernel/);
});
