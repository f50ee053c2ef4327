/**
 * `k2lab profile`: profiles the optimizer (one child process per benchmark × variant set × tool) and
 * writes flamegraphs, top-N function tables and where-the-time-goes tables to profiles/<run-id>/;
 * `k2lab profile --diff A B` compares two profiles (files or profile folders).
 */
import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { InputError } from '../ebpf/errors.js';
import { newRunDir, runDiff, runProfiles } from '../profile/run.js';
import { selectBenchmarks } from '../profile/suite.js';
import { TOOLS, type Tool } from '../profile/tools.js';
import { RUNTIME_PROFILES } from '../../variants/runtime-profiles.js';
import { SETS } from '../../variants/sets.js';

interface Args {
  suite?: string;
  bench: string[];
  variants: string[];
  'runtime-profile': string;
  tool: string[];
  'iterations-scale': number;
  iterations?: number;
  seed: number;
  interval: number;
  top: number;
  out?: string;
  'keep-raw': boolean;
  checker?: string;
  diff?: string[];
}

/** Values of a repeatable flag that may also be comma-separated. */
const listOf = (v: readonly string[]): string[] => v.flatMap((x) => String(x).split(',')).map((x) => x.trim()).filter((x) => x !== '');

export const profileCommand: CommandModule<object, Args> = {
  command: 'profile',
  describe: 'profile the optimizer per benchmark and variant set: flamegraphs, top functions, where the time goes; --diff A B',
  builder: (y) => y
    .option('suite', { type: 'string', describe: 'suite manifest (default: suites/builtin/suite.json, else ../shared/k2-suite/suite.json)' })
    .option('bench', { type: 'string', array: true, default: [], describe: 'benchmark name(s) (default: the suite\'s fast-mode subset)' })
    .option('variants', { type: 'string', array: true, default: ['k2-baseline,optimized'], describe: 'variant sets, comma-separated (see k2lab variants); the first is the diffs\' baseline' })
    .option('runtime-profile', { type: 'string', default: 'default', describe: 'named Node flag set for the profiled processes (see k2lab variants)' })
    .option('tool', { type: 'string', array: true, default: ['cpuprof'], describe: `profilers besides the always-run V8 CPU profile: ${TOOLS.join(', ')}, all` })
    .option('iterations-scale', { type: 'number', default: 0.01, describe: "fraction of each benchmark's iterations_timing to run" })
    .option('iterations', { alias: 'n', type: 'number', describe: 'iterations per run (overrides --iterations-scale)' })
    .option('seed', { type: 'number', default: 1, describe: 'search seed' })
    .option('interval', { type: 'number', default: 500, describe: 'CPU profile sampling interval (µs)' })
    .option('top', { type: 'number', default: 25, describe: 'rows of the top-functions table' })
    .option('out', { type: 'string', describe: 'output folder (default: profiles/<run-id>; with --diff, profiles/<run-id>-diff)' })
    .option('checker', { type: 'string', choices: ['z3', 'tests-only'], describe: "passed to optimize: its equivalence checker (default: optimize's, Z3)" })
    .option('keep-raw', { type: 'boolean', default: false, describe: "keep 0x's and clinic's raw data folders" })
    .option('diff', { type: 'string', array: true, nargs: 2, describe: 'compare two profiles: A B (.cpuprofile files or profile folders)' })
    .example('$0 profile --suite ../shared/k2-suite/suite.json --bench xdp_map_access --variants k2-baseline,optimized', '')
    .example('$0 profile --diff profiles/RUN/xdp_map_access/k2-baseline profiles/RUN/xdp_map_access/optimized', '') as never,
  handler: (a) => {
    const top = a.top;
    if (!Number.isInteger(top) || top < 1) throw new InputError(`--top: expected a positive integer, got ${a.top}`);
    if (a.diff !== undefined) {
      if (a.diff.length !== 2) throw new InputError(`--diff: expected two profiles A B, got ${a.diff.length}`);
      runDiff(a.diff[0]!, a.diff[1]!, resolve(a.out ?? `${newRunDir()}-diff`));
      return;
    }
    const variants = listOf(a.variants);
    for (const v of variants) if (!(v in SETS)) throw new InputError(`--variants: unknown set '${v}' (sets: ${Object.keys(SETS).join(', ')})`);
    if (new Set(variants).size !== variants.length) throw new InputError(`--variants: a set is named twice (${variants.join(', ')})`);
    if (variants.length === 0) throw new InputError('--variants: name at least one set');
    const flags = Object.hasOwn(RUNTIME_PROFILES, a['runtime-profile']) ? RUNTIME_PROFILES[a['runtime-profile']] : undefined;
    if (!flags) throw new InputError(`--runtime-profile: unknown profile '${a['runtime-profile']}' (profiles: ${Object.keys(RUNTIME_PROFILES).join(', ')})`);
    const tools = new Set<Tool>();
    for (const t of listOf(a.tool)) {
      if (t === 'all') TOOLS.forEach((x) => tools.add(x));
      else if ((TOOLS as readonly string[]).includes(t)) tools.add(t as Tool);
      else throw new InputError(`--tool: unknown tool '${t}' (tools: ${TOOLS.join(', ')}, all)`);
    }
    tools.delete('cpuprof'); // always run: the tables come from it
    const scale = a['iterations-scale'];
    if (!(scale > 0)) throw new InputError(`--iterations-scale: expected a number > 0, got ${scale}`);
    if (a.iterations !== undefined && !(Number.isInteger(a.iterations) && a.iterations > 0)) throw new InputError(`--iterations: expected a positive integer, got ${a.iterations}`);
    if (!Number.isInteger(a.seed) || a.seed < 0) throw new InputError(`--seed: expected a non-negative integer, got ${a.seed}`);
    if (!(Number.isInteger(a.interval) && a.interval >= 50)) throw new InputError(`--interval: expected an integer ≥ 50 µs, got ${a.interval}`);
    const benchmarks = selectBenchmarks(a.suite, listOf(a.bench));
    runProfiles({
      benchmarks, variants, runtimeProfile: a['runtime-profile'], nodeFlags: flags, tools: [...tools],
      iterationsScale: scale, iterations: a.iterations, seed: a.seed, intervalUs: a.interval,
      outDir: resolve(a.out ?? newRunDir()), keepRaw: a['keep-raw'], topN: top,
      optimizerArgs: a.checker !== undefined ? ['--checker', a.checker] : [],
      log: (line) => { if (process.stderr.isTTY) process.stderr.write(`${line}\n`); },
    });
  },
};
