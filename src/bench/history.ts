/**
 * `k2lab history REV_RANGE` (asv's continuous/publish): every commit of the range checked out into
 * its own folder under a cache (a `git clone --shared`, so the repository's own worktree list is left
 * alone), installed and built once per commit, then the same sweep (same flags, same suite file, same
 * seed) run by that commit's own k2lab. A commit that does not install, build or sweep is a recorded
 * failure, and the range goes on. The tables and the page come from history-report.ts.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../ebpf/errors.js';
import { repoRoot } from '../common/paths.js';
import { defaultSuitePath } from './suite.js';
import type { BenchOptions } from './sweep.js';
import { writeAtomic } from './store.js';

export interface HistoryOptions {
  range: string;
  /** The sweep every commit runs (plan flags only: no --out, --resume, --shard). */
  bench: BenchOptions;
  out: string;
  /** Checkouts, one per commit, reused across history runs. */
  cacheDir: string;
  /** The repository whose commits are measured (default: the one this k2lab runs from). */
  repo?: string;
  /** Log lines (progress) go here. */
  log?: (line: string) => void;
}

export type CommitStatus = 'ok' | 'install failed' | 'build failed' | 'sweep failed';

export interface CommitResult {
  commit: string;
  date: string;
  subject: string;
  status: CommitStatus;
  reason: string | null;
  /** The commit's sweep folder (when its sweep ran). */
  sweepDir: string | null;
}

/** What a cached checkout records about its install and build, so each commit is built once. */
interface BuildStamp {
  commit: string;
  status: 'built' | 'install failed' | 'build failed';
  reason: string | null;
  nodeModules: 'linked' | 'npm ci' | null;
  buildMs: number;
}

const STAMP = '.k2lab-history-build.json';
const BUILD_CONFIG = 'tsconfig.k2lab-history.json';

function run(cmd: string, args: string[], cwd: string, timeoutMs = 900_000): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
}

/** The last meaningful line of a failed command's output. */
function lastLine(r: SpawnSyncReturns<string>): string {
  if (r.error) return r.error.message;
  const lines = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.split('\n').map((l) => l.trim()).filter(Boolean);
  const err = lines.find((l) => /error/i.test(l)) ?? lines[lines.length - 1] ?? `exit status ${r.status}`;
  return err.length > 300 ? `${err.slice(0, 300)}…` : err;
}

function git(repo: string, args: string[]): string {
  const r = run('git', args, repo, 120_000);
  if (r.status !== 0) throw new InputError(`git ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]}`);
  return r.stdout;
}

/** The commits of the range, oldest first, with committer date and subject. */
export function rangeCommits(repo: string, range: string): { commit: string; date: string; subject: string }[] {
  if (range.startsWith('-')) throw new InputError(`history: '${range}' is not a revision range`);
  const shas = git(repo, ['rev-list', '--reverse', range, '--']).split('\n').filter(Boolean);
  if (shas.length === 0) throw new InputError(`history: ${range} has no commits`);
  return shas.map((commit) => {
    const [date, subject] = git(repo, ['show', '-s', '--format=%cI%x00%s', commit]).trim().split('\0') as [string, string];
    return { commit, date, subject: subject ?? '' };
  });
}

/** A checkout of the commit under the cache (made once), with node_modules and dist/ built once. */
export function prepareCommit(repo: string, commit: string, cacheDir: string, log: (l: string) => void): { dir: string; stamp: BuildStamp } {
  const dir = join(cacheDir, commit);
  const stampFile = join(dir, STAMP);
  if (existsSync(stampFile)) return { dir, stamp: JSON.parse(readFileSync(stampFile, 'utf8')) as BuildStamp };
  if (!existsSync(join(dir, '.git'))) {
    log(`${commit.slice(0, 12)}: checking out into ${dir}`);
    const c = run('git', ['clone', '--quiet', '--shared', '--no-checkout', repo, dir], repo);
    if (c.status !== 0) throw new InputError(`history: cannot clone ${repo} into ${dir}: ${lastLine(c)}`);
  }
  const co = run('git', ['checkout', '--quiet', '--force', '--detach', commit], dir);
  if (co.status !== 0) throw new InputError(`history: cannot check out ${commit} in ${dir}: ${lastLine(co)}`);
  const t0 = Date.now();
  const stamp = (status: BuildStamp['status'], reason: string | null, nodeModules: BuildStamp['nodeModules']): BuildStamp => {
    const s: BuildStamp = { commit, status, reason, nodeModules, buildMs: Date.now() - t0 };
    writeAtomic(stampFile, JSON.stringify(s, null, 2) + '\n');
    return s;
  };
  const nodeModules = installDependencies(repo, dir, log);
  if (typeof nodeModules === 'object') return { dir, stamp: stamp('install failed', nodeModules.reason, null) };
  log(`${commit.slice(0, 12)}: building (tsc)`);
  // Only what the CLI runs (src/, variants/): the tests are not needed to measure a commit.
  writeAtomic(join(dir, BUILD_CONFIG), JSON.stringify({ extends: './tsconfig.json', include: ['src/**/*.ts', 'variants/**/*.ts'] }) + '\n');
  const tsc = join(dir, 'node_modules', 'typescript', 'bin', 'tsc');
  const b = run(process.execPath, [tsc, '-p', existsSync(join(dir, 'tsconfig.json')) ? BUILD_CONFIG : 'tsconfig.json'], dir);
  if (b.status !== 0 || !existsSync(join(dir, 'bin', 'k2lab.js'))) return { dir, stamp: stamp('build failed', lastLine(b), nodeModules) };
  return { dir, stamp: stamp('built', null, nodeModules) };
}

