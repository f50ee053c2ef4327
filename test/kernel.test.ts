/**
 * The kernel oracle against the real Linux kernel: the K2 suite passes the verifier, the
 * interpreter agrees with BPF_PROG_TEST_RUN on 1,000 generated inputs per XDP and socket-filter
 * program, the conformance vectors the kernel loads agree, maps round-trip, rejections carry the
 * verifier's reason. Everything skips with the probe's one-line reason where bpf() is unavailable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { findConformanceFiles } from '../src/conformance/parse.js';
import { loadProgram as loadFile } from '../src/ebpf/load.js';
import { MAP_TYPES, type MapDef, type Program } from '../src/ebpf/program.js';
import { runVectorOnKernel } from '../src/kernel/conformance.js';
import { difftest } from '../src/kernel/difftest.js';
import { close, kernelUnavailableReason, loadProgram, readMaps, seedMaps, testRun, type Loaded } from '../src/kernel/index.js';
import { possibleCpus } from '../src/kernel/maps.js';
import { kernelTime } from '../src/kernel/timing.js';
import { repoRoot, sharedAvailable, sharedDir } from './paths.js';

const unavailable = kernelUnavailableReason();
const skipKernel: string | false = unavailable ?? false;
const suiteDir = join(sharedDir, 'k2-suite', 'programs');
const skipSuite: string | false = skipKernel || (sharedAvailable ? false : `K2 suite not found at ${suiteDir} (third-party data lives outside the repo)`);
const suite = sharedAvailable ? readdirSync(suiteDir).filter((f) => f.endsWith('.insns')).map((f) => f.slice(0, -6)).sort() : [];

function accepted(p: Program): Loaded {
  const r = loadProgram(p);
  if (!r.accepted) assert.fail(`${p.name} rejected: ${r.reason}`);
  return r;
}

test('the probe either finds bpf() usable or says why in one line', () => {
  if (unavailable) assert.match(unavailable, /^kernel oracle unavailable: [^\n]+$/);
  else assert.equal(kernelUnavailableReason(), undefined);
});

test('all 11 K2 suite programs are accepted by the Linux verifier (with their maps and kernel_prog_type)', { skip: skipSuite }, () => {
  assert.equal(suite.length, 11);
  for (const name of suite) {
    const p = loadFile(join(suiteDir, name));
    const r = loadProgram(p);
    assert.ok(r.accepted, `${name}: ${r.accepted ? '' : r.reason}`);
    assert.match(r.log, /processed \d+ insns/);
    close(r);
  }
});

for (const name of suite) {
  test(`difftest ${name}: interpreter and kernel agree on 1,000 inputs`, { skip: skipSuite }, () => {
    const r = difftest(loadFile(join(suiteDir, name)), { inputs: 1000, seed: 2024 });
    if (!r.kernelTestRun) {
      assert.equal(r.progType, 'tracepoint');
      assert.match(r.note ?? '', /verifier-checked only/);
      return;
    }
    assert.equal(r.inputs, 1000);
    assert.equal(r.mismatches, 0, JSON.stringify(r.examples[0], null, 1));
  });
}

test('difftest reports mismatches with a shrunk reproducer (a program returning a random number)', { skip: skipKernel }, () => {
  const p = loadFile(join(repoRoot, 'test/kernel/prandom.s'), { progType: 'xdp' });
  // get_prandom_u32's answer comes from the input model: by default such inputs are counted apart.
  const apart = difftest(p, { inputs: 20, seed: 1, maxExamples: 1 });
  assert.deepEqual([apart.mismatches, apart.environmentDependent, apart.environmentMismatches], [0, 20, 20]);
  assert.deepEqual(apart.environmentHelpers, { bpf_get_prandom_u32: 20 });
  const r = difftest(p, { inputs: 20, seed: 1, maxExamples: 1, strictEnvironment: true });
  assert.equal(r.mismatches, 20);
  const e = r.examples[0]!;
  assert.deepEqual(e.differs, ['r0']);
  assert.equal(e.inputHex, '00'.repeat(14), 'shrunk to the shortest, all-zero packet');
  assert.equal(e.interpreter.r0, String(0x2a), "the interpreter's first random value");
});

const openFds = (): number => readdirSync('/proc/self/fd').length;

test('a rejected program comes back as data with the verifier reason; no descriptor leaks', { skip: skipKernel }, () => {
  const fdsBefore = openFds();
  const p = loadFile(join(repoRoot, 'test/kernel/uninit-reg.s'), { progType: 'xdp' });
  p.maps = [{ name: 'm', type: MAP_TYPES.hash, keySize: 4, valueSize: 4, maxEntries: 4, fd: 1, flags: 0 }];
  const r = loadProgram(p);
  assert.equal(r.accepted, false);
  if (r.accepted) return;
  assert.match(r.reason, /^instruction 0: R5 !read_ok$/);
  assert.match(r.log, /R5 !read_ok/);
  const level2 = loadProgram(p, { logLevel: 2 });
  assert.equal(level2.accepted, false);
  if (sharedAvailable) difftest(loadFile(join(suiteDir, 'socket-1')), { inputs: 50, seed: 3 });
  assert.equal(openFds(), fdsBefore, 'maps of rejected programs, programs, markers: all closed');
});

test('maps: seeded identically on every CPU, read back per CPU, reset to a new seed', { skip: skipKernel }, () => {
  const maps: MapDef[] = [
    { name: 'arr', type: MAP_TYPES.array, keySize: 4, valueSize: 8, maxEntries: 4, fd: 3, flags: 0 },
    { name: 'pcpu', type: MAP_TYPES.percpu_array, keySize: 4, valueSize: 4, maxEntries: 2, fd: 5, flags: 0 },
    { name: 'h', type: MAP_TYPES.hash, keySize: 2, valueSize: 2, maxEntries: 8, fd: 9, flags: 0 },
  ];
  // r0 = XDP_PASS; exit, with the maps referenced so that they belong to the program.
  const p = loadFile(join(repoRoot, 'test/kernel/uninit-reg.s'), { progType: 'xdp' });
  p.insns = [
    { op: 0x18, dst: 1, src: 1, off: 0, imm: 3 }, { op: 0, dst: 0, src: 0, off: 0, imm: 0 },
    { op: 0x18, dst: 1, src: 1, off: 0, imm: 5 }, { op: 0, dst: 0, src: 0, off: 0, imm: 0 },
    { op: 0x18, dst: 1, src: 1, off: 0, imm: 9 }, { op: 0, dst: 0, src: 0, off: 0, imm: 0 },
    { op: 0xb7, dst: 0, src: 0, off: 0, imm: 2 }, { op: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
  ];
  p.maps = maps;
  const l = accepted(p);
  try {
    seedMaps(l, new Map([[3, [['02000000', '0102030405060708']]], [5, [['01000000', 'aabbccdd']]], [9, [['beef', '0001'], ['0000', '0002']]]]));
    for (let cpu = 0; cpu < possibleCpus(); cpu++) {
      const snap = readMaps(l, cpu);
      assert.deepEqual(snap.map((m) => m.entries), [
        [{ key: '02000000', value: '0102030405060708' }],
        [{ key: '01000000', value: 'aabbccdd' }],
        [{ key: '0000', value: '0002' }, { key: 'beef', value: '0001' }],
      ]);
    }
    const before = readMaps(l);
    seedMaps(l, new Map([[9, [['0000', 'ffff']]]]), before);
    assert.deepEqual(readMaps(l).map((m) => m.entries), [[], [], [{ key: '0000', value: 'ffff' }]]);
    assert.throws(() => seedMaps(l, new Map([[77, []]])), /unknown map fd 77/);
    const t = testRun(l, { packet: new Uint8Array(14), repeat: 100 });
    assert.equal(t.r0, 2n);
    // The kernel's mean ns per run of 8 instructions: a wrong attr offset reads 0 or garbage.
    assert.ok(Number.isInteger(t.durationNs) && t.durationNs > 0 && t.durationNs < 1_000_000, `durationNs ${t.durationNs}`);
  } finally {
    close(l);
    close(l); // idempotent
  }
});

test('kernel-time: two programs on the same inputs give means and a ratio with a CI', { skip: skipSuite }, () => {
  const a = loadFile(join(suiteDir, 'xdp_pktcntr'));
  const b = loadFile(join(suiteDir, 'xdp_map_access'));
  const r = kernelTime(a, b, { repeat: 200, packets: 2, rounds: 3, seed: 1 });
  assert.deepEqual([r.a.roundMeansNs.length, r.b.roundMeansNs.length, r.packets, r.repeat], [3, 3, 2, 200]);
  // Each mean is its rounds' mean, and a plausible kernel time for a few dozen instructions (not 0, not garbage).
  for (const side of [r.a, r.b]) {
    assert.ok(Math.abs(side.meanNs - side.roundMeansNs.reduce((t, x) => t + x, 0) / 3) < 1e-6, 'mean of the rounds');
    assert.ok(side.roundMeansNs.every((x) => x > 0 && x < 100_000), `round means ${side.roundMeansNs.join(', ')} ns`);
  }
  // The ratio is the mean of the per-round ratios B/A, inside its CI.
  const perRound = r.a.roundMeansNs.map((a, i) => r.b.roundMeansNs[i]! / a);
  assert.ok(Math.abs(r.ratio - perRound.reduce((t, x) => t + x, 0) / 3) < 1e-9, `ratio ${r.ratio} vs rounds ${perRound.join(', ')}`);
  assert.ok(r.ratioCi95[0] <= r.ratio && r.ratio <= r.ratioCi95[1]);
});

test('conformance vectors the kernel loads (as XDP with an r1/r2 prologue) agree with the interpreter', { skip: skipKernel || (sharedAvailable ? false : 'conformance vectors not found in ../shared') }, () => {
  const results = findConformanceFiles([join(sharedDir, 'conformance')]).map(runVectorOnKernel);
  const disagree = results.filter((r) => r.status === 'disagree');
  assert.deepEqual(disagree, []);
  const agree = results.filter((r) => r.status === 'agree').length;
  const rejected = results.filter((r) => r.status === 'rejected');
  // 333 agree on Linux 6.18; the rest are error vectors or ones the verifier refuses (shifts by
  // out-of-range immediates, division by an immediate 0, unbounded packet reads, uBPF helpers…).
  assert.ok(agree >= 300, `only ${agree} vectors agree`);
  assert.ok(rejected.every((r) => r.reason.length > 0));
});
