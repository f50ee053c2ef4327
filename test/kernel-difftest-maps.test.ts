/**
 * difftest reads back from the kernel only the maps the program can write (src/analysis/map-writes.ts):
 * a planted map-write difference on the kernel side — direct, or through a spilled pointer in a
 * BPF-to-BPF callee — is still caught, and results equal those of reading every map back.
 * Skips where bpf() is unavailable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../src/ebpf/asm.js';
import { MAP_TYPES, type MapDef, type Program } from '../src/ebpf/program.js';
import { difftest } from '../src/kernel/difftest.js';
import { kernelUnavailableReason } from '../src/kernel/index.js';

const skip: string | false = kernelUnavailableReason() ?? false;
const maps: MapDef[] = [
  { name: 'counts', type: MAP_TYPES.array, keySize: 4, valueSize: 8, maxEntries: 4, fd: 0, flags: 0 },
  { name: 'config', type: MAP_TYPES.array, keySize: 4, valueSize: 8, maxEntries: 4, fd: 1, flags: 0 },
  { name: 'big', type: MAP_TYPES.array, keySize: 4, valueSize: 4, maxEntries: 1 << 16, fd: 2, flags: 0 },
];
const lookup = (fd: number, reg: string): string[] => ['*(u32 *)(r10 - 4) = 0', `ld_pseudo r1, 1, ${fd}`, 'r2 = r10', 'r2 += -4', 'call 1', 'if r0 == 0 goto out', `${reg} = r0`];
/** Reads config[0] and big[0]; writes `value` into counts[0] (directly, or through a spilled pointer in a callee). */
function prog(value: number, viaCallee = false): Program {
  const write = viaCallee
    ? ['*(u64 *)(r10 - 16) = r6', 'r1 = r10', 'r1 += -16', `r2 = ${value}`, 'call put']
    : [`*(u32 *)(r6 + 0) = ${value}`];
  const lines = [
    ...lookup(1, 'r7'), 'r8 = *(u64 *)(r7 + 0)', ...lookup(2, 'r9'), 'r8 = *(u32 *)(r9 + 0)',
    ...lookup(0, 'r6'), ...write,
    'out:', 'r0 = 2', 'exit',
    ...(viaCallee ? ['put:', 'r3 = *(u64 *)(r1 + 0)', '*(u32 *)(r3 + 0) = r2', 'r0 = 0', 'exit'] : []),
  ];
  return { name: `write-${value}`, source: 'test', insns: assemble(lines.join('\n')), maps, progType: 'xdp' };
}

test('only the written map is read back, with the same results as reading every map', { skip }, () => {
  const fast = difftest(prog(1), { inputs: 60, seed: 5 });
  const all = difftest(prog(1), { inputs: 60, seed: 5, readAllMaps: true });
  assert.deepEqual(fast.mapsReadBack, ['counts']);
  assert.deepEqual(all.mapsReadBack, ['counts', 'config', 'big']);
  assert.deepEqual([fast.inputs, fast.mismatches], [60, 0]);
  assert.deepEqual({ ...fast, mapsReadBack: [] }, { ...all, mapsReadBack: [] });
});

test('a planted map-write difference in the kernel program is caught, also through a spilled pointer in a callee', { skip }, () => {
  for (const viaCallee of [false, true]) {
    const r = difftest(prog(1), { inputs: 40, seed: 5, maxExamples: 1, kernelProgram: prog(2, viaCallee) });
    assert.equal(r.mismatches, 40, `via callee: ${viaCallee}`);
    assert.deepEqual(r.examples[0]!.differs, ['map counts']);
    assert.deepEqual(r.mapsReadBack, ['counts']);
  }
  // The interpreted program writes, the kernel's does not: the interpreter's side is always compared.
  const r = difftest(prog(1), { inputs: 10, seed: 5, maxExamples: 1, kernelProgram: prog(0) });
  assert.equal(r.mismatches > 0, true);
});
