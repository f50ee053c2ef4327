/**
 * Packet helpers against the kernel: small programs (test/kernel/helpers/*.s) call one helper
 * with arguments taken from the packet — sizes, offsets, flags, deltas, valid or not — and
 * difftest must find 0 mismatches: return values, the packet and its length agree with
 * BPF_PROG_TEST_RUN. Skips with the probe's reason where bpf() is unavailable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadProgram } from '../src/ebpf/load.js';
import { difftest } from '../src/kernel/difftest.js';
import { kernelUnavailableReason } from '../src/kernel/index.js';
import { repoRoot } from './paths.js';

const skip: string | false = kernelUnavailableReason() ?? false;
const CASES: [string, string][] = [
  ['csum-diff', 'xdp'], ['csum-to', 'xdp'], ['csum-from', 'xdp'], ['adjust-tail', 'xdp'], ['adjust-meta', 'xdp'], ['xdp-bytes', 'xdp'],
  ['l3csum', 'sched_cls'], ['l4csum', 'sched_cls'], ['change-tail', 'sched_cls'], ['adjust-room', 'sched_cls'],
];

for (const [name, type] of CASES) {
  test(`${name} (${type}) agrees with the kernel on 300 inputs`, { skip }, () => {
    const p = loadProgram(join(repoRoot, 'test/kernel/helpers', `${name}.s`), { progType: type });
    const r = difftest(p, { inputs: 300, seed: 3, maxExamples: 1 });
    assert.equal(r.mismatches, 0, JSON.stringify(r.examples[0]));
    assert.equal(r.environmentDependent, 0);
  });
}
