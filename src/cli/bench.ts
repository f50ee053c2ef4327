/**
 * `k2lab bench`: the benchmark runner (DESIGN.md §7). Each (benchmark, variant set, runtime
 * profile, repetition) is its own `k2lab optimize` process; results, speed-ups with CIs, charts and
 * report.html go to results/<run-id>/. Resumable (`--resume DIR`) and shardable (`--shard I/N`).
 */
import { relative } from 'node:path';

const displayPath = (p: string): string => { const r = relative(process.cwd(), p); return r === '' ? '.' : r.startsWith('..') ? p : r; };
import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_REPS, DEFAULT_TIME_LIMIT_S, FAST_ITERATIONS_SCALE } from '../bench/plan.js';
import type { BenchOptions } from '../bench/sweep.js';

/** The flags that define a sweep's plan and its noise control (shared with `k2lab history`). */
export interface PlanArgs {
  suite?: string; bench?: string[]; variants?: string[]; 'runtime-profile'?: string[]; reps?: number; warmup?: number;
  'iterations-scale'?: number; 'iterations-from'?: string; seed?: number; fast: boolean; jobs?: number;
  'time-limit-per-run'?: number; 'optimize-args'?: string; aa: boolean; pin?: string;
}

interface Args extends PlanArgs { out?: string; resume?: string; shard?: string; 'retry-failed': boolean; 'dry-run': boolean }

export function withPlanFlags<T>(y: Argv<T>) {
  return y
    .option('suite', { type: 'string', describe: 'suite manifest (default: suites/builtin/suite.json, else ../shared/k2-suite/suite.json)' })
    .option('bench', { type: 'string', array: true, describe: 'benchmarks to run (names, space- or comma-separated; default: all, or the fast-mode subset with --fast)' })
    .option('variants', { type: 'string', array: true, describe: 'variant sets, comma-separated, or "all" (default: k2-baseline,optimized)' })
    .option('runtime-profile', { type: 'string', array: true, describe: 'runtime profiles (node flags of the child), comma-separated, or "all" (default: default)' })
    .option('reps', { type: 'number', describe: `measured repetitions per benchmark × variant × profile (default ${DEFAULT_REPS}; 3 with --fast)` })
    .option('warmup', { type: 'number', describe: 'warm-up runs per benchmark × variant × profile, discarded (default 1)' })
    .option('iterations-scale', { type: 'number', describe: `multiply each benchmark's iterations_timing (default 1; ${FAST_ITERATIONS_SCALE} with --fast)` })
    .option('iterations-from', { type: 'string', choices: ['suite', 'k2-native'], describe: "each benchmark's -n: the suite's iterations_timing (default) or K2's -n in ../shared/k2-native.md (same work as K2's measured runs); × --iterations-scale" })
    .option('seed', { type: 'number', describe: 'seed of every run (default 1): the same seed gives every variant the same trajectory' })
    .option('fast', { type: 'boolean', default: false, describe: 'the suite\'s fast-mode benchmarks × 3 repetitions, short runs' })
    .option('jobs', { type: 'number', describe: 'runs in parallel (default 1, for timing fidelity)' })
    .option('optimize-args', { type: 'string', describe: 'extra k2lab optimize arguments for every run, one string after "=" (e.g. --optimize-args="--checker tests-only")' })
    .option('aa', { type: 'boolean', default: true, describe: 'run the baseline set twice (k2-baseline and k2-baseline#2, the A/A pair): the report states the noise floor and marks speed-ups within it (--no-aa: leave it out)' })
    .option('pin', { type: 'string', describe: 'pin every run to these CPUs (taskset list, e.g. 1 or 0,2-3); recorded in environment.json' })
    .option('time-limit-per-run', { type: 'number', describe: `kill a run after S seconds and record it as failed (default ${DEFAULT_TIME_LIMIT_S})` });
}

