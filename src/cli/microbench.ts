/**
 * `k2lab microbench <target>`: tinybench micro-benchmarks of hot paths. `interp` measures
 * interpreted instructions per second on each program over N seeded random inputs; an axis measures
 * each implementation in its own child process (`--in-process`: all in this one).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { CommandModule } from 'yargs';
import { benchAxis, withRatios, type AxisBenchRow } from '../bench/microbench-axes.js';
import { IMPLEMENTATIONS } from '../../variants/sets.js';
import { benchInterpreter } from '../bench/microbench-interp.js';
import { AXES, type Axis } from '../search/variants.js';
import { InputError } from '../ebpf/errors.js';
import { loadProgram } from '../ebpf/load.js';
import { builtinSuitePrograms, exampleObjects, k2SuitePrograms } from '../common/paths.js';

interface Args { target?: string; axis?: string[]; impl?: string[]; 'in-process': boolean; programs?: string[]; inputs: number; seed: number; time: number; json: boolean }


export const microbenchCommand: CommandModule<object, Args> = {
  command: 'microbench [target]',
  describe: 'tinybench micro-benchmarks of hot paths: interp (instructions/s per program) or each implementation of a variant axis',
  builder: (y) => y
    .positional('target', { type: 'string', choices: ['interp', ...AXES], describe: 'interp, or one axis (default: every axis)' })
    .option('axis', { type: 'string', array: true, choices: [...AXES], describe: 'axes to measure (default: all)' })
    .option('impl', { type: 'string', array: true, describe: 'only these implementations of the axis' })
    .option('in-process', { type: 'boolean', default: false, describe: 'measure every implementation in this process (shared call sites turn polymorphic: biased)' })
    .option('programs', { type: 'string', array: true, describe: 'programs to run (default: the built-in suite in suites/builtin, else the K2 suite in ../shared/k2-suite, else the example objects in test/elf)' })
    .option('inputs', { type: 'number', default: 30, describe: 'seeded random inputs per program' })
    .option('seed', { type: 'number', default: 1 })
    .option('time', { type: 'number', default: 1000, describe: 'milliseconds per program' })
    .option('json', { type: 'boolean', default: false })
    .example('$0 microbench interp', '').example('$0 microbench --axis safety-state', '') as never,
  handler: async (a) => {
    for (const [k, v] of [['inputs', a.inputs], ['time', a.time]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new InputError(`--${k}: expected a positive integer, got ${v}`);
    }
    const paths = a.programs ?? suitePrograms();
    const programs = paths.map((p) => loadProgram(p));
    if (a.target !== 'interp') {
      const axes = a.target ? [a.target as Axis] : a.axis && a.axis.length > 0 ? (a.axis as Axis[]) : [...AXES];
      const all: AxisBenchRow[] = [];
      for (const axis of axes) {
        if (a['in-process']) { all.push(...await benchAxis(axis, programs, a.time, a.impl)); continue; }
        for (const impl of Object.keys(IMPLEMENTATIONS[axis]).filter((i) => !a.impl || a.impl.includes(i))) all.push(...isolated(axis, impl, paths, a.time));
      }
      withRatios(all);
      if (a.json) { process.stdout.write(JSON.stringify(all, null, 2) + '\n'); return; }
      process.stdout.write(`${'axis'.padEnd(14)} ${'implementation'.padEnd(16)} ${'ops/s'.padStart(10)} ${'±%'.padStart(6)} ${'vs baseline'.padStart(12)}\n`);
      for (const r of all) process.stdout.write(`${r.axis.padEnd(14)} ${(r.impl + (r.baseline ? ' *' : '')).padEnd(16)} ${fmtNum(r.opsPerSecond, 0).padStart(10)} ${r.rmePercent.toFixed(2).padStart(6)} ${(fmtNum(r.ratio, 2) + '×').padStart(12)}\n`);
      process.stdout.write(`(* baseline; one op = the axis' hot path over ${programs.length} programs)\n`);
      return;
    }
    const rows = await benchInterpreter(programs, { inputs: a.inputs, seed: a.seed, timeMs: a.time });
    if (a.json) { process.stdout.write(JSON.stringify(rows, null, 2) + '\n'); return; }
    const fmt = (x: number): string => (x / 1e6).toFixed(1);
    process.stdout.write(`${'program'.padEnd(22)} ${'insns/iter'.padStart(10)} ${'iter/s'.padStart(10)} ${'±%'.padStart(6)} ${'M insns/s'.padStart(10)}\n`);
    for (const r of rows) {
      process.stdout.write(`${r.program.padEnd(22)} ${String(r.insnsPerIteration).padStart(10)} ${r.opsPerSecond.toFixed(0).padStart(10)} ${r.rmePercent.toFixed(2).padStart(6)} ${fmt(r.insnsPerSecond).padStart(10)}\n`);
    }
    const total = rows.reduce((s, r) => s + r.insnsPerSecond, 0) / rows.length;
    process.stdout.write(`mean: ${fmt(total)} M interpreted instructions/s over ${rows.length} programs × ${a.inputs} inputs\n`);
  },
};

/** Fixed decimals, or three significant digits for small values (slow Z3 queries, tiny ratios). */
function fmtNum(x: number, digits: number): string {
  return x !== 0 && Math.abs(x) < 10 ** -digits * 100 ? x.toPrecision(3) : x.toFixed(digits);
}

/** One implementation measured in a child process of its own (so its call sites stay monomorphic). */
function isolated(axis: Axis, impl: string, programs: readonly string[], timeMs: number): AxisBenchRow[] {
  const args = [...process.execArgv, process.argv[1]!, 'microbench', '--axis', axis, '--impl', impl, '--in-process', '--json', '--time', String(timeMs), '--programs', ...programs];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`microbench ${axis}=${impl} (child process) failed with status ${r.status}`);
  return JSON.parse(r.stdout) as AxisBenchRow[];
}

function suitePrograms(): string[] {
  for (const dir of [builtinSuitePrograms, k2SuitePrograms]) {
    if (existsSync(dir)) return readdirSync(dir).filter((f) => f.endsWith('.insns')).sort().map((f) => join(dir, f.slice(0, -'.insns'.length)));
  }
  process.stderr.write(`k2lab: neither ${relative(process.cwd(), builtinSuitePrograms)} nor ${relative(process.cwd(), k2SuitePrograms)} found; using the example programs in test/elf\n`);
  return [...exampleObjects];
}
