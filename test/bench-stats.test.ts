/**
 * The benchmark runner's pure parts: statistics (descriptive, Student t, bootstrap ratio CIs),
 * CSV round trips, the K2-native markdown parser, suite selection, and the plan: interleaving,
 * run keys, and shards that partition the sweep deterministically.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { analyze, type Row } from '../src/bench/analyze.js';
import { parseNativeMarkdown, parseNumbers } from '../src/bench/native.js';
import { fullPlan, keyFileName, parseShard, planFor, planHash, shardBenchmarks, type SweepConfig } from '../src/bench/plan.js';
import { bootstrapAcross, bootstrapRatio, describe, geomean, median, percentile, tCdf, tQuantile } from '../src/bench/stats.js';
import { loadSuite, scaledIterations, selectBenchmarks } from '../src/bench/suite.js';
import { parseCsv } from '../src/bench/tables.js';
import { InputError } from '../src/ebpf/errors.js';
import { sharedAvailable, sharedDir } from './paths.js';

const close = (a: number, b: number, tol: number, what: string): void => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('descriptive statistics and the Student-t CI of a mean', () => {
  const d = describe([2, 4, 4, 4, 5, 5, 7, 9]);
  assert.equal(d.n, 8);
  assert.equal(d.mean, 5);
  assert.equal(d.median, 4.5);
  close(d.stdev, Math.sqrt(32 / 7), 1e-12, 'sample stdev');
  close(d.cv, Math.sqrt(32 / 7) / 5, 1e-12, 'cv');
  assert.equal(median([3, 1, 2]), 2);
  const c = describe([10, 12, 14]);
  close(c.ciHigh - c.mean, 4.302652729911275 * 2 / Math.sqrt(3), 1e-6, 'CI half-width, n = 3');
  const one = describe([5]);
  assert.ok(Number.isNaN(one.stdev) && Number.isNaN(one.ciLow), 'one value has no spread and no CI');
  assert.equal(geomean([1, 4]), 2);
  assert.ok(Number.isNaN(geomean([1, -1])));
  assert.equal(percentile([1, 2, 3, 4], 0.5), 2.5);
});

test('Student t quantiles match tables', () => {
  const table: [number, number, number][] = [[0.975, 1, 12.706204736], [0.975, 2, 4.30265273], [0.975, 4, 2.776445105], [0.975, 10, 2.228138852],
    [0.975, 30, 2.042272456], [0.95, 5, 2.015048373], [0.995, 14, 2.976842734], [0.975, 1000, 1.962339081]];
  for (const [p, df, t] of table) close(tQuantile(p, df), t, 1e-6, `t(${p}, ${df})`);
  close(tCdf(0, 7), 0.5, 1e-12, 'median of t');
  close(tCdf(-2.776445105, 4), 0.025, 1e-8, 'lower tail');
  close(tQuantile(0.025, 9), -tQuantile(0.975, 9), 1e-9, 'symmetry');
});

test('bootstrap ratio CIs: deterministic, cover the true ratio, significant only when they exclude 1', () => {
  const base = [100, 104, 98, 101, 97, 103, 99, 102];
  const twice = base.map((x, i) => 2 * x + (i % 3) - 1);
  const r = bootstrapRatio(twice, base, { seed: 7 });
  assert.deepEqual(bootstrapRatio(twice, base, { seed: 7 }), r, 'same input and seed, same interval');
  assert.ok(r.ciLow < 2 && r.ciHigh > 2 && r.ciLow > 1.9 && r.ciHigh < 2.1, `[${r.ciLow}, ${r.ciHigh}]`);
  assert.ok(r.significant);
  const same = bootstrapRatio([...base].reverse(), base, { seed: 3 });
  close(same.ratio, 1, 1e-12, 'equal means');
  assert.ok(same.ciLow < 1 && same.ciHigh > 1 && !same.significant);
  const few = bootstrapRatio([5], [4, 4.1]);
  assert.equal(few.ratio, 5 / 4.05);
  assert.ok(Number.isNaN(few.ciLow) && !few.significant, 'no interval below two values');
  const across = bootstrapAcross([{ treatment: twice, baseline: base }, { treatment: base.map((x) => x * 1.5), baseline: base }], { seed: 1 });
  close(across.geomean.ratio, Math.sqrt(2 * 1.5 * (twice.reduce((a, b) => a + b) / (2 * base.reduce((a, b) => a + b)))), 1e-9, 'geomean of ratios');
  assert.ok(across.geomean.ciLow < across.geomean.ratio && across.geomean.ratio < across.geomean.ciHigh);
});

test('analysis: speed-up cells against k2-baseline, profiles labelled, warm-ups and failures left out', () => {
  const rows: Row[] = [];
  const add = (benchmark: string, variantSet: string, runtimeProfile: string, cps: number, extra: Partial<Row> = {}): void => {
    rows.push({ benchmark, variantSet, runtimeProfile, warmup: false, status: 'ok', candidatesPerSecond: cps, wallMs: 1, processRate: cps / 2, peakRssBytes: 1, gcMs: 0,
      trajectoryDigest: 'd', bestInsnCount: 9, originalInsnCount: 10, ...extra });
  };
  for (const b of ['a', 'b']) {
    for (const v of [100, 101, 99]) { add(b, 'k2-baseline', 'default', v); add(b, 'optimized', 'default', 2 * v); add(b, 'k2-baseline', 'big', 1.5 * v); }
    add(b, 'optimized', 'default', 1e9, { warmup: true });
    add(b, 'optimized', 'default', NaN, { status: 'failed', reason: 'boom' });
  }
  const a = analyze(rows, { benchmarks: ['a', 'b'], variantSets: ['k2-baseline', 'optimized'], runtimeProfiles: ['default', 'big'] });
  assert.deepEqual(a.comparisons.map((c) => c.label), ['k2-baseline @ big', 'optimized']);
  const opt = a.comparisons.find((c) => c.label === 'optimized')!;
  close(opt.geomean.ratio, 2, 1e-12, 'optimized geomean');
  assert.equal(opt.rows.length, 2);
  assert.ok(opt.rows.every((r) => r.sameTrajectory && r.n === 3));
  assert.equal(a.failures.length, 2);
  const cell = a.summary.find((s) => s.benchmark === 'a' && s.variantSet === 'optimized' && s.runtimeProfile === 'default')!;
  assert.equal(cell.failed, 1);
  close(cell.meanProcessRate, 100, 1e-12, 'whole-process rate: mean of the measured runs only');
});

test('CSV: what csv-stringify writes, parseCsv reads back', () => {
  const data = [['key', 'reason', 'n'], ['a/b/default/r0', 'exit status 1: "quoted", with, commas', '3'], ['x', 'two\nlines', ''], ['', '', '']];
  assert.deepEqual(parseCsv(stringify(data)), data);
  assert.deepEqual(parseCsv('a,b\r\n1,2\r\n'), [['a', 'b'], ['1', '2']]);
  assert.throws(() => parseCsv('a,"b\n1,2\n'), (e: Error) => e instanceof InputError && /not valid CSV/.test(e.message));
});

test("K2 native figures are parsed from the markdown table, not hard-coded", () => {
  assert.deepEqual(parseNumbers('16,100 / 16,544'), [16100, 16544]);
  assert.deepEqual(parseNumbers('450k'), [450000]);
  assert.deepEqual(parseNumbers('1.2M'), [1200000]);
  const md = 'intro\n\n| benchmark | insns | -n | iterations/s wall (run 1 / run 2) | search-CPU iterations/s | note |\n|---|---|---|---|---|---|\n| p1 | 10 | 2M | 1,000 / 3,000 | 5,000 / 7,000 | x |\n| p2 | 20 | 300k | 500 / 500 | 900 / 1,100 | y |\n\nafter';
  const rows = parseNativeMarkdown(md);
  assert.equal(rows.length, 2);
  assert.deepEqual(rows[0], { benchmark: 'p1', instructions: 10, iterations: 2e6, wallPerSecond: [1000, 3000], wallMean: 2000, searchCpuMean: 6000 });
  assert.deepEqual(parseNativeMarkdown('| a | b |\n|---|---|\n| 1 | 2 |'), [], 'a table without the columns gives nothing');
});

test('the K2 native table in ../shared/k2-native.md', { skip: sharedAvailable ? false : `no ${sharedDir} (third-party data lives outside the repo)` }, () => {
  const rows = parseNativeMarkdown(readFileSync(join(sharedDir, 'k2-native.md'), 'utf8'));
  assert.equal(rows.length, 11);
  const fw = rows.find((r) => r.benchmark === 'xdp_fw')!;
  assert.equal(fw.wallMean, (4046 + 4387) / 2);
  assert.equal(fw.instructions, 72);
  assert.equal(fw.iterations, 150_000);
});

function tinySuite(): string {
  const dir = mkdtempSync(join(tmpdir(), 'k2lab-suite-'));
  for (const f of ['p.insns', 'q.insns', 'r.insns']) writeFileSync(join(dir, f), Buffer.alloc(8));
  writeFileSync(join(dir, 'suite.json'), JSON.stringify({ benchmarks: [
    { name: 'p', insns: 'p.insns', iterations_timing: 1000, fast_mode: false, k2_params: {} },
    { name: 'q', insns: 'q.insns', iterations_timing: 3000, fast_mode: true, k2_params: {} },
    { name: 'r', insns: 'r.insns', iterations_timing: 2000, fast_mode: true, k2_params: {}, kernel_prog_type: 'xdp' },
  ] }));
  return join(dir, 'suite.json');
}

test('suite selection: --bench order, --fast subset, iteration scaling', () => {
  const s = loadSuite(tinySuite());
  assert.deepEqual(selectBenchmarks(s, undefined, true).benchmarks.map((b) => b.name), ['q', 'r']);
  assert.deepEqual(selectBenchmarks(s, ['r', 'p'], false).benchmarks.map((b) => b.name), ['r', 'p']);
  assert.throws(() => selectBenchmarks(s, ['nope'], false), (e: unknown) => e instanceof InputError && /unknown benchmark 'nope'/.test(e.message));
  assert.equal(scaledIterations(s.benchmarks[0]!, 0.02), 20);
  assert.equal(scaledIterations(s.benchmarks[0]!, 1e-9), 1);
  assert.equal(s.benchmarks[2]!.progType, 'xdp');
});

function config(over: Partial<SweepConfig> = {}): SweepConfig {
  return {
    format: 'k2lab-sweep/1', runId: 't', suite: '/x/suite.json', variantSets: ['k2-baseline', 'optimized'],
    benchmarks: [{ name: 'a', program: '/a', iterations: 100 }, { name: 'b', program: '/b', iterations: 900 }, { name: 'c', program: '/c', iterations: 500 }],
    runtimeProfiles: [{ name: 'default', nodeFlags: [] }, { name: 'big', nodeFlags: ['--max-semi-space-size=64'] }],
    reps: 3, warmup: 1, iterationsScale: 1, seed: 1, fast: false, shard: null, timeLimitPerRunS: 10, createdAt: '', gitCommit: null, ...over,
  };
}

test('plan: every run once, warm-ups first, variants interleaved and rotated per round', () => {
  const c = config();
  const plan = fullPlan(c);
  assert.equal(plan.length, (1 + 3) * 3 * 2 * 2);
  assert.equal(new Set(plan.map((r) => r.key)).size, plan.length);
  assert.ok(plan.slice(0, 12).every((r) => r.warmup) && plan.slice(12).every((r) => !r.warmup));
  assert.deepEqual(plan.map((r) => r.seq), plan.map((_, i) => i));
  const round0 = plan.filter((r) => !r.warmup && r.rep === 0 && r.benchmark === 'a').map((r) => `${r.variantSet}@${r.runtimeProfile}`);
  const round1 = plan.filter((r) => !r.warmup && r.rep === 1 && r.benchmark === 'a').map((r) => `${r.variantSet}@${r.runtimeProfile}`);
  assert.deepEqual(round0, ['k2-baseline@default', 'k2-baseline@big', 'optimized@default', 'optimized@big']);
  assert.deepEqual(round1, ['k2-baseline@big', 'optimized@default', 'optimized@big', 'k2-baseline@default']);
  assert.deepEqual(plan.find((r) => r.runtimeProfile === 'big')!.nodeFlags, ['--max-semi-space-size=64']);
  const names = ['xdp_fw/baseline+errors=result-codes/default/r1', 'a_b/c', 'a/b_c', 'we%ird/x'];
  assert.equal(new Set(names.map(keyFileName)).size, names.length);
  assert.match(keyFileName(names[0]!), /^xdp_fw%2Fbaseline\+errors=result-codes%2Fdefault%2Fr1\.json$/);
});

test('shards: whole benchmarks, balanced, deterministic, and together exactly the sweep', () => {
  const c = config();
  assert.deepEqual(shardBenchmarks(c.benchmarks, 2), [['b'], ['c', 'a']]);
  assert.deepEqual(shardBenchmarks(c.benchmarks, 3), [['b'], ['c'], ['a']]);
  for (const n of [1, 2, 3]) {
    const parts = Array.from({ length: n }, (_, i) => planFor(config({ shard: { index: i + 1, count: n } })).map((r) => r.key));
    const all = parts.flat();
    assert.equal(new Set(all).size, all.length, 'disjoint');
    assert.deepEqual([...all].sort(), fullPlan(c).map((r) => r.key).sort(), 'union = the whole sweep');
  }
  assert.equal(planHash(c), planHash(config({ shard: { index: 2, count: 3 }, runId: 'other', suite: '/elsewhere' })));
  assert.notEqual(planHash(c), planHash(config({ reps: 4 })));
  assert.notEqual(planHash(c), planHash(config({ optimizeArgs: ['--checker', 'tests-only'] })));
  assert.deepEqual(parseShard('2/4'), { index: 2, count: 4 });
  for (const bad of ['0/2', '3/2', '1', 'a/b', '1/0']) assert.throws(() => parseShard(bad), InputError, bad);
  assert.throws(() => shardBenchmarks(c.benchmarks, 4), /only 3 benchmark/);
});
