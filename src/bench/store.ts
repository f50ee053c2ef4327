/**
 * A sweep's result folder on disk: `sweep.json` (the plan), `runs/<key>.json` (one record per run
 * with the child's whole RunReport, or the reason it failed) and `runs.csv` rebuilt from them. Every
 * write is atomic (temporary file + rename), so a killed sweep leaves only complete files.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { InputError } from '../ebpf/errors.js';
import { writeFileAtomic } from '../common/atomic-write.js';
import { keyFileName, validateConfig, type RunSpec, type SweepConfig } from './plan.js';

/** The fields of a RunReport (DESIGN.md §6) the runner reads; the rest is kept as it came. */
export interface ChildReport {
  candidatesPerSecond: number;
  wallMs: number;
  iterations: number;
  trajectoryDigest: string;
  [key: string]: unknown;
}

export interface RunRecord extends RunSpec {
  status: 'ok' | 'failed';
  /** Why a run failed (crash, signal, timeout, bad JSON); null when it succeeded. */
  reason: string | null;
  seed: number;
  startedAt: string;
  /** Wall time of the whole child process as the runner saw it (start-up included). */
  processMs: number;
  host: string;
  shard: string | null;
  report: ChildReport | null;
  /** The end of the child's stderr, for failed runs. */
  stderrTail?: string;
}


export function writeAtomic(path: string, data: string | Uint8Array): void {
  writeFileAtomic(path, data, { mkdir: true });
}

export const SWEEP_FILE = 'sweep.json';
export const RUNS_DIR = 'runs';

export function writeConfig(dir: string, c: SweepConfig): void {
  writeAtomic(join(dir, SWEEP_FILE), JSON.stringify(c, null, 2) + '\n');
}

export function readConfig(dir: string): SweepConfig {
  const file = join(dir, SWEEP_FILE);
  if (!existsSync(file)) throw new InputError(`${dir}: not a k2lab result folder (no ${SWEEP_FILE})`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InputError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return validateConfig(data, file);
}

export function recordPath(dir: string, key: string): string {
  return join(dir, RUNS_DIR, keyFileName(key));
}

export function writeRecord(dir: string, r: RunRecord): void {
  writeAtomic(recordPath(dir, r.key), JSON.stringify(r, null, 2) + '\n');
}

/** Every complete record in the folder, by key; temporary files of an interrupted write are removed. */
export function readRecords(dir: string): Map<string, RunRecord> {
  const out = new Map<string, RunRecord>();
  const runs = join(dir, RUNS_DIR);
  if (!existsSync(runs)) return out;
  for (const f of readdirSync(runs).sort()) {
    const p = join(runs, f);
    if (/\.tmp-\d+-\d+$/.test(f)) { rmSync(p, { force: true }); continue; }
    if (!f.endsWith('.json')) continue;
    let r: RunRecord;
    try {
      r = JSON.parse(readFileSync(p, 'utf8')) as RunRecord;
    } catch (e) {
      throw new InputError(`${p}: not valid JSON (${(e as Error).message})`);
    }
    if (typeof r.key !== 'string' || (r.status !== 'ok' && r.status !== 'failed')) throw new InputError(`${p}: not a run record`);
    out.set(r.key, r);
  }
  return out;
}

export function newRecord(spec: RunSpec, c: SweepConfig, fields: Pick<RunRecord, 'status' | 'reason' | 'startedAt' | 'processMs' | 'report'> & { stderrTail?: string }): RunRecord {
  const r: RunRecord = {
    ...spec, seed: c.seed, host: hostname(), shard: c.shard ? `${c.shard.index}/${c.shard.count}` : null,
    status: fields.status, reason: fields.reason, startedAt: fields.startedAt, processMs: fields.processMs, report: fields.report,
  };
  if (fields.stderrTail) r.stderrTail = fields.stderrTail;
  return r;
}

const REPORT_COLUMNS = ['candidatesPerSecond', 'wallMs', 'cpuUserMs', 'cpuSystemMs', 'peakRssBytes', 'gcMs', 'originalInsnCount', 'bestInsnCount',
  'originalPerfCost', 'bestPerfCost', 'msToBest', 'trajectoryDigest', 'verified', 'equivalenceChecker', 'kernelAccepted', 'tests', 'acceptances'] as const;

/** The columns of runs.csv, in order; `counts.*` columns are the union over all records. */
export function runsCsvColumns(records: readonly RunRecord[]): string[] {
  const counts: string[] = [];
  for (const r of records) {
    const c = r.report?.counts;
    if (c && typeof c === 'object') for (const k of Object.keys(c)) if (!counts.includes(k)) counts.push(k);
  }
  return ['key', 'seq', 'benchmark', 'variantSet', 'runtimeProfile', 'rep', 'warmup', 'status', 'reason', 'iterations', 'seed',
    ...REPORT_COLUMNS, 'processMs', 'variants', 'nodeFlags', 'node', 'gitCommit', 'host', 'shard', 'startedAt', ...counts.map((k) => `counts.${k}`)];
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function runsCsv(records: readonly RunRecord[]): string {
  const sorted = [...records].sort((a, b) => a.seq - b.seq);
  const cols = runsCsvColumns(sorted);
  const rows = sorted.map((r) => {
    const rep = (r.report ?? {}) as Record<string, unknown>;
    const variants = rep.variants && typeof rep.variants === 'object' ? Object.entries(rep.variants as Record<string, string>).map(([a, i]) => `${a}=${i}`).join(';') : '';
    const counts = (rep.counts ?? {}) as Record<string, unknown>;
    const flags = Array.isArray(rep.nodeFlags) ? (rep.nodeFlags as string[]) : r.nodeFlags;
    const base: Record<string, unknown> = {
      key: r.key, seq: r.seq, benchmark: r.benchmark, variantSet: r.variantSet, runtimeProfile: r.runtimeProfile, rep: r.rep,
      warmup: r.warmup, status: r.status, reason: r.reason, iterations: r.iterations, seed: r.seed, processMs: Math.round(r.processMs),
      variants, nodeFlags: flags.join(' '), node: rep.node, gitCommit: rep.gitCommit, host: r.host, shard: r.shard, startedAt: r.startedAt,
    };
    for (const c of REPORT_COLUMNS) base[c] = rep[c];
    return cols.map((c) => cell(c.startsWith('counts.') ? counts[c.slice(7)] : base[c]));
  });
  return stringify([cols, ...rows]);
}

export function writeRunsCsv(dir: string, records: Iterable<RunRecord>): void {
  writeAtomic(join(dir, 'runs.csv'), runsCsv([...records]));
}
