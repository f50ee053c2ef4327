/**
 * `optimize --chains 2`: each chain's trajectory digest equals a single-chain run with that seed,
 * counts are the chains' sums, candidates/s is total iterations over the wall time, and the best
 * program is the best of the chains.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

interface Report {
  iterations: number; wallMs: number; candidatesPerSecond: number; trajectoryDigest: string; bestPerfCost: number;
  counts: Record<string, number>;
  chains?: { seed: number; trajectoryDigest: string; iterations: number; bestPerfCost: number; counts: Record<string, number> }[];
}

const prog = join(repoRoot, 'suites', 'builtin', 'programs', 'xdp_ctl_counter');
const suite = join(repoRoot, 'suites', 'builtin', 'suite.json');

function optimize(...extra: string[]): Promise<Report> {
  const args = ['bin/k2lab.js', 'optimize', prog, '--params-from', suite, '--bench', 'xdp_ctl_counter', '-n', '2000', '--checker', 'tests-only', '--variants', 'optimized', '--json', '-', ...extra];
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    c.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    c.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    c.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as Report) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

test('optimize --chains 2: per-chain digests equal single-chain runs with seeds 7 and 8; merged counts and best', async () => {
  const [both, a, b] = await Promise.all([optimize('--seed', '7', '--chains', '2'), optimize('--seed', '7'), optimize('--seed', '8')]);
  assert.deepEqual(both.chains?.map((c) => [c.seed, c.trajectoryDigest]), [[7, a.trajectoryDigest], [8, b.trajectoryDigest]]);
  assert.notEqual(a.trajectoryDigest, b.trajectoryDigest);
  assert.equal(both.iterations, a.iterations + b.iterations);
  for (const k of Object.keys(a.counts)) assert.equal(both.counts[k], a.counts[k]! + b.counts[k]!, k);
  assert.equal(both.bestPerfCost, Math.min(a.bestPerfCost, b.bestPerfCost));
  // The merged rate is total iterations over the merged wall time; wallMs is reported to 0.01 ms, so allow that rounding
  // (a 30 ms run at 300,000 candidates/s is off by ~100/s from it, which an absolute tolerance of 1 did not).
  const rate = both.iterations / (both.wallMs / 1000);
  assert.ok(Math.abs(both.candidatesPerSecond - rate) <= 1 + rate * (0.006 / both.wallMs), `${both.candidatesPerSecond} vs ${rate}`);
  await assert.rejects(optimize('--chains', '0'), /--chains: expected an integer/);
});
