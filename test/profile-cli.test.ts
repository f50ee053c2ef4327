/**
 * `k2lab profile` end to end on a tiny run of one of the project's own programs: every output file
 * exists and parses, the diff is written, `--diff A B` works on its own, 0x gives a flamegraph, and
 * bad input gives one line with exit status 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../src/profile/analyze.js';
import { readThreads } from '../src/profile/cpuprofile.js';
import { repoRoot } from './paths.js';

const bin = join(repoRoot, 'bin', 'k2lab.js');
const k2lab = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: repoRoot });

function tinySuite(dir: string): string {
  const suite = join(dir, 'suite.json');
  writeFileSync(suite, JSON.stringify({
    benchmarks: [{ name: 'tiny', object: join(repoRoot, 'test', 'elf', 'xdp_counter.o'), k2_params: { k: 1, w_e: 0.5, w_p: 1.5 }, iterations_timing: 100_000, fast_mode: true }],
  }));
  return suite;
}

/** The optimized set's Z3 is the native binary: without it, profile with the tests-only checker. */
const checkerArgs: string[] = spawnSync('z3', ['--version']).status === 0 ? [] : ['--checker', 'tests-only'];

function has0x(): boolean {
  try {
    createRequire(import.meta.url).resolve('0x/package.json');
    return true;
  } catch {
    return false;
  }
}

test('profile: both variants of a tiny run give every file, parseable, plus the diff', () => {
  const dir = mkdtempSync(join(tmpdir(), 'k2lab-profile-'));
  try {
    const out = join(dir, 'run');
    const r = k2lab(['profile', '--suite', tinySuite(dir), '--variants', 'k2-baseline,optimized', '--iterations-scale', '0.01', '--interval', '250', '--out', out, ...checkerArgs]);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 3, r.stdout);
    assert.match(lines[0]!, /^tiny k2-baseline: 1000 iterations, .* → .*tiny\/k2-baseline\/\{optimizer\.cpuprofile,.*top-functions\.md,top-functions\.csv,where-time-goes\.md,flamegraph\.svg,summary\.json\}$/);
    assert.match(lines[2]!, /^diff tiny k2-baseline → optimized: .*diff-k2-baseline-vs-optimized\.\{md,svg\}$/);
    for (const v of ['k2-baseline', 'optimized']) {
      const d = join(out, 'tiny', v);
      const a = analyze(readThreads(join(d, 'optimizer.cpuprofile')));
      assert.ok(a.busyMs > 0 && a.functions.size > 10);
      assert.ok(a.categories.interpreter > 0 && a.categories.safety > 0, JSON.stringify(a.categories));
      const md = readFileSync(join(d, 'top-functions.md'), 'utf8');
      assert.match(md, /^# Top functions — tiny \/ /);
      assert.match(md, /\n\| 1 \| `[^`]+` \| [^|]+ \| [\d.]+ \| [\d.]+% \| [\d.]+% \|/);
      assert.match(md, /## Callers and callees of the top 10/);
      const csv = readFileSync(join(d, 'top-functions.csv'), 'utf8').trim().split('\n');
      assert.ok(csv.length > 10 && csv.every((l) => l.split(',').length >= 11));
      assert.match(readFileSync(join(d, 'where-time-goes.md'), 'utf8'), /\| interpreter \(src\/interp, variants\/dispatch\) \| [\d.]+ \| [\d.]+% \|/);
      assert.match(readFileSync(join(d, 'flamegraph.svg'), 'utf8'), /^<svg [^>]*>[\s\S]*<\/svg>\n$/);
      const summary = JSON.parse(readFileSync(join(d, 'summary.json'), 'utf8')) as { variantSet: string; iterations: number; categories: Record<string, number> };
      assert.equal(summary.variantSet, v);
      assert.equal(summary.iterations, 1000);
      assert.ok(Math.abs(Object.values(summary.categories).reduce((s, x) => s + x, 0) - 100) < 0.1);
      const report = JSON.parse(readFileSync(join(d, 'run-report.json'), 'utf8')) as { variantSet: string; iterations: number };
      assert.deepEqual([report.variantSet, report.iterations], [v, 1000]);
    }
    const diff = readFileSync(join(out, 'tiny', 'diff-k2-baseline-vs-optimized.md'), 'utf8');
    assert.match(diff, /## Functions that gained share/);
    assert.match(readFileSync(join(out, 'tiny', 'diff-k2-baseline-vs-optimized.svg'), 'utf8'), /^<svg [\s\S]*A: tiny \/ k2-baseline[\s\S]*B: tiny \/ optimized[\s\S]*<\/svg>\n$/);
    assert.match(readFileSync(join(out, 'index.md'), 'utf8'), /\| tiny \| \[optimized\]\(tiny\/optimized\/top-functions\.md\) \|/);

    // --diff on its own, with profile folders and with a file.
    const d2 = join(dir, 'diff');
    const r2 = k2lab(['profile', '--diff', join(out, 'tiny', 'k2-baseline'), join(out, 'tiny', 'optimized', 'optimizer.cpuprofile'), '--out', d2]);
    assert.equal(r2.status, 0, r2.stderr);
    assert.match(r2.stdout, /^diff .* → .*diff\.\{md,svg\}\n$/);
    assert.ok(existsSync(join(d2, 'diff.md')) && existsSync(join(d2, 'diff.svg')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('profile --tool 0x: an interactive flamegraph.html beside the CPU profile', { skip: has0x() ? false : '0x is not installed (npm ci installs it)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'k2lab-profile-0x-'));
  try {
    const out = join(dir, 'run');
    const r = k2lab(['profile', '--suite', tinySuite(dir), '--variants', 'optimized', '-n', '500', '--checker', 'tests-only', '--tool', '0x', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    const d = join(out, 'tiny', 'optimized');
    const html = readFileSync(join(d, 'flamegraph.html'), 'utf8');
    assert.match(html, /<html/i);
    assert.ok(existsSync(join(d, 'optimizer.cpuprofile')));
    assert.ok(!existsSync(join(d, '0x-raw')), 'raw 0x data removed without --keep-raw');
    assert.match(r.stdout, /flamegraph\.html/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('profile: bad input is one line on stderr and exit status 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'k2lab-profile-bad-'));
  try {
    const suite = tinySuite(dir);
    const cases: [string[], RegExp][] = [
      [['profile', '--suite', suite, '--variants', 'nope'], /--variants: unknown set 'nope'/],
      [['profile', '--suite', suite, '--bench', 'nope'], /--bench: unknown benchmark 'nope'/],
      [['profile', '--suite', suite, '--tool', 'perf'], /--tool: unknown tool 'perf'/],
      [['profile', '--suite', suite, '--runtime-profile', 'nope'], /--runtime-profile: unknown profile 'nope'/],
      [['profile', '--suite', join(dir, 'missing.json')], /missing\.json: cannot read suite manifest/],
      [['profile', '--suite', suite, '--iterations-scale', '0'], /--iterations-scale: expected a number > 0/],
      [['profile', '--diff', join(dir, 'nope.cpuprofile'), suite], /nope\.cpuprofile: no such profile/],
      [['profile', '--diff', suite, suite], /suite\.json: not a CPU profile/],
    ];
    for (const [args, re] of cases) {
      const r = k2lab(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
