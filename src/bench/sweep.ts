/**
 * `k2lab bench`: turns flags into a sweep plan (or reloads one with `--resume`), runs the runs
 * still missing as child processes (`--jobs` at a time), records each as soon as it ends, and
 * writes every output file at the end. SIGINT/SIGTERM stop cleanly; a kill leaves a resumable folder.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, resolve } from 'node:path';
import { chooseBaseline } from './analyze.js';
import { aaVariantOf, baseVariantSet, isAaCopy } from './noise.js';
import { nativeReference } from './native.js';
import { InputError } from '../ebpf/errors.js';
import { repoRoot } from '../common/paths.js';
import { gitCommit } from '../common/git.js';
import { finishSession, recordSession, startSession } from './environment.js';
import { writeOutputs, type Outputs } from './result-files.js';
import { DEFAULT_REPS, DEFAULT_TIME_LIMIT_S, DEFAULT_VARIANTS, FAST_ITERATIONS_SCALE, parseOptimizeArgs, parsePin, parseShard, planFor, shardBenchmarks, type PlanBenchmark, type RunSpec, type SweepConfig } from './plan.js';
import { Progress } from './progress.js';
import { CLI_PATH, startRun } from './runner.js';
import { readConfig, readRecords, writeConfig, writeRecord, writeRunsCsv, type RunRecord } from './store.js';
import { defaultSuitePath, loadSuite, scaledIterations, selectBenchmarks } from './suite.js';


export interface BenchOptions {
  suite?: string;
  bench?: string[];
  variants?: string[];
  runtimeProfiles?: string[];
  reps?: number;
  warmup?: number;
  iterationsScale?: number;
  /** Where -n comes from: the suite's iterations_timing, or K2's measured -n (k2-native.md). */
  iterationsFrom?: 'suite' | 'k2-native';
  seed?: number;
  fast?: boolean;
  out?: string;
  resume?: string;
  shard?: string;
  jobs?: number;
  timeLimitPerRun?: number;
  retryFailed?: boolean;
  optimizeArgs?: string;
  /** Run the baseline set twice (the A/A pair, default true). */
  aa?: boolean;
  /** CPU list every child is pinned to (taskset). */
  pin?: string;
}

export interface Catalog {
  sets: string[];
  runtimeProfiles: Record<string, string[]>;
}

