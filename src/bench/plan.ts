/**
 * A sweep's plan: the configuration saved as `sweep.json`, one RunSpec per (benchmark, variant set,
 * runtime profile, repetition) in interleaved order (warm-ups first), stable run keys for resume
 * and merge, and the deterministic shard slices (whole benchmarks, balanced by iteration count).
 */
import { createHash } from 'node:crypto';
import { InputError } from '../ebpf/errors.js';

/** `--fast` shrinks iterations to this share of iterations_timing unless --iterations-scale says otherwise. */
export const FAST_ITERATIONS_SCALE = 0.01;
export const DEFAULT_VARIANTS = ['k2-baseline', 'optimized'];
export const DEFAULT_REPS = 15;
export const DEFAULT_TIME_LIMIT_S = 3600;

export interface PlanBenchmark {
  name: string;
  program: string;
  progType?: string;
  section?: string;
  instructions?: number;
  /** iterations_timing × iterations-scale: the `-n` of every run of this benchmark. */
  iterations: number;
}

export interface RuntimeProfile {
  name: string;
  nodeFlags: string[];
}

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

export interface SweepConfig {
  format: 'k2lab-sweep/1';
  runId: string;
  suite: string;
  benchmarks: PlanBenchmark[];
  variantSets: string[];
  runtimeProfiles: RuntimeProfile[];
  reps: number;
  warmup: number;
  iterationsScale: number;
  /** 'k2-native': each benchmark's -n is K2's from k2-native.md (× iterationsScale). */
  iterationsFrom?: 'k2-native';
  seed: number;
  fast: boolean;
  shard: Shard | null;
  timeLimitPerRunS: number;
  createdAt: string;
  gitCommit: string | null;
  /** CPUs every child is pinned to (`--pin`, a taskset list such as `1` or `0,2-3`); noise control, not part of the plan's hash. */
  pin?: string;
  /** Extra `k2lab optimize` arguments of every run (`--optimize-args`), e.g. `--checker tests-only`. */
  optimizeArgs?: string[];
  /** Set by `k2lab merge`: the folders combined into this one. */
  mergedFrom?: string[];
}

export interface RunSpec {
  /** Position in the whole (unsharded) sweep: the order of rows in runs.csv. */
  seq: number;
  key: string;
  benchmark: string;
  variantSet: string;
  runtimeProfile: string;
  nodeFlags: string[];
  /** Repetition index (0-based), counted separately for warm-ups. */
  rep: number;
  warmup: boolean;
  iterations: number;
}

export function runKey(benchmark: string, variantSet: string, profile: string, warmup: boolean, rep: number): string {
  return `${benchmark}/${variantSet}/${profile}/${warmup ? 'w' : 'r'}${rep}`;
}

