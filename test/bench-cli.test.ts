/**
 * bench / compare / merge through the real CLI: bad flags, broken suite manifests and folders that
 * are not result folders each give one line on stderr and exit status 2, before any run starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

function k2lab(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['bin/k2lab.js', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => { stdout += d.toString('utf8'); });
    c.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
    const timer = setTimeout(() => c.kill('SIGKILL'), 60_000);
    c.once('close', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'k2lab-bench-cli-'));
const file = (name: string, text: string): string => { const p = join(tmp, name); writeFileSync(p, text); return p; };
writeFileSync(join(tmp, 'p.insns'), Buffer.from('b700000000000000' + '9500000000000000', 'hex'));
const good = file('good.json', JSON.stringify({ benchmarks: [{ name: 'p', insns: 'p.insns', iterations_timing: 10, k2_params: {}, kernel_prog_type: 'xdp' }] }));
const existing = join(tmp, 'existing');
mkdirSync(existing);
writeFileSync(join(existing, 'sweep.json'), '{}');

const cases: { args: string[]; error: RegExp }[] = [
  { args: ['bench', '--suite', good, '--reps', '0'], error: /--reps: expected a positive integer, got 0/ },
  { args: ['bench', '--suite', good, '--warmup', '-1'], error: /--warmup: expected a non-negative integer, got -1/ },
  { args: ['bench', '--suite', good, '--iterations-scale', '0'], error: /--iterations-scale: expected a number > 0/ },
  { args: ['bench', '--suite', good, '--jobs', '1.5'], error: /--jobs: expected a positive integer/ },
  { args: ['bench', '--suite', good, '--time-limit-per-run', '0'], error: /--time-limit-per-run: expected seconds > 0/ },
  { args: ['bench', '--suite', good, '--shard', '3/2'], error: /--shard: expected I\/N with 1 ≤ I ≤ N/ },
  { args: ['bench', '--suite', good, '--shard', '1/2'], error: /--shard: 2 shards but only 1 benchmark/ },
  { args: ['bench', '--suite', good, '--variants', 'k2-baseline,nope'], error: /--variants: unknown set 'nope' \(sets: k2-baseline, optimized/ },
  { args: ['bench', '--suite', good, '--runtime-profile', 'nope'], error: /--runtime-profile: unknown profile 'nope' \(profiles: default/ },
  { args: ['bench', '--suite', good, '--bench', 'nope'], error: /--bench: unknown benchmark 'nope' \(.*good\.json has: p\)/ },
  { args: ['bench', '--suite', good, '--out', existing], error: /--out: .*existing already holds a sweep \(complete it with --resume/ },
  { args: ['bench', '--suite', good, '--bogus-flag'], error: /Unknown arguments?: bogus-flag/ },
  { args: ['bench', '--suite', join(tmp, 'missing.json')], error: /missing\.json: cannot read suite manifest \(ENOENT\)/ },
  { args: ['bench', '--suite', file('broken.json', '{"benchmarks": [')], error: /broken\.json: not valid JSON/ },
  { args: ['bench', '--suite', file('nobench.json', '{"programs": []}')], error: /nobench\.json: not a suite manifest \(no "benchmarks" array\)/ },
  { args: ['bench', '--suite', file('empty.json', '{"benchmarks": []}')], error: /empty\.json: "benchmarks" is empty/ },
  { args: ['bench', '--suite', file('noname.json', '{"benchmarks": [{"insns": "p.insns", "iterations_timing": 5}]}')], error: /noname\.json: benchmarks\[0\]: "name" must be a string/ },
  { args: ['bench', '--suite', file('noprog.json', '{"benchmarks": [{"name": "x", "insns": "nothere.insns", "iterations_timing": 5}]}')], error: /noprog\.json: benchmark 'x': program file nothere\.insns not found/ },
  { args: ['bench', '--suite', file('noiter.json', '{"benchmarks": [{"name": "x", "insns": "p.insns", "iterations_timing": "many"}]}')], error: /noiter\.json: benchmark 'x': "iterations_timing" must be a positive integer/ },
  { args: ['bench', '--suite', file('dup.json', '{"benchmarks": [{"name": "x", "insns": "p.insns", "iterations_timing": 5}, {"name": "x", "insns": "p.insns", "iterations_timing": 5}]}')], error: /dup\.json: benchmark 'x' appears twice/ },
  { args: ['bench', '--suite', good, '--pin', '999'], error: /--pin: CPU 999 is not on this machine/ },
  { args: ['bench', '--suite', good, '--pin', 'x'], error: /--pin: expected a CPU list such as 1 or 0,2-3, got 'x'/ },
  { args: ['bench', '--suite', good, '--variants', 'nope#2'], error: /--variants: unknown set 'nope#2'/ },
  { args: ['bench', '--suite', good, '--optimize-args=--seed 3'], error: /--optimize-args: --seed is set by the runner/ },
  { args: ['bench', '--suite', good, '--optimize-args='], error: /--optimize-args: no arguments \(write them after '='/ },
  { args: ['bench', '--resume', join(tmp, 'nowhere')], error: /nowhere: not a k2lab result folder \(no sweep\.json\)/ },
  { args: ['bench', '--resume', existing, '--reps', '3'], error: /--resume takes the plan from .*sweep\.json: drop --reps/ },
  { args: ['bench', '--resume', existing], error: /existing\/sweep\.json: not a k2lab sweep configuration/ },
  { args: ['compare', join(tmp, 'nowhere'), tmp], error: /nowhere: no runs\.csv \(not a k2lab result folder\)/ },
  { args: ['compare', tmp, tmp, '--csv', '--json'], error: /--csv and --json: choose one/ },
  { args: ['merge', tmp, '--out', join(tmp, 'm')], error: /not a k2lab result folder \(no sweep\.json\)/ },
  { args: ['merge', existing], error: /Missing required argument: out/ },
  { args: ['history', 'no-such-rev..HEAD', '--cache-dir', join(tmp, 'cache'), '--out', join(tmp, 'h')], error: /git rev-list --reverse no-such-rev\.\.HEAD --: fatal: / },
  { args: ['history', 'HEAD..HEAD', '--cache-dir', join(tmp, 'cache'), '--out', join(tmp, 'h')], error: /history: HEAD\.\.HEAD has no commits/ },
  { args: ['history', 'HEAD~1..HEAD', '--resume', existing], error: /Unknown arguments?: resume/ },
];

test('bad flags and broken suites: one line on stderr, exit status 2, nothing on stdout', async () => {
  // Four processes at a time: each case is a short-lived CLI start.
  const results: Awaited<ReturnType<typeof k2lab>>[] = [];
  for (let i = 0; i < cases.length; i += 4) results.push(...await Promise.all(cases.slice(i, i + 4).map((c) => k2lab(c.args))));
  for (const [i, c] of cases.entries()) {
    const r = results[i]!;
    const why = `k2lab ${c.args.join(' ')}\nstatus ${r.status}\nstderr: ${r.stderr}\nstdout: ${r.stdout}`;
    assert.equal(r.status, 2, why);
    assert.equal(r.stdout, '', why);
    assert.match(r.stderr, /^k2lab: [^\n]+\n$/, why);
    assert.match(r.stderr, c.error, why);
  }
});