/**
 * node_modules for the checkout: a link to the current tree's when the commit's package-lock.json is
 * byte-identical (the same install), else `npm ci` (offline first, from npm's cache).
 */
function installDependencies(repo: string, dir: string, log: (l: string) => void): 'linked' | 'npm ci' | { reason: string } {
  const here = join(repoRoot, 'package-lock.json');
  const there = join(dir, 'package-lock.json');
  const mods = join(repoRoot, 'node_modules');
  if (existsSync(join(dir, 'node_modules'))) return 'linked';
  if (existsSync(here) && existsSync(there) && existsSync(mods) && readFileSync(here).equals(readFileSync(there))) {
    symlinkSync(realpathSync(mods), join(dir, 'node_modules'), 'dir');
    return 'linked';
  }
  log(`${dir}: package-lock.json differs from ${repo}'s: npm ci`);
  const r = run('npm', ['ci', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], dir);
  return r.status === 0 ? 'npm ci' : { reason: `npm ci: ${lastLine(r)}` };
}

/** The flags of `k2lab bench` that reproduce these options (for another commit's k2lab). */
export function benchArgv(o: BenchOptions): string[] {
  const a: string[] = [];
  const list = (flag: string, v: string[] | undefined): void => { if (v?.length) a.push(flag, v.join(',')); };
  a.push('--suite', resolve(o.suite ?? defaultSuitePath()));
  list('--bench', o.bench);
  list('--variants', o.variants);
  list('--runtime-profile', o.runtimeProfiles);
  if (o.fast) a.push('--fast');
  for (const [flag, v] of [['--reps', o.reps], ['--warmup', o.warmup], ['--iterations-scale', o.iterationsScale], ['--seed', o.seed], ['--jobs', o.jobs], ['--time-limit-per-run', o.timeLimitPerRun]] as const) {
    if (v !== undefined) a.push(flag, String(v));
  }
  if (o.iterationsFrom) a.push('--iterations-from', o.iterationsFrom);
  if (o.optimizeArgs) a.push(`--optimize-args=${o.optimizeArgs}`);
  if (o.aa === false) a.push('--no-aa');
  if (o.pin) a.push('--pin', o.pin);
  return a;
}

/** Runs the sweep of one built commit into OUT/sweeps/<commit> (resumed when an earlier history run left it). */
export function sweepCommit(dir: string, commit: string, argv: readonly string[], out: string, log: (l: string) => void): { ok: boolean; reason: string | null; sweepDir: string } {
  const sweepDir = join(out, 'sweeps', commit.slice(0, 12));
  const args = existsSync(join(sweepDir, 'sweep.json')) ? ['--resume', sweepDir] : [...argv, '--out', sweepDir];
  log(`${commit.slice(0, 12)}: k2lab bench ${args.join(' ')}`);
  const r = run(process.execPath, [join(dir, 'bin', 'k2lab.js'), 'bench', ...args], dir, 48 * 3600_000);
  // Status 1: the sweep ended with some failed runs, recorded in its folder; the rest is measured.
  const ok = (r.status === 0 || r.status === 1) && existsSync(join(sweepDir, 'runs.csv'));
  return { ok, reason: ok ? null : `k2lab bench: ${lastLine(r)}`, sweepDir };
}

export function runHistory(o: HistoryOptions): CommitResult[] {
  const repo = resolve(o.repo ?? repoRoot);
  const log = o.log ?? ((l: string) => process.stderr.write(`k2lab history: ${l}\n`));
  if (o.bench.resume || o.bench.shard || o.bench.out) throw new InputError('history: --resume, --shard and --out of bench do not apply (history writes one sweep per commit under its own --out)');
  const commits = rangeCommits(repo, o.range);
  const argv = benchArgv(o.bench);
  const cacheDir = resolve(o.cacheDir);
  const out = resolve(o.out);
  log(`${commits.length} commit(s) of ${o.range}; checkouts cached in ${cacheDir}; results in ${out}`);
  return commits.map((c) => {
    const { dir, stamp } = prepareCommit(repo, c.commit, cacheDir, log);
    if (stamp.status !== 'built') {
      log(`${c.commit.slice(0, 12)}: ${stamp.status}: ${stamp.reason}`);
      return { ...c, status: stamp.status, reason: stamp.reason, sweepDir: null };
    }
    const s = sweepCommit(dir, c.commit, argv, out, log);
    if (!s.ok) log(`${c.commit.slice(0, 12)}: sweep failed: ${s.reason}`);
    return { ...c, status: s.ok ? 'ok' : 'sweep failed', reason: s.reason, sweepDir: s.ok ? s.sweepDir : null };
  });
}
