/**
 * scripts/slurm-local.sh end to end: a one-node Slurm cluster started from Debian's packages runs a
 * 2-shard `bench --fast` sweep submitted by scripts/slurm-array.sh through the real sbatch; OUT/merged
 * must hold the unsharded plan's runs, and every daemon the script started must be gone afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csvObjects } from '../src/bench/tables.js';
import { repoRoot } from './paths.js';

const TOOLS = ['munged', 'mungekey', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol', 'scancel', 'sinfo'];

function missing(): string | null {
  const gone = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` } }).status !== 0);
  if (gone.length) return `${gone.join(', ')} not installed (apt-get install slurm-wlm munge; .ci/run does)`;
  if (process.getuid?.() !== 0) return 'needs root: slurmd runs the jobs';
  return null;
}

/** Processes whose command line mentions the path (the script's temporary folder). */
function processesMentioning(path: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(path)) out.push(`${pid}: ${cmd}`);
    } catch { /* gone meanwhile */ }
  }
  return out;
}

test('slurm-local.sh: sbatch runs 2 shards and the merge job; OUT/merged = the unsharded plan; daemons stopped', (t) => {
  const why = missing();
  if (why) { t.skip(why); return; }
  const out = join(mkdtempSync(join(tmpdir(), 'k2lab-slurm-test-')), 'out');
  // Two benchmarks (one per shard), the baseline and its A/A copy, one repetition, tests-only proofs: seconds, not minutes.
  const flags = ['--bench', 'sock_dispatch,tp_openat', '--variants', 'k2-baseline', '--reps', '1', '--warmup', '0', '--iterations-scale', '0.001', '--optimize-args=--checker tests-only'];
  const r = spawnSync('bash', [join(repoRoot, 'scripts', 'slurm-local.sh'), out, ...flags], {
    cwd: repoRoot, encoding: 'utf8', timeout: 240_000, env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^submitted array job (\d+) \(2 shards\) and merge job (\d+): results in /m);
  assert.match(r.stderr, /merged holds the unsharded plan's 4 runs, from 2 shards run by sbatch/);
  const logs = readdirSync(out).filter((f) => f.startsWith('slurm-')).sort();
  assert.equal(logs.length, 3, `two array-task logs and the merge job's log from Slurm: ${logs.join(', ')}`);
  const merged = join(out, 'merged');
  const runs = csvObjects(readFileSync(join(merged, 'runs.csv'), 'utf8'));
  assert.deepEqual(runs.map((x) => x.key).sort(), ['sock_dispatch/k2-baseline#2/default/r0', 'sock_dispatch/k2-baseline/default/r0', 'tp_openat/k2-baseline#2/default/r0', 'tp_openat/k2-baseline/default/r0']);
  assert.ok(runs.every((x) => x.status === 'ok'));
  assert.deepEqual(new Set(runs.map((x) => x.shard)), new Set(['1/2', '2/2']), 'each benchmark ran in its own shard');
  assert.ok(existsSync(join(merged, 'report.html')));
  const conf = /SLURM_CONF=(\S+)\/slurm\.conf/.exec(r.stderr)?.[1];
  assert.ok(conf, 'the script names its temporary folder');
  assert.deepEqual(processesMentioning(conf), [], 'no daemon of the script is left running');
  assert.ok(!existsSync(conf), 'the temporary folder is removed after a successful run');
});