/** Variant sets and runtime profiles as `k2lab variants --json` lists them (the CLI is the contract). */
export function readCatalog(): Catalog {
  const r = spawnSync(process.execPath, [CLI_PATH, 'variants', '--json'], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new InputError(`cannot list variant sets (k2lab variants --json: ${r.error?.message ?? r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`})`);
  const o = JSON.parse(r.stdout) as { sets?: Record<string, unknown>; runtimeProfiles?: Record<string, string[]> };
  const profiles: Record<string, string[]> = { default: [], ...(o.runtimeProfiles ?? {}) };
  return { sets: Object.keys(o.sets ?? {}), runtimeProfiles: profiles };
}

function positiveInt(flag: string, v: number | undefined, min = 1): void {
  if (v !== undefined && (!Number.isInteger(v) || v < min)) throw new InputError(`--${flag}: expected ${min === 0 ? 'a non-negative' : 'a positive'} integer, got ${v}`);
}

function splitList(values: string[] | undefined): string[] | undefined {
  if (!values) return undefined;
  const out = values.flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
  return out.length ? [...new Set(out)] : undefined;
}

function runIdNow(shard: string | undefined): string {
  const d = new Date().toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  return shard ? `${d}-shard${shard.replace('/', 'of')}` : d;
}

export function newSweep(o: BenchOptions, catalog: Catalog): { dir: string; config: SweepConfig; note?: string } {
  positiveInt('reps', o.reps);
  positiveInt('warmup', o.warmup, 0);
  positiveInt('jobs', o.jobs);
  positiveInt('seed', o.seed, 0);
  if (o.iterationsScale !== undefined && !(o.iterationsScale > 0 && o.iterationsScale <= 1000)) throw new InputError(`--iterations-scale: expected a number > 0, got ${o.iterationsScale}`);
  if (o.timeLimitPerRun !== undefined && !(o.timeLimitPerRun > 0)) throw new InputError(`--time-limit-per-run: expected seconds > 0, got ${o.timeLimitPerRun}`);
  const shard = o.shard !== undefined ? parseShard(o.shard) : null;
  const optimizeArgs = o.optimizeArgs !== undefined ? parseOptimizeArgs(o.optimizeArgs) : [];
  const variantSets = splitList(o.variants) ?? DEFAULT_VARIANTS;
  const sets = withAaPair(variantSets.includes('all') ? catalog.sets : variantSets, o.aa !== false);
  for (const s of sets) if (!catalog.sets.includes(baseVariantSet(s))) throw new InputError(`--variants: unknown set '${s}' (sets: ${catalog.sets.join(', ')}, or all)`);
  const pin = o.pin !== undefined ? checkPin(o.pin) : undefined;
  const profNames = splitList(o.runtimeProfiles) ?? ['default'];
  const profiles = (profNames.includes('all') ? Object.keys(catalog.runtimeProfiles) : profNames).map((name) => {
    const flags = catalog.runtimeProfiles[name];
    if (!flags) throw new InputError(`--runtime-profile: unknown profile '${name}' (profiles: ${Object.keys(catalog.runtimeProfiles).join(', ')}, or all)`);
    return { name, nodeFlags: flags };
  });
  const suiteFile = o.suite ?? defaultSuitePath();
  const suite = loadSuite(suiteFile);
  const sel = selectBenchmarks(suite, splitList(o.bench), o.fast === true);
  const scale = o.iterationsScale ?? (o.fast ? FAST_ITERATIONS_SCALE : 1);
  const native = o.iterationsFrom === 'k2-native' ? nativeReference(suiteFile, sel.benchmarks) : undefined;
  if (native === null) throw new InputError(`--iterations-from k2-native: no k2-native.md with rows for these benchmarks (looked beside ${suiteFile} and in ../shared)`);
  const benchmarks: PlanBenchmark[] = sel.benchmarks.map((b) => {
    let iterations = scaledIterations(b, scale);
    if (native) {
      const n = native.rows.find((r) => r.benchmark === b.name)?.iterations;
      if (!n) throw new InputError(`--iterations-from k2-native: ${native.file} has no -n for '${b.name}'`);
      iterations = Math.max(1, Math.round(n * scale));
    }
    const p: PlanBenchmark = { name: b.name, program: b.program, iterations };
    if (b.progType) p.progType = b.progType;
    if (b.section) p.section = b.section;
    if (b.instructions !== undefined) p.instructions = b.instructions;
    return p;
  });
  if (shard) shardBenchmarks(benchmarks, shard.count);
  const runId = o.out ? basename(resolve(o.out)) : runIdNow(o.shard);
  const dir = resolve(o.out ?? resolve(repoRoot, 'results', runId));
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new InputError(existsSync(resolve(dir, 'sweep.json'))
      ? `--out: ${dir} already holds a sweep (complete it with --resume ${o.out ?? dir}, or choose another --out)`
      : `--out: ${dir} exists and is not empty`);
  }
  const config: SweepConfig = {
    format: 'k2lab-sweep/1', runId, suite: suite.file, benchmarks, variantSets: sets, runtimeProfiles: profiles,
    reps: o.reps ?? (o.fast ? 3 : DEFAULT_REPS), warmup: o.warmup ?? 1, iterationsScale: scale, ...(native ? { iterationsFrom: 'k2-native' as const } : {}), seed: o.seed ?? 1, fast: o.fast === true,
    shard, timeLimitPerRunS: o.timeLimitPerRun ?? DEFAULT_TIME_LIMIT_S, createdAt: new Date().toISOString(), gitCommit: gitCommit(),
    ...(optimizeArgs.length ? { optimizeArgs } : {}), ...(pin ? { pin } : {}),
  };
  return { dir, config, ...(sel.note ? { note: sel.note } : {}) };
}

/** The sets with the baseline's A/A copy right after the baseline (unless asked not to, or already listed). */
export function withAaPair(sets: readonly string[], aa: boolean): string[] {
  const base = chooseBaseline({ benchmarks: [], variantSets: sets.filter((s) => !isAaCopy(s)), runtimeProfiles: [] }).variantSet;
  const copy = aaVariantOf(base);
  if (!aa || sets.includes(copy) || !sets.includes(base)) return [...sets];
  const out = [...sets];
  out.splice(out.indexOf(base) + 1, 0, copy);
  return out;
}

/** A valid CPU list, and taskset to apply it. */
function checkPin(text: string): string {
  const pin = parsePin(text, cpus().length);
  const t = spawnSync('taskset', ['--version'], { stdio: 'ignore' });
  if (t.error || t.status !== 0) throw new InputError(`--pin: taskset not found (Debian package util-linux): cannot pin the runs`);
  return pin;
}

const PLAN_FLAGS: [keyof BenchOptions, string][] = [['suite', '--suite'], ['bench', '--bench'], ['variants', '--variants'], ['runtimeProfiles', '--runtime-profile'],
  ['reps', '--reps'], ['warmup', '--warmup'], ['iterationsScale', '--iterations-scale'], ['iterationsFrom', '--iterations-from'], ['seed', '--seed'], ['out', '--out'], ['shard', '--shard'], ['optimizeArgs', '--optimize-args']];

export function resumeSweep(o: BenchOptions): { dir: string; config: SweepConfig; note?: string } {
  const dir = resolve(o.resume!);
  for (const [k, flag] of PLAN_FLAGS) {
    if (o[k] !== undefined) throw new InputError(`--resume takes the plan from ${o.resume}/sweep.json: drop ${flag}`);
  }
  if (o.fast) throw new InputError(`--resume takes the plan from ${o.resume}/sweep.json: drop --fast`);
  positiveInt('jobs', o.jobs);
  if (o.timeLimitPerRun !== undefined && !(o.timeLimitPerRun > 0)) throw new InputError(`--time-limit-per-run: expected seconds > 0, got ${o.timeLimitPerRun}`);
  const config = readConfig(dir);
  if (o.timeLimitPerRun !== undefined) config.timeLimitPerRunS = o.timeLimitPerRun;
  if (o.pin !== undefined) config.pin = checkPin(o.pin);
  if (o.aa === false) throw new InputError(`--resume takes the plan from ${o.resume}/sweep.json: drop --no-aa`);
  for (const b of config.benchmarks) {
    if (!existsSync(b.program)) throw new InputError(`${dir}/sweep.json: program of '${b.name}' not found at ${b.program}`);
  }
  const now = gitCommit();
  const note = config.gitCommit && now && now !== config.gitCommit
    ? `warning: resuming a sweep started at commit ${config.gitCommit.slice(0, 12)} with commit ${now.slice(0, 12)}: the runs may not measure the same code` : undefined;
  return { dir, config, ...(note ? { note } : {}) };
}

/** The runs a sweep with these options would do (`bench --dry-run`), without creating its folder. */
export function planSweep(o: BenchOptions): RunSpec[] {
  if (o.resume !== undefined) return planFor(resumeSweep(o).config);
  const { out: _ignored, ...rest } = o;
  return planFor(newSweep(rest, readCatalog()).config);
}

export interface SweepResult {
  dir: string;
  outputs: Outputs;
  attempted: number;
  failed: number;
  interrupted: boolean;
}

export async function runSweep(o: BenchOptions): Promise<SweepResult> {
  const fresh = o.resume === undefined;
  const { dir, config, note } = fresh ? newSweep(o, readCatalog()) : resumeSweep(o);
  if (note) process.stderr.write(`k2lab bench: ${note}\n`);
  if (fresh) writeConfig(dir, config);
  const records = readRecords(dir);
  const plan = planFor(config);
  const pending: RunSpec[] = plan.filter((s) => { const r = records.get(s.key); return !r || (o.retryFailed === true && r.status === 'failed'); });
  const byName = new Map(config.benchmarks.map((b) => [b.name, b]));
  const session = startSession(config);
  recordSession(dir, config, session);
  const jobs = o.jobs ?? 1;
  const progress = new Progress([...pending], plan.length, plan.length - pending.length, jobs);
  if (!fresh || pending.length < plan.length) process.stderr.write(`k2lab bench: ${dir}: ${plan.length - pending.length} of ${plan.length} runs recorded, ${pending.length} to run\n`);

  let stopping = false;
  const running = new Set<import('node:child_process').ChildProcess>();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\nk2lab bench: ${sig}: stopping; finished runs are kept (complete with --resume ${dir})\n`);
    for (const c of running) c.kill('SIGTERM');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let attempted = 0;
  let failed = 0;
  const queue = [...pending];
  const worker = async (): Promise<void> => {
    for (let spec = queue.shift(); spec && !stopping; spec = queue.shift()) {
      progress.started(spec);
      const h = startRun(spec, byName.get(spec.benchmark)!, config);
      running.add(h.child);
      const rec: RunRecord = await h.done;
      running.delete(h.child);
      if (stopping && rec.status !== 'ok') break;
      attempted++;
      if (rec.status !== 'ok') failed++;
      writeRecord(dir, rec);
      records.set(rec.key, rec);
      writeRunsCsv(dir, records.values());
      progress.done(rec);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(jobs, Math.max(1, queue.length)) }, worker));
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  recordSession(dir, config, finishSession(session, attempted));
  const outputs = await writeOutputs(dir, config, records);
  return { dir, outputs, attempted, failed: outputs.records.filter((r) => r.status === 'failed').length, interrupted: stopping };
}
