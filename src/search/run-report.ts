/**
 * The RunReport (DESIGN.md §6): one JSON object per optimizer run with stable camelCase keys that
 * other tools read — environment, variants, counts, costs, timing, the trajectory digest and the
 * best program as hex and assembly.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { disassemble } from '../ebpf/disasm.js';
import { encodeProgram, type Insn } from '../ebpf/insn.js';
import { gitCommit } from '../common/git.js';
import { repoRoot } from '../common/paths.js';
import type { Counters } from './cost.js';
import { realInsnCount } from '../ebpf/k2-isa.js';
import type { SearchResult } from './mcmc.js';
import { describeVariants, type VariantSet } from './variants.js';

export interface RunReport {
  tool: string;
  gitCommit: string | null;
  node: string;
  variantSet: string;
  variants: Record<string, string>;
  runtimeProfile: string;
  nodeFlags: string[];
  benchmark: string;
  seed: number;
  iterations: number;
  wallMs: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  peakRssBytes: number;
  gcMs: number;
  candidatesPerSecond: number;
  counts: Counters;
  originalInsnCount: number;
  bestInsnCount: number;
  originalPerfCost: number;
  bestPerfCost: number;
  msToBest: number;
  trajectoryDigest: string;
  /**
   * How the program written (or reported) was proved: `whole-program` (the written program proved
   * equal to the input as a whole), `window-chain` (the search's chain of window proofs; the
   * whole-program query was unknown), `none` (tests only), `original` (the input is what is written).
   */
  verified: string;
  equivalenceChecker: string;
  kernelAccepted: boolean | null;
  /** `iterations` (bounded by -n: deterministic) or `time` (--time-limit or Ctrl-C could end it). */
  bound: 'iterations' | 'time';
  tests: number;
  acceptances: number;
  windowSwitches: number;
  best: { hex: string; asm: string[] };
}

export function toolVersion(): string {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
  return `${pkg.name} ${pkg.version}`;
}

export interface ReportContext {
  benchmark: string;
  seed: number;
  variants: VariantSet;
  runtimeProfile: string;
  checkerName: string;
  cpu: NodeJS.CpuUsage;
  originalInsns: readonly Insn[];
  gcMs: number;
  bound: 'iterations' | 'time';
}

export function buildReport(r: SearchResult, c: ReportContext): RunReport {
  const improved = r.best.perf < r.originalPerf;
  return {
    tool: toolVersion(), gitCommit: gitCommit(), node: process.version,
    variantSet: c.variants.name, variants: describeVariants(c.variants),
    runtimeProfile: c.runtimeProfile, nodeFlags: [...process.execArgv],
    benchmark: c.benchmark, seed: c.seed, iterations: r.iterations, wallMs: round(r.wallMs),
    cpuUserMs: round(c.cpu.user / 1000), cpuSystemMs: round(c.cpu.system / 1000),
    peakRssBytes: process.resourceUsage().maxRSS * 1024, gcMs: round(c.gcMs),
    candidatesPerSecond: round(r.iterations / (r.wallMs / 1000)),
    counts: r.counters,
    originalInsnCount: realInsnCount(c.originalInsns), bestInsnCount: realInsnCount(r.best.insns),
    originalPerfCost: r.originalPerf, bestPerfCost: r.best.perf,
    msToBest: round(r.best.ms), trajectoryDigest: r.trajectoryDigest,
    verified: !improved ? 'original' : r.best.verified ? 'whole-program' : 'none',
    equivalenceChecker: c.checkerName, kernelAccepted: null, bound: c.bound,
    tests: r.tests, acceptances: r.acceptances, windowSwitches: r.windowSwitches,
    best: { hex: Buffer.from(encodeProgram(r.best.insns)).toString('hex'), asm: disassemble(r.best.insns) },
  };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

/** What the passes before the search did (src/passes hands its outcome in this shape). */
export interface PassesOutcomeLike {
  insns: readonly Insn[];
  credits: readonly { pass: string; applied: number; removed: number; rejected: number; ms: number }[];
  rounds: number;
  proofs: number;
  ms: number;
  timedOut: boolean;
  skipped?: string;
}

/**
 * The RunReport's credit of the passes and of the search, separately: `passes` (each pass's
 * applied rewrites, instructions removed, refused proposals and ms; real instructions before and
 * after) and `search` (what the search removed from the passes' program, and its ms).
 */
export function passesSection(o: PassesOutcomeLike, names: readonly string[], original: readonly Insn[], r: SearchResult): Record<string, unknown> {
  const after = realInsnCount(o.insns);
  return {
    passes: { names: [...names], insnsBefore: realInsnCount(original), insnsAfter: after, rounds: o.rounds, proofs: o.proofs, ms: round(o.ms), timedOut: o.timedOut, ...(o.skipped ? { skipped: o.skipped } : {}), credits: o.credits.map((c) => ({ ...c })) },
    search: { insnsRemoved: Math.max(0, after - realInsnCount(r.best.insns)), ms: round(r.wallMs) },
  };
}
