/**
 * Real sweeps through the CLI on a tiny suite of the project's own test programs: a sweep killed
 * (SIGKILL) mid-run and resumed has exactly the runs of an uninterrupted sweep, none twice and none
 * lost; two shards run by scripts/slurm-array.sh's task mode and merged equal one unsharded sweep.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csvObjects } from '../src/bench/tables.js';
import { repoRoot } from './paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'k2lab-sweep-'));
const suite = join(tmp, 'suite.json');
writeFileSync(suite, JSON.stringify({
  description: 'two of the project\'s own test programs, tiny iteration counts',
  benchmarks: [
    { name: 'xdp_counter', object: join(repoRoot, 'test', 'elf', 'xdp_counter.o'), iterations_timing: 150, k2_params: {}, fast_mode: true },
    { name: 'socket_filter', object: join(repoRoot, 'test', 'elf', 'socket_filter.o'), iterations_timing: 100, k2_params: {}, fast_mode: true },
  ],
}));
// tests-only equivalence keeps these runs short: the mechanics under test do not depend on the checker.
const SWEEP = ['--suite', suite, '--variants', 'k2-baseline,optimized', '--reps', '1', '--warmup', '1', '--optimize-args=--checker tests-only'];
// k2-baseline, its A/A copy k2-baseline#2 and optimized: 2 benchmarks × 3 sets × (1 warm-up + 1 rep).
const PLANNED = 2 * 3 * (1 + 1);

function k2lab(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['bin/k2lab.js', ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 180_000, env: { ...process.env, ...env } });
}

function runs(dir: string): Record<string, string>[] {
  return csvObjects(readFileSync(join(dir, 'runs.csv'), 'utf8'));
}

function keys(dir: string): string[] {
  const k = runs(dir).map((r) => r.key!);
  assert.equal(new Set(k).size, k.length, `${dir}/runs.csv has a run twice`);
  return k.sort();
}

function assertComplete(dir: string, r: { status: number | null; stderr: string }): void {
  assert.equal(r.status, 0, r.stderr);
  for (const f of ['runs.csv', 'summary.csv', 'speedups.csv', 'report.md', 'report.html', 'environment.json', 'sweep.json', 'charts/summary.svg', 'charts/throughput.svg', 'charts/speedup-optimized.svg']) {
    assert.ok(existsSync(join(dir, f)), `${dir}/${f} missing`);
  }
  assert.ok(runs(dir).every((x) => x.status === 'ok'), `${dir}: a run failed: ${JSON.stringify(runs(dir).filter((x) => x.status !== 'ok'))}`);
}

const reference = join(tmp, 'reference');
let referenceRun: ReturnType<typeof k2lab> | null = null;
function referenceSweep(): string {
  referenceRun ??= k2lab(['bench', ...SWEEP, '--jobs', '2', '--out', reference]);
  assertComplete(reference, referenceRun);
  return reference;
}

test('an uninterrupted sweep: every planned run once, every output file, the study table on stdout', () => {
  const dir = referenceSweep();
  assert.equal(keys(dir).length, PLANNED);
  assert.match(referenceRun!.stdout, /speed-up over k2-baseline/);
  const rows = runs(dir);
  assert.ok(rows.every((r) => Number(r.candidatesPerSecond) > 0 && r.trajectoryDigest && r.equivalenceChecker === 'tests-only'));
  assert.match(readFileSync(join(dir, 'report.md'), 'utf8'), /Extra optimize arguments: `--checker tests-only`/);
  for (const b of ['xdp_counter', 'socket_filter']) {
    const digests = new Set(rows.filter((r) => r.benchmark === b).map((r) => r.trajectoryDigest));
    assert.equal(digests.size, 1, `${b}: every variant and repetition follows one trajectory`);
  }
  const speedups = csvObjects(readFileSync(join(dir, 'speedups.csv'), 'utf8'));
  assert.deepEqual(speedups.filter((s) => s.kind === 'benchmark' && s.variantSet === 'optimized').map((s) => s.benchmark).sort(), ['socket_filter', 'xdp_counter']);
  assert.deepEqual(speedups.filter((s) => s.kind === 'benchmark').map((s) => s.variantSet).sort(), ['k2-baseline#2', 'k2-baseline#2', 'optimized', 'optimized']);
  assert.ok(speedups.some((s) => s.kind === 'geomean' && Number(s.speedup) > 0));
  const env = JSON.parse(readFileSync(join(dir, 'environment.json'), 'utf8')) as { machine: { cores: number }; sessions: { loadAverageAfter: number[] | null; cpuBefore: { governor: string; turbo: string }; cpuAfter: unknown }[] };
  assert.ok(env.machine.cores >= 1 && env.sessions.length === 1 && env.sessions[0]!.loadAverageAfter !== null);
  assert.ok(env.sessions[0]!.cpuBefore.governor.length > 0 && env.sessions[0]!.cpuBefore.turbo.length > 0 && env.sessions[0]!.cpuAfter !== null, 'governor and turbo before and after (or "unavailable")');
  assert.ok(rows.some((r) => r.variantSet === 'k2-baseline#2' && r.variants === rows.find((x) => x.variantSet === 'k2-baseline')!.variants), 'the A/A copy runs the baseline\'s implementations');
  assert.match(readFileSync(join(dir, 'report.md'), 'utf8'), /## Noise floor \(A\/A\)\n\n`k2-baseline#2` runs exactly what `k2-baseline` runs/);
  assert.match(referenceRun!.stdout, /A\/A noise floor \(k2-baseline#2 vs k2-baseline\): geomean [\d.]+×/);
});

test('kill a sweep mid-run, resume it: the same runs as an uninterrupted sweep, none twice, none lost', async () => {
  const dir = join(tmp, 'killed');
  const child = spawn(process.execPath, ['bin/k2lab.js', 'bench', ...SWEEP, '--out', dir], { cwd: repoRoot, stdio: 'ignore' });
  const runsDir = join(dir, 'runs');
  const done = (): number => (existsSync(runsDir) ? readdirSync(runsDir).filter((f) => f.endsWith('.json')).length : 0);
  const t0 = Date.now();
  while (done() < 3 && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const before = readdirSync(runsDir).filter((f) => f.endsWith('.json'));
  assert.ok(before.length >= 3 && before.length < PLANNED, `killed after ${before.length} of ${PLANNED} runs`);
  const kept = new Map(before.map((f) => [f, readFileSync(join(runsDir, f), 'utf8')]));
  const partial = keys(dir);
  assert.ok(partial.length <= before.length && partial.length >= before.length - 1, 'runs.csv holds the recorded runs (it is rewritten after each)');

  const r = k2lab(['bench', '--resume', dir]);
  assertComplete(dir, r);
  assert.match(r.stderr, new RegExp(`${before.length} of ${PLANNED} runs recorded, ${PLANNED - before.length} to run`));
  assert.deepEqual(keys(dir), keys(referenceSweep()));
  for (const [f, text] of kept) assert.equal(readFileSync(join(runsDir, f), 'utf8'), text, `${f} was run again`);
  const again = k2lab(['bench', '--resume', dir]);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, new RegExp(`${PLANNED} of ${PLANNED} runs recorded, 0 to run`));
  assert.deepEqual(keys(dir), keys(reference));
});

test('two shards (scripts/slurm-array.sh task mode) merged = one unsharded sweep; compare reads both', async () => {
  const out = join(tmp, 'slurm');
  const script = join(repoRoot, 'scripts', 'slurm-array.sh');
  const task = (i: number): Promise<number | null> => new Promise((resolve) => {
    const c = spawn('bash', [script, '__task', '2', out, ...SWEEP], { cwd: tmp, stdio: 'ignore', env: { ...process.env, SLURM_ARRAY_TASK_ID: String(i) } });
    c.once('exit', (code) => resolve(code));
  });
  assert.deepEqual(await Promise.all([task(1), task(2)]), [0, 0]);
  const s1 = keys(join(out, 'shard-1'));
  const s2 = keys(join(out, 'shard-2'));
  assert.ok(s1.length > 0 && s2.length > 0 && s1.every((k) => !s2.includes(k)), 'shards are disjoint and non-empty');
  const m = spawnSync('bash', [script, '__merge', '2', out], { cwd: tmp, encoding: 'utf8' });
  assert.equal(m.status, 0, m.stderr);
  const merged = join(out, 'merged');
  assertComplete(merged, { status: 0, stderr: '' });
  assert.deepEqual(keys(merged), keys(referenceSweep()));
  const sweep = JSON.parse(readFileSync(join(merged, 'sweep.json'), 'utf8')) as { shard: unknown; mergedFrom: string[] };
  assert.equal(sweep.shard, null);
  assert.equal(sweep.mergedFrom.length, 2);
  const env = JSON.parse(readFileSync(join(merged, 'environment.json'), 'utf8')) as { sessions: { shard: string }[] };
  assert.deepEqual(env.sessions.map((s) => s.shard).sort(), ['1/2', '2/2']);

  const dup = k2lab(['merge', join(out, 'shard-1'), join(out, 'shard-1'), '--out', join(tmp, 'dup')]);
  assert.equal(dup.status, 0, 'the same folder twice holds the same records: merged once');
  const clash = k2lab(['merge', reference, join(out, 'shard-1'), '--out', join(tmp, 'clash')]);
  assert.equal(clash.status, 2);
  assert.match(clash.stderr, /^k2lab: run .* is in both .* merge each shard once\n$/);

  const cmp = k2lab(['compare', reference, merged, '--json']);
  assert.equal(cmp.status, 0, cmp.stderr);
  const res = JSON.parse(cmp.stdout) as { rows: { benchmark: string; variantSet: string; ratio: number; verdict: string }[] };
  assert.equal(res.rows.length, 6);
  assert.ok(res.rows.every((x) => x.ratio > 0 && ['faster', 'slower', 'within the A/A floor', 'not significant', 'n/a'].includes(x.verdict)));
  const md = k2lab(['compare', reference, merged]);
  assert.match(md.stdout, /\| benchmark \| variant set \| profile \| A c\/s \(n\) \| B c\/s \(n\) \| B\/A \| 95% CI \| A\/A floor \| difference \|/);
  const csv = k2lab(['compare', reference, merged, '--csv']);
  assert.equal(csvObjects(csv.stdout).length, 6);
});