/** File name for a run key: every character outside [A-Za-z0-9._=+-] escaped as %XX (reversible). */
export function keyFileName(key: string): string {
  return key.replace(/[^A-Za-z0-9._=+-]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`) + '.json';
}

/**
 * Every run of the sweep, unsharded. Warm-ups come first (one round per warm-up), then the measured
 * repetitions; within a round each benchmark runs every (variant set × profile) combination back to
 * back, rotated by one position per round so that no combination always runs first.
 */
export function fullPlan(c: Pick<SweepConfig, 'benchmarks' | 'variantSets' | 'runtimeProfiles' | 'reps' | 'warmup'>): RunSpec[] {
  const combos = c.variantSets.flatMap((v) => c.runtimeProfiles.map((p) => ({ v, p })));
  const out: RunSpec[] = [];
  const round = (warmup: boolean, rep: number, rotation: number): void => {
    for (const b of c.benchmarks) {
      for (let i = 0; i < combos.length; i++) {
        const { v, p } = combos[(i + rotation) % combos.length]!;
        out.push({
          seq: out.length, key: runKey(b.name, v, p.name, warmup, rep), benchmark: b.name, variantSet: v,
          runtimeProfile: p.name, nodeFlags: [...p.nodeFlags], rep, warmup, iterations: b.iterations,
        });
      }
    }
  };
  for (let w = 0; w < c.warmup; w++) round(true, w, w);
  for (let r = 0; r < c.reps; r++) round(false, r, r);
  return out;
}

/** Flags the runner sets on every child itself; `--optimize-args` may not repeat them. */
export const RUNNER_FLAGS = ['-n', '--n', '--seed', '--variants', '--variant', '--json', '--bench', '--params-from', '--quiet', '--runtime-profile', '--prog-type', '--section', '--time-limit'];

/** `--optimize-args "--checker tests-only"` → ['--checker', 'tests-only'], refusing the runner's own flags. */
export function parseOptimizeArgs(text: string): string[] {
  const args = text.split(/\s+/).filter(Boolean);
  if (args.length === 0) throw new InputError(`--optimize-args: no arguments (write them after '=', e.g. --optimize-args="--checker tests-only")`);
  for (const a of args) {
    const flag = a.split('=')[0]!;
    if (RUNNER_FLAGS.includes(flag)) throw new InputError(`--optimize-args: ${flag} is set by the runner for every run (see k2lab bench --help)`);
  }
  return args;
}

/** `--pin 1` or `--pin 0,2-3`: a CPU list of this machine (taskset's syntax). */
export function parsePin(text: string, cpuCount: number): string {
  const t = text.trim();
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(t)) throw new InputError(`--pin: expected a CPU list such as 1 or 0,2-3, got '${text}'`);
  for (const part of t.split(',')) {
    const [lo, hi] = part.split('-').map(Number) as [number, number | undefined];
    if ((hi !== undefined && hi < lo) || Math.max(lo, hi ?? lo) >= cpuCount) throw new InputError(`--pin: CPU ${part} is not on this machine (CPUs 0-${cpuCount - 1})`);
  }
  return t;
}

/** `I/N` with 1 ≤ I ≤ N. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index >= 1 && index <= count)) throw new InputError(`--shard: expected I/N with 1 ≤ I ≤ N (e.g. 1/4), got '${text}'`);
  return { index, count };
}

/**
 * Benchmarks of each shard: whole benchmarks, so that every comparison runs on one machine;
 * assigned greedily (largest iteration count first, to the least-loaded shard, ties to the lower
 * index), which is deterministic for a given plan.
 */
export function shardBenchmarks(benchmarks: readonly PlanBenchmark[], count: number): string[][] {
  if (count > benchmarks.length) throw new InputError(`--shard: ${count} shards but only ${benchmarks.length} benchmark(s); shards hold whole benchmarks`);
  const order = [...benchmarks].sort((a, b) => b.iterations - a.iterations || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const load = new Array<number>(count).fill(0);
  const out: string[][] = Array.from({ length: count }, () => []);
  for (const b of order) {
    let best = 0;
    for (let s = 1; s < count; s++) if (load[s]! < load[best]!) best = s;
    load[best]! += b.iterations;
    out[best]!.push(b.name);
  }
  return out;
}

/** The runs this sweep folder is responsible for (all of them, or its shard's). */
export function planFor(c: SweepConfig): RunSpec[] {
  const all = fullPlan(c);
  if (!c.shard) return all;
  const mine = new Set(shardBenchmarks(c.benchmarks, c.shard.count)[c.shard.index - 1]);
  return all.filter((r) => mine.has(r.benchmark));
}

/** Identifies the work a sweep measures (not where or when): shards merge only when it matches. */
export function planHash(c: Pick<SweepConfig, 'benchmarks' | 'variantSets' | 'runtimeProfiles' | 'reps' | 'warmup' | 'seed' | 'optimizeArgs'>): string {
  const what = {
    benchmarks: c.benchmarks.map((b) => [b.name, b.iterations]),
    variantSets: c.variantSets, runtimeProfiles: c.runtimeProfiles.map((p) => [p.name, p.nodeFlags]),
    reps: c.reps, warmup: c.warmup, seed: c.seed, ...(c.optimizeArgs?.length ? { optimizeArgs: c.optimizeArgs } : {}),
  };
  return createHash('sha256').update(JSON.stringify(what)).digest('hex').slice(0, 16);
}

export function validateConfig(c: unknown, file: string): SweepConfig {
  const o = c as Partial<SweepConfig> | null;
  if (!o || o.format !== 'k2lab-sweep/1' || !Array.isArray(o.benchmarks) || !Array.isArray(o.variantSets) || !Array.isArray(o.runtimeProfiles)
    || typeof o.reps !== 'number' || typeof o.warmup !== 'number' || typeof o.seed !== 'number') {
    throw new InputError(`${file}: not a k2lab sweep configuration (format k2lab-sweep/1)`);
  }
  return o as SweepConfig;
}
