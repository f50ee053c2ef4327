/**
 * One measured run = one child process: `node [profile flags] bin/k2lab.js optimize PROG
 * --params-from SUITE --bench NAME -n N --seed S --variants SET --json=-`, killed after the per-run
 * time limit. Crashes, signals, time-outs and bad JSON become failed records with their reason.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../common/paths.js';
import { baseVariantSet } from './noise.js';
import type { PlanBenchmark, RunSpec, SweepConfig } from './plan.js';
import { newRecord, type ChildReport, type RunRecord } from './store.js';

export const CLI_PATH = join(repoRoot, 'bin', 'k2lab.js');

export function childArgs(spec: RunSpec, b: PlanBenchmark, c: SweepConfig): string[] {
  const args = [...spec.nodeFlags, CLI_PATH, 'optimize', b.program, '--params-from', c.suite, '--bench', b.name,
    '-n', String(spec.iterations), '--seed', String(c.seed), '--variants', baseVariantSet(spec.variantSet), '--json=-', '--quiet', ...(c.optimizeArgs ?? [])];
  if (b.progType) args.push('--prog-type', b.progType);
  if (b.section) args.push('--section', b.section);
  return args;
}

const TAIL = 4000;

/** The line of stderr that says what went wrong: k2lab's one-line error, else the last JavaScript error, else the last line. */
export function errorLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !/^Node\.js v\d/.test(l));
  const pick = [...lines].reverse().find((l) => l.startsWith('k2lab:')) ?? [...lines].reverse().find((l) => /^[A-Za-z]*Error\b|^\w+Error:/.test(l)) ?? lines[lines.length - 1] ?? '';
  return pick.length > 300 ? `${pick.slice(0, 300)}…` : pick;
}

/** Checks the fields the analysis needs; returns a reason when the report is unusable. */
export function checkReport(r: unknown, spec: RunSpec): string | null {
  if (typeof r !== 'object' || r === null) return 'RunReport is not a JSON object';
  const o = r as Record<string, unknown>;
  const cps = o.candidatesPerSecond;
  if (typeof cps !== 'number' || !Number.isFinite(cps) || cps <= 0) return `RunReport has no positive candidatesPerSecond (got ${JSON.stringify(cps)})`;
  if (typeof o.wallMs !== 'number') return 'RunReport has no wallMs';
  if (typeof o.trajectoryDigest !== 'string') return 'RunReport has no trajectoryDigest';
  if (o.iterations !== spec.iterations) return `RunReport says ${JSON.stringify(o.iterations)} iterations, expected ${spec.iterations}`;
  return null;
}

/** The child's command: node itself, or node under `taskset -c CPUS` when the sweep pins its runs. */
export function childCommand(spec: RunSpec, b: PlanBenchmark, c: SweepConfig): { file: string; args: string[] } {
  const args = childArgs(spec, b, c);
  return c.pin ? { file: 'taskset', args: ['-c', c.pin, process.execPath, ...args] } : { file: process.execPath, args };
}

export interface RunHandle {
  done: Promise<RunRecord>;
  child: ChildProcess;
}

export function startRun(spec: RunSpec, b: PlanBenchmark, c: SweepConfig): RunHandle {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const cmd = childCommand(spec, b, c);
  const child = spawn(cmd.file, cmd.args, {
    cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'],
    env: { K2LAB_RULES: 'none', ...process.env, K2LAB_RUNTIME_PROFILE: spec.runtimeProfile },
  });
  const out: Buffer[] = [];
  let err = '';
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d: Buffer) => { err = (err + d.toString('utf8')).slice(-TAIL); });
  let timedOut = false;
  const limitMs = c.timeLimitPerRunS * 1000;
  const timer = limitMs > 0 ? setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, limitMs) : null;
  const done = new Promise<RunRecord>((resolve) => {
    let spawnError: Error | null = null;
    child.on('error', (e) => { spawnError = e; });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const processMs = Math.round((performance.now() - t0) * 10) / 10;
      const fail = (reason: string): RunRecord => newRecord(spec, c, { status: 'failed', reason, startedAt, processMs, report: null, stderrTail: err });
      if (spawnError) return resolve(fail(`cannot start: ${spawnError.message}`));
      if (timedOut) return resolve(fail(`timeout: killed after ${c.timeLimitPerRunS} s (--time-limit-per-run)`));
      if (signal) return resolve(fail(`killed by ${signal}${errorLine(err) ? `: ${errorLine(err)}` : ''}`));
      if (code !== 0) return resolve(fail(`exit status ${code}${errorLine(err) ? `: ${errorLine(err)}` : ''}`));
      const text = Buffer.concat(out).toString('utf8');
      let report: unknown;
      try {
        report = JSON.parse(text);
      } catch (e) {
        return resolve(fail(`bad RunReport JSON on stdout (${(e as Error).message}; ${text.length} bytes)`));
      }
      const bad = checkReport(report, spec);
      if (bad) return resolve(fail(bad));
      resolve(newRecord(spec, c, { status: 'ok', reason: null, startedAt, processMs, report: report as ChildReport }));
    });
  });
  return { done, child };
}
