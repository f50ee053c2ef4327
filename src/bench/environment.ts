/**
 * environment.json: the machine and software a sweep ran on (CPU model, cores, memory, OS, Node,
 * V8, each runtime profile's flags, git commit) and, per session (a run, a resume, a shard), the
 * load average, CPU frequency governor and turbo state before and after and the CPUs the runs were
 * pinned to, so a reader can tell a quiet machine from a busy one ("unavailable" where the kernel
 * does not expose a setting, as in many VMs).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { arch, cpus, hostname, loadavg, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { git, gitCommit } from '../common/git.js';
import type { SweepConfig } from './plan.js';
import { writeAtomic } from './store.js';

export interface Machine {
  host: string;
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  os: string;
  arch: string;
  cpuGovernor: string | null;
}

/** CPU settings that change timings, as the kernel reports them; "unavailable" when it does not. */
export interface CpuState {
  /** scaling_governor of every CPU (distinct values joined with ","). */
  governor: string;
  /** "on"/"off" from intel_pstate/no_turbo or cpufreq/boost. */
  turbo: string;
}

export interface Session {
  host: string;
  shard: string | null;
  startedAt: string;
  finishedAt: string | null;
  loadAverageBefore: number[];
  loadAverageAfter: number[] | null;
  cpuBefore?: CpuState;
  cpuAfter?: CpuState | null;
  /** CPUs the children were pinned to (`--pin`), null when not pinned. */
  pin?: string | null;
  runsAttempted: number;
  machine: Machine;
}

export interface Environment {
  machine: Machine;
  node: string;
  v8: string;
  runnerExecArgv: string[];
  runtimeProfiles: Record<string, string[]>;
  gitCommit: string | null;
  gitDirty: boolean | null;
  sessions: Session[];
}

export function machine(): Machine {
  const c = cpus();
  const gov = '/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor';
  let governor: string | null = null;
  try { if (existsSync(gov)) governor = readFileSync(gov, 'utf8').trim(); } catch { governor = null; }
  return {
    host: hostname(), cpuModel: c[0]?.model.trim() ?? 'unknown', cores: c.length, memoryBytes: totalmem(),
    os: `${osType()} ${release()}`, arch: arch(), cpuGovernor: governor,
  };
}

const UNAVAILABLE = 'unavailable';

function readSys(path: string): string | null {
  try { return existsSync(path) ? readFileSync(path, 'utf8').trim() : null; } catch { return null; }
}

export function cpuState(root = '/sys/devices/system/cpu'): CpuState {
  let cpusDirs: string[] = [];
  try { cpusDirs = readdirSync(root).filter((d) => /^cpu\d+$/.test(d)); } catch { cpusDirs = []; }
  const govs = [...new Set(cpusDirs.map((d) => readSys(join(root, d, 'cpufreq', 'scaling_governor'))).filter((g): g is string => g !== null))];
  const noTurbo = readSys(join(root, 'intel_pstate', 'no_turbo'));
  const boost = readSys(join(root, 'cpufreq', 'boost'));
  const turbo = noTurbo !== null ? (noTurbo === '1' ? 'off' : 'on') : boost !== null ? (boost === '1' ? 'on' : 'off') : UNAVAILABLE;
  return { governor: govs.length ? govs.join(',') : UNAVAILABLE, turbo };
}

const round2 = (xs: number[]): number[] => xs.map((x) => Math.round(x * 100) / 100);

export function startSession(c: SweepConfig): Session {
  return {
    host: hostname(), shard: c.shard ? `${c.shard.index}/${c.shard.count}` : null, startedAt: new Date().toISOString(), finishedAt: null,
    loadAverageBefore: round2(loadavg()), loadAverageAfter: null, cpuBefore: cpuState(), cpuAfter: null, pin: c.pin ?? null,
    runsAttempted: 0, machine: machine(),
  };
}

export function finishSession(s: Session, attempted: number): Session {
  return { ...s, finishedAt: new Date().toISOString(), loadAverageAfter: round2(loadavg()), cpuAfter: cpuState(), runsAttempted: attempted };
}

export function readEnvironment(dir: string): Environment | null {
  try {
    return JSON.parse(readFileSync(join(dir, 'environment.json'), 'utf8')) as Environment;
  } catch {
    return null;
  }
}

/** Rewrite environment.json with this session added (or updated, matched by start time and host). */
export function recordSession(dir: string, c: SweepConfig, s: Session): Environment {
  const prev = readEnvironment(dir);
  const sessions = (prev?.sessions ?? []).filter((x) => !(x.startedAt === s.startedAt && x.host === s.host));
  sessions.push(s);
  const status = git(['status', '--porcelain', '--untracked-files=no']);
  const env: Environment = {
    machine: machine(), node: process.version, v8: process.versions.v8, runnerExecArgv: [...process.execArgv],
    runtimeProfiles: Object.fromEntries(c.runtimeProfiles.map((p) => [p.name, p.nodeFlags])),
    gitCommit: gitCommit(), gitDirty: status === null ? null : status.length > 0, sessions,
  };
  writeAtomic(join(dir, 'environment.json'), JSON.stringify(env, null, 2) + '\n');
  return env;
}

/** For merge: one environment from several folders' (the first machine; every session kept). */
export function mergeEnvironments(envs: (Environment | null)[], c: SweepConfig): Environment {
  const present = envs.filter((e): e is Environment => e !== null);
  const first = present[0];
  return {
    machine: first?.machine ?? machine(), node: first?.node ?? process.version, v8: first?.v8 ?? process.versions.v8,
    runnerExecArgv: first?.runnerExecArgv ?? [], runtimeProfiles: Object.fromEntries(c.runtimeProfiles.map((p) => [p.name, p.nodeFlags])),
    gitCommit: first?.gitCommit ?? null, gitDirty: first?.gitDirty ?? null,
    sessions: present.flatMap((e) => e.sessions).sort((a, b) => (a.startedAt < b.startedAt ? -1 : 1)),
  };
}
