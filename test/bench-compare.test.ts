/**
 * `k2lab compare A B --fail-above PCT`, the regression gate, on constructed result folders: a folder
 * against itself passes, a benchmark made 30% slower fails, a slow-down within the A/A floor or
 * within PCT passes, and bad gate flags are one-line errors with exit status 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { compareDirs, compareJson, regressions } from '../src/bench/compare.js';
import { Rng } from '../src/common/rng.js';
import { repoRoot } from './paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'k2lab-compare-'));
const BASE: Record<string, number> = { alpha: 5000, beta: 800 };
const SETS = ['k2-baseline', 'k2-baseline#2', 'optimized'];

/** A result folder's runs.csv: 2 benchmarks × 3 sets × 6 reps, ±2% noise; `factor` scales one cell. */
function folder(name: string, seed: number, factor: (bench: string, set: string) => number = () => 1, sets = SETS): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  const rng = new Rng(seed);
  const head = ['key', 'benchmark', 'variantSet', 'runtimeProfile', 'rep', 'warmup', 'status', 'iterations', 'candidatesPerSecond', 'processMs', 'trajectoryDigest', 'gitCommit'];
  const rows: unknown[][] = [];
  for (let rep = 0; rep < 6; rep++) {
    for (const b of Object.keys(BASE)) {
      for (const v of sets) {
        const cps = BASE[b]! * (v === 'optimized' ? 3 : 1) * factor(b, v) * (0.98 + 0.04 * rng.float());
        rows.push([`${b}/${v}/default/r${rep}`, b, v, 'default', rep, 'false', 'ok', 1000, cps.toFixed(2), 900, `d-${b}`, `c${name}`]);
      }
    }
  }
  writeFileSync(join(dir, 'runs.csv'), stringify([head, ...rows]));
  return dir;
}

function compare(a: string, b: string, ...flags: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['bin/k2lab.js', 'compare', a, b, ...flags], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
}

const before = folder('before', 1);
const again = folder('again', 2);
const slower = folder('slower', 3, (b, v) => (b === 'beta' && v === 'optimized' ? 0.7 : 1));
const slightly = folder('slightly', 4, (b, v) => (b === 'alpha' && v === 'optimized' ? 0.99 : 1));

test('--fail-above: a folder against itself, and a rerun of the same code, pass (exit 0)', () => {
  const self = compare(before, before, '--fail-above', '0');
  assert.equal(self.status, 0, self.stderr);
  assert.match(self.stderr, /no benchmark slower by more than 0% beyond the A\/A floor \(6 compared\)/);
  assert.match(self.stdout, /\| alpha \| optimized \| default \|[^\n]*\| 1\.000× \|[^\n]*\| ±\d+\.\d% \| not significant \|/);
  assert.deepEqual(regressions(compareDirs(before, again), 2), [], 'a rerun of the same code passes a 2% gate');
});

test('--fail-above: a benchmark made 30% slower fails the gate (exit 1) and is named on stderr', () => {
  const r = compare(before, slower, '--fail-above', '5');
  assert.equal(r.status, 1, r.stdout);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^k2lab compare: regression: beta \/ optimized \/ default: B is 3\d\.\d% slower \(B\/A 0\.[67]\d\d× \[[\d., ]+\]\), more than 5% beyond the A\/A floor ±\d+\.\d%$/);
  assert.match(r.stdout, /\| beta \| optimized \| default \|[^\n]*\| slower \|/);
  const json = JSON.parse(compareJson(compareDirs(before, slower))) as { rows: { benchmark: string; variantSet: string; verdict: string; floor: number }[] };
  assert.equal(json.rows.find((x) => x.benchmark === 'beta' && x.variantSet === 'optimized')!.verdict, 'slower');
  assert.ok(json.rows.every((x) => x.floor > 0 && x.floor < 0.1), 'both folders have an A/A pair: every row has a floor');
  assert.deepEqual(regressions(compareDirs(before, slower), 40), [], 'a 30% slow-down passes a 40% gate');
});

test('--fail-above: a 1% slow-down stays within the A/A floor; without A/A pairs significance alone decides', () => {
  const sl = compareDirs(before, slightly);
  assert.deepEqual(regressions(sl, 0), []);
  // Noise alone: beta's k2-baseline is "significantly" 1.7% slower in these two seeded folders, but identical code differed as much (pyperf's case).
  const noise = sl.rows.find((x) => x.benchmark === 'beta' && x.variantSet === 'k2-baseline')!;
  assert.ok(noise.significant && noise.ratio < 1 && noise.verdict === 'within the A/A floor', JSON.stringify(noise));
  const noAaA = folder('no-aa-a', 5, () => 1, ['k2-baseline', 'optimized']);
  const noAaB = folder('no-aa-b', 6, (b, v) => (b === 'alpha' && v === 'k2-baseline' ? 0.9 : 1), ['k2-baseline', 'optimized']);
  const g = compareDirs(noAaA, noAaB);
  assert.deepEqual(regressions(g, 5).map((x) => `${x.benchmark}/${x.variantSet}`), ['alpha/k2-baseline'], 'no floor: a significant 10% slow-down fails a 5% gate');
  assert.ok(g.notes.some((n) => /neither folder has an A\/A pair/.test(n)));
});

test('--fail-above: bad values and nothing in common are one-line errors (exit 2)', () => {
  for (const [flags, error] of [[['--fail-above', '-1'], /--fail-above: expected a percentage ≥ 0, got -1/]] as const) {
    const r = compare(before, before, ...flags);
    assert.equal(r.status, 2);
    assert.match(r.stderr, error);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
  const empty = join(tmp, 'empty');
  mkdirSync(empty);
  writeFileSync(join(empty, 'runs.csv'), 'key,benchmark,variantSet,runtimeProfile,warmup,status,candidatesPerSecond\n');
  const r = compare(before, empty, '--fail-above', '5');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--fail-above: .* have no benchmark × variant set × profile in common: nothing to gate/);
});
