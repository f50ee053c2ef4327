/**
 * `k2lab history`: a throw-away clone of this repository with one more commit that does not build
 * (a broken tsconfig.json); history over its last two commits checks each out into the cache, builds
 * the good one and sweeps it, records the broken one as a failure, and writes history.csv (a row per
 * commit × benchmark × set), the chart and the page; a second run reuses the cache. Plus the
 * change-point rule on constructed series.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markChangePoints, type HistoryRow } from '../src/bench/history-report.js';
import { csvObjects } from '../src/bench/tables.js';
import { repoRoot } from './paths.js';

const git = (cwd: string, ...args: string[]) => spawnSync('git', ['-c', 'user.name=k2lab test', '-c', 'user.email=test@k2lab.invalid', ...args], { cwd, encoding: 'utf8' });

test('history over a good and a broken commit: the good one measured, the broken one a recorded failure; cached the second time', (t) => {
  if (git(repoRoot, 'rev-parse', 'HEAD').status !== 0) { t.skip(`${repoRoot} is not a git checkout`); return; }
  const tmp = mkdtempSync(join(tmpdir(), 'k2lab-history-'));
  const repo = join(tmp, 'repo');
  assert.equal(git(tmp, 'clone', '--quiet', '--shared', repoRoot, repo).status, 0);
  // A good commit of its own first: HEAD~2..HEAD is then exactly these two, even when the clone's HEAD is a merge.
  assert.equal(git(repo, 'commit', '--quiet', '--allow-empty', '-m', 'a commit that builds').status, 0);
  writeFileSync(join(repo, 'tsconfig.json'), '{ "compilerOptions": \n');
  assert.equal(git(repo, 'commit', '--quiet', '-am', 'a commit that does not build').status, 0);
  const good = git(repo, 'rev-parse', 'HEAD~1').stdout.trim();
  const broken = git(repo, 'rev-parse', 'HEAD').stdout.trim();
  const suite = join(tmp, 'suite.json');
  writeFileSync(suite, JSON.stringify({ benchmarks: [
    { name: 'xdp_counter', object: join(repoRoot, 'test', 'elf', 'xdp_counter.o'), iterations_timing: 100, k2_params: {} },
    { name: 'socket_filter', object: join(repoRoot, 'test', 'elf', 'socket_filter.o'), iterations_timing: 100, k2_params: {} },
  ] }));
  const out = join(tmp, 'history');
  const args = ['bin/k2lab.js', 'history', 'HEAD~2..HEAD', '--repo', repo, '--cache-dir', join(tmp, 'cache'), '--out', out,
    '--suite', suite, '--variants', 'k2-baseline', '--reps', '2', '--warmup', '0', '--optimize-args=--checker tests-only'];
  const r = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 1, `one commit failed: exit 1\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^2 commit\(s\): 1 measured, 1 failed \(\w{8} build failed\)/);
  const rows = csvObjects(readFileSync(join(out, 'history.csv'), 'utf8'));
  const ok = rows.filter((x) => x.commit === good);
  assert.deepEqual(ok.map((x) => `${x.benchmark}/${x.variantSet}`).sort(), ['socket_filter/k2-baseline', 'socket_filter/k2-baseline#2', 'xdp_counter/k2-baseline', 'xdp_counter/k2-baseline#2']);
  assert.ok(ok.every((x) => x.status === 'ok' && Number(x.mean) > 0 && x.ciLow !== '' && Number(x.n) === 2 && Number(x.aaFloor) >= 0 && Number(x.loadBefore) >= 0));
  const bad = rows.filter((x) => x.commit === broken);
  assert.deepEqual(bad.map((x) => x.benchmark).sort(), ['socket_filter', 'xdp_counter'], 'a row per benchmark for the failed commit too');
  assert.ok(bad.every((x) => x.status === 'build failed' && x.reason !== '' && x.mean === ''));
  const svg = readFileSync(join(out, 'history.svg'), 'utf8');
  assert.match(svg, /<svg [^>]*data-chart="history"/);
  const html = readFileSync(join(out, 'history.html'), 'utf8');
  assert.match(html, /<h1>k2lab history: HEAD~2\.\.HEAD<\/h1>/);
  assert.match(html, /build failed: /);
  assert.match(html, /<figure class="chart" id="chart-history"><svg/);
  assert.ok(existsSync(join(out, 'sweeps', good.slice(0, 12), 'report.html')), "the commit's own result folder");

  const again = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
  assert.equal(again.status, 1);
  assert.doesNotMatch(again.stderr, /building|checking out/, 'each commit is checked out and built once');
  assert.match(again.stderr, /--resume/, 'the measured commit\'s sweep is resumed, not rerun');
});

test('change points: CIs apart and a ratio beyond the A/A floor; a failed commit in between is skipped', () => {
  const row = (index: number, mean: number, half: number, aaFloor = 0.05, status: HistoryRow['status'] = 'ok'): HistoryRow => ({
    index, commit: `c${index}`, date: '', subject: '', status, reason: null, benchmark: 'b', variantSet: 'k2-baseline', runtimeProfile: 'default',
    n: 3, mean: status === 'ok' ? mean : NaN, ciLow: mean - half, ciHigh: mean + half, aaFloor, change: NaN, changePoint: false, loadBefore: NaN, loadAfter: NaN,
  });
  const rows = [row(0, 1000, 20), row(1, 1010, 20), row(2, 0, 0, NaN, 'build failed'), row(3, 2000, 30), row(4, 2080, 10), row(5, 2300, 10, 0.2)];
  markChangePoints(rows);
  assert.deepEqual(rows.map((r) => r.changePoint), [false, false, false, true, false, false]);
  assert.ok(Math.abs(rows[3]!.change - 2000 / 1010) < 1e-12, 'compared with the last measured commit, across the failed one');
  // 2080 → 2300: CIs apart, +10.6%, but commit 5's A/A floor is ±20%: not a change point. 2000 → 2080: +4% < 5%.
});
