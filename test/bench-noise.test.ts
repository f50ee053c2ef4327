/**
 * Noise control of the benchmark runner: the A/A pair added to every plan, the floor it implies
 * and which speed-ups clear it, the modified z-score of outliers, the load / CV warnings, `--pin`
 * (taskset around the child) and the CPU settings read from a fake sysfs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze, type Row } from '../src/bench/analyze.js';
import { cpuState } from '../src/bench/environment.js';
import { baseVariantSet, beyondFloor, cvWarnings, floorOf, loadWarnings, modifiedZ } from '../src/bench/noise.js';
import { parsePin, type RunSpec, type SweepConfig } from '../src/bench/plan.js';
import { childCommand } from '../src/bench/runner.js';
import { withAaPair } from '../src/bench/sweep.js';

test('every plan gets the A/A copy of its baseline right after it; the child runs the base set', () => {
  assert.deepEqual(withAaPair(['k2-baseline', 'optimized'], true), ['k2-baseline', 'k2-baseline#2', 'optimized']);
  assert.deepEqual(withAaPair(['optimized', 'k2-baseline'], true), ['optimized', 'k2-baseline', 'k2-baseline#2']);
  assert.deepEqual(withAaPair(['optimized', 'pooled'], true), ['optimized', 'optimized#2', 'pooled'], 'without k2-baseline the first set is the baseline');
  assert.deepEqual(withAaPair(['k2-baseline', 'k2-baseline#2'], true), ['k2-baseline', 'k2-baseline#2'], 'not added twice');
  assert.deepEqual(withAaPair(['k2-baseline', 'optimized'], false), ['k2-baseline', 'optimized']);
  assert.equal(baseVariantSet('k2-baseline#2'), 'k2-baseline');
  assert.equal(baseVariantSet('baseline+errors=result-codes'), 'baseline+errors=result-codes');
});

test('the A/A floor: the farthest the ratio or its CI reaches from 1; a speed-up must be significant and beyond it', () => {
  assert.ok(Math.abs(floorOf({ ratio: 1.02, ciLow: 0.95, ciHigh: 1.08 }) - 0.08) < 1e-12);
  assert.ok(Math.abs(floorOf({ ratio: 0.9, ciLow: NaN, ciHigh: NaN }) - 0.1) < 1e-12, 'no CI (n < 2): the ratio alone');
  assert.ok(beyondFloor({ ratio: 1.2, ciLow: 1.1, ciHigh: 1.3, significant: true }, 0.08));
  assert.ok(!beyondFloor({ ratio: 1.05, ciLow: 1.01, ciHigh: 1.09, significant: true }, 0.08), 'significant but within the floor');
  assert.ok(!beyondFloor({ ratio: 0.95, ciLow: 0.93, ciHigh: 0.97, significant: true }, 0.08), 'a slow-down within the floor');
  assert.ok(!beyondFloor({ ratio: 1.5, ciLow: 0.9, ciHigh: 2.1, significant: false }, 0.08), 'not significant');
  assert.ok(beyondFloor({ ratio: 1.05, ciLow: 1.01, ciHigh: 1.09, significant: true }, NaN), 'no floor: significance alone');
});

test('analyze: the A/A floor per benchmark and overall, speed-ups marked, an outlier reported and kept', () => {
  const rows: Row[] = [];
  const add = (benchmark: string, variantSet: string, values: number[]): void => {
    values.forEach((v, i) => rows.push({ benchmark, variantSet, runtimeProfile: 'default', warmup: false, status: 'ok', key: `${benchmark}/${variantSet}/default/r${i}`,
      candidatesPerSecond: v, wallMs: 1, processRate: 1, peakRssBytes: 1, gcMs: 0, trajectoryDigest: 'd', bestInsnCount: 1, originalInsnCount: 1 }));
  };
  // a: A/A within 2%, "fast" 4% faster: significant maybe, but within the floor? b: A/A noisy, "fast" 2× faster.
  add('a', 'k2-baseline', [100, 101, 99, 100, 102, 98]);
  add('a', 'k2-baseline#2', [102, 104, 101, 103, 104, 100]);
  add('a', 'fast', [103, 104, 102, 103, 105, 103]);
  add('b', 'k2-baseline', [50, 55, 45, 52, 48, 50]);
  add('b', 'k2-baseline#2', [50, 54, 46, 51, 49, 50]);
  add('b', 'fast', [100, 110, 90, 104, 96, 160]);
  const an = analyze(rows, { benchmarks: ['a', 'b'], variantSets: ['k2-baseline', 'k2-baseline#2', 'fast'], runtimeProfiles: ['default'] });
  assert.ok(an.aa, 'the sweep has an A/A pair');
  assert.equal(an.aa.variantSet, 'k2-baseline#2');
  assert.deepEqual(an.aa.rows.map((r) => r.benchmark), ['a', 'b']);
  const fa = an.aa.rows[0]!;
  assert.ok(fa.floor >= Math.abs(fa.ratio - 1) && fa.floor >= fa.ciHigh - 1);
  assert.ok(an.aa.overallFloor > 0);
  const fast = an.comparisons.find((c) => c.variantSet === 'fast')!;
  const ra = fast.rows.find((r) => r.benchmark === 'a')!;
  const rb = fast.rows.find((r) => r.benchmark === 'b')!;
  assert.ok(ra.significant, 'a: 3% faster is significant on these runs');
  assert.equal(ra.meaningful, false, 'a: but identical code differed by as much');
  assert.equal(rb.meaningful, true, 'b: 2× is beyond the A/A floor');
  assert.deepEqual(an.outliers.map((o) => o.key), ['b/fast/default/r5']);
  assert.ok(an.outliers[0]!.z > 3.5);
  assert.equal(an.summary.find((s) => s.benchmark === 'b' && s.variantSet === 'fast')!.n, 6, 'the outlier is not dropped');
  const none = analyze(rows.filter((r) => r.variantSet !== 'k2-baseline#2'), { benchmarks: ['a', 'b'], variantSets: ['k2-baseline', 'fast'], runtimeProfiles: ['default'] });
  assert.equal(none.aa, null);
  assert.equal(none.comparisons[0]!.rows[0]!.meaningful, none.comparisons[0]!.rows[0]!.significant);
});

test('modified z-score: Iglewicz–Hoaglin with the mean-absolute-deviation fallback; too few values call nothing', () => {
  const z = modifiedZ([10, 11, 9, 10, 30]);
  // median 10, MAD median(0,1,1,0,20) = 1: M = 0.6745 × (x − 10).
  assert.deepEqual(z.map((v) => Number(v.toFixed(4))), [0, 0.6745, -0.6745, 0, 13.49]);
  const flat = modifiedZ([5, 5, 5, 5, 9]);
  // MAD 0: meanAD = 4/5, M = (x − 5) / (1.253314 × 0.8).
  assert.ok(Math.abs(flat[4]! - 4 / (1.253314 * 0.8)) < 1e-9 && flat[0] === 0);
  assert.deepEqual(modifiedZ([7, 7, 7, 7, 7]), [0, 0, 0, 0, 0]);
  assert.ok(modifiedZ([1, 2, 100]).every(Number.isNaN));
});

test('warnings: load above half the cores + 1, CV above 10%', () => {
  assert.deepEqual(loadWarnings([{ when: 'before', loadAverage: [1.9, 1, 1] }], 2), []);
  assert.match(loadWarnings([{ when: 'after', loadAverage: [2.5, 1, 1] }], 2)[0]!, /load average 2\.50 after \(above 2\.0/);
  assert.equal(cvWarnings([{ label: 'x', cv: 0.05 }, { label: 'y', cv: 0.2 }, { label: 'z', cv: NaN }]).length, 1);
});

test('--pin: a CPU list of this machine; the child runs under taskset -c', () => {
  assert.equal(parsePin('0', 2), '0');
  assert.equal(parsePin(' 0-1 ', 2), '0-1');
  assert.throws(() => parsePin('2', 2), /--pin: CPU 2 is not on this machine \(CPUs 0-1\)/);
  assert.throws(() => parsePin('1-0', 4), /--pin: CPU 1-0 is not on this machine/);
  assert.throws(() => parsePin('a', 2), /--pin: expected a CPU list/);
  const spec: RunSpec = { seq: 0, key: 'p/k2-baseline#2/default/r0', benchmark: 'p', variantSet: 'k2-baseline#2', runtimeProfile: 'default', nodeFlags: [], rep: 0, warmup: false, iterations: 10 };
  const c = { suite: '/s.json', seed: 1 } as SweepConfig;
  const plain = childCommand(spec, { name: 'p', program: '/p.insns', iterations: 10 }, c);
  assert.equal(plain.file, process.execPath);
  assert.equal(plain.args[plain.args.indexOf('--variants') + 1], 'k2-baseline');
  const pinned = childCommand(spec, { name: 'p', program: '/p.insns', iterations: 10 }, { ...c, pin: '1' });
  assert.deepEqual([pinned.file, ...pinned.args.slice(0, 3)], ['taskset', '-c', '1', process.execPath]);
});

test('CPU governor and turbo from sysfs, "unavailable" where the files are absent', () => {
  const root = mkdtempSync(join(tmpdir(), 'k2lab-sysfs-'));
  assert.deepEqual(cpuState(join(root, 'nothing')), { governor: 'unavailable', turbo: 'unavailable' });
  for (const [cpu, gov] of [['cpu0', 'performance'], ['cpu1', 'powersave']] as const) {
    mkdirSync(join(root, cpu, 'cpufreq'), { recursive: true });
    writeFileSync(join(root, cpu, 'cpufreq', 'scaling_governor'), `${gov}\n`);
  }
  mkdirSync(join(root, 'intel_pstate'));
  writeFileSync(join(root, 'intel_pstate', 'no_turbo'), '1\n');
  assert.deepEqual(cpuState(root), { governor: 'performance,powersave', turbo: 'off' });
});
