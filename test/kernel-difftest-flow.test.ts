/**
 * Flow dissector programs are difftested: the kernel's test run hands the program a zeroed struct
 * bpf_flow_keys (n_proto, nhoff = thoff = 14 preset), clamps nhoff/thoff afterwards and returns the
 * keys as its output; the interpreter models the same. Skips where bpf() is unavailable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../src/ebpf/asm.js';
import type { Program } from '../src/ebpf/program.js';
import { difftest } from '../src/kernel/difftest.js';
import { kernelUnavailableReason } from '../src/kernel/index.js';

const skip: string | false = kernelUnavailableReason() ?? false;

/** IPv4: ip_proto, addr_proto, saddr, thoff = 14 + ihl·4 (`thoffExtra` more: the kernel clamps it); else BPF_DROP. */
function dissector(ipProtoOffset = 23, thoffExtra = 0, loadBytes = false): Program {
  const lines = [
    'r9 = r1',
    ...(loadBytes ? ['r2 = 0', 'r3 = r10', 'r3 += -8', 'r4 = 4', 'call 26', 'r4 = *(u64 *)(r9 + 144)', 'r7 = *(u32 *)(r10 - 8)', '*(u32 *)(r4 + 24) = r7', '*(u32 *)(r4 + 28) = r0'] : []),
    'r2 = *(u32 *)(r9 + 76)', 'r3 = *(u32 *)(r9 + 80)', 'r4 = *(u64 *)(r9 + 144)',
    'r5 = r2', 'r5 += 34', 'if r5 > r3 goto drop',
    'r6 = *(u16 *)(r4 + 10)', 'if r6 != 8 goto drop',
    `r7 = *(u8 *)(r2 + ${ipProtoOffset})`, '*(u8 *)(r4 + 9) = r7',
    'r7 = *(u32 *)(r2 + 26)', '*(u32 *)(r4 + 16) = r7',
    '*(u16 *)(r4 + 4) = 8',
    'r8 = *(u8 *)(r2 + 14)', 'r8 &= 15', 'r8 <<= 2', `r8 += ${14 + thoffExtra}`, '*(u16 *)(r4 + 2) = r8',
    'r0 = 0', 'exit',
    'drop:', 'r0 = 2', 'exit',
  ];
  return { name: 'flow', source: 'test', insns: assemble(lines.join('\n')), maps: [], progType: 'flow_dissector', section: 'flow_dissector' };
}

test('flow dissector: interpreter and kernel agree on r0 and the flow keys (nhoff/thoff clamped), and on load_bytes without an skb', { skip }, () => {
  for (const p of [dissector(), dissector(23, 4000), dissector(23, 0, true)]) {
    const r = difftest(p, { inputs: 300, seed: 4, maxExamples: 1 });
    assert.deepEqual([r.kernelTestRun, r.inputs, r.mismatches], [true, 300, 0], JSON.stringify(r.examples[0]));
  }
});

test('flow dissector: a planted difference in the keys is caught', { skip }, () => {
  const r = difftest(dissector(), { inputs: 300, seed: 4, maxExamples: 1, kernelProgram: dissector(22) });
  assert.ok(r.mismatches > 10, `${r.mismatches} mismatches`);
  assert.deepEqual(r.examples[0]!.differs, ['packet']);
});