/** PlanArgs → BenchOptions (only the flags given). */
export function planOptionsOf(a: PlanArgs): BenchOptions {
  return {
    fast: a.fast, ...(a.aa === false ? { aa: false } : {}), ...(a.pin !== undefined ? { pin: String(a.pin) } : {}),
    ...(a.suite !== undefined ? { suite: a.suite } : {}), ...(a.bench !== undefined ? { bench: a.bench.map(String) } : {}),
    ...(a.variants !== undefined ? { variants: a.variants.map(String) } : {}),
    ...(a['runtime-profile'] !== undefined ? { runtimeProfiles: a['runtime-profile'].map(String) } : {}),
    ...(a.reps !== undefined ? { reps: a.reps } : {}), ...(a.warmup !== undefined ? { warmup: a.warmup } : {}),
    ...(a['iterations-scale'] !== undefined ? { iterationsScale: a['iterations-scale'] } : {}),
    ...(a['iterations-from'] !== undefined ? { iterationsFrom: a['iterations-from'] as 'suite' | 'k2-native' } : {}), ...(a.seed !== undefined ? { seed: a.seed } : {}),
    ...(a.jobs !== undefined ? { jobs: a.jobs } : {}),
    ...(a['time-limit-per-run'] !== undefined ? { timeLimitPerRun: a['time-limit-per-run'] } : {}),
    ...(a['optimize-args'] !== undefined ? { optimizeArgs: String(a['optimize-args']) } : {}),
  };
}

export const benchCommand: CommandModule<object, Args> = {
  command: 'bench',
  describe: 'benchmark runner: benchmarks × variant sets × runtime profiles × repetitions, one process each → results/<run-id>/',
  builder: (y) => withPlanFlags(y)
    .option('out', { type: 'string', describe: 'result folder (default results/<run-id>)' })
    .option('resume', { type: 'string', describe: 'complete the sweep in DIR: run only what is missing' })
    .option('retry-failed', { type: 'boolean', default: false, describe: 'with --resume: run failed runs again too' })
    .option('shard', { type: 'string', describe: 'run slice I of N (whole benchmarks, deterministic); combine with k2lab merge' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'print the planned runs (run key and -n, one per line, the whole unsharded plan unless --shard) and write nothing' })
    .example('$0 bench --fast', 'quick end-to-end sweep (3 benchmarks × 3 reps, k2-baseline vs optimized)')
    .example('$0 bench --variants all --reps 15', "the study's protocol: every set against k2-baseline")
    .example('$0 bench --resume results/2025-01-01T12-00-00Z', 'finish an interrupted sweep') as never,
  handler: async (a) => {
    const o: BenchOptions = {
      ...planOptionsOf(a), retryFailed: a['retry-failed'],
      ...(a.out !== undefined ? { out: a.out } : {}), ...(a.resume !== undefined ? { resume: a.resume } : {}),
      ...(a.shard !== undefined ? { shard: String(a.shard) } : {}),
    };
    if (a['dry-run']) {
      const { planSweep } = await import('../bench/sweep.js');
      process.stdout.write(planSweep(o).map((r) => `${r.key} ${r.iterations}\n`).join(''));
      return;
    }
    // Loaded here, not at start-up: the chart renderer is heavy and every k2lab process registers this command.
    const { runSweep } = await import('../bench/sweep.js');
    const { studyTable, floorLine } = await import('../bench/result-files.js');
    const r = await runSweep(o);
    const rel = displayPath(r.dir);
    process.stdout.write(`${studyTable(r.outputs.analysis)}${floorLine(r.outputs.analysis)}\nresults: ${rel}/ (report.md, report.html, runs.csv, summary.csv, speedups.csv, charts/, environment.json)\n`);
    if (r.outputs.missing > 0) process.stdout.write(`${r.outputs.missing} planned run(s) not recorded yet: k2lab bench --resume ${rel}\n`);
    if (r.failed > 0) process.stderr.write(`k2lab bench: ${r.failed} run(s) failed; their reasons are in ${rel}/report.md and runs.csv\n`);
    process.exitCode = r.interrupted ? 130 : r.failed > 0 ? 1 : 0;
  },
};
