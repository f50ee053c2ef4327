/**
 * Chains in worker threads: N independent chains with seeds seed, seed+1, … (each a deterministic
 * single-chain run with its own Z3, on the variant set the parent resolved), merged into one
 * SearchResult: the best program and top-k over all chains, summed counts, and the wall time from
 * the first chain's search start to the last one's end, so candidates/s = total iterations / wall.
 * A run bounded by time always searches here, so that Ctrl-C (handled on the main thread) can stop
 * the chains through a shared flag and the best proved program is still written.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { InputError } from '../ebpf/errors.js';
import type { Program } from '../ebpf/program.js';
import type { Counters } from '../search/cost.js';
import { realInsnCount } from '../ebpf/k2-isa.js';
import type { ProvedRewrite, SearchResult } from '../search/mcmc.js';
import type { Insn } from '../ebpf/insn.js';
import type { K2Params } from '../search/params.js';
import { sameSlots, type Ranked } from '../search/topk.js';
import type { Z3Choice } from '../search/variants.js';
import type { Z3Stats } from '../verify/checker.js';
import type { ApplyOutcome } from '../rules/apply.js';
import type { Rule } from '../rules/rule.js';
import type { SetSpec } from '../../variants/sets.js';

/** What a chain worker is given (structured-cloned: plain data only). */
export interface ChainJob {
  program: Program;
  params: K2Params;
  /** The search's window policy (SearchOptions.windows). */
  windows?: 'scheduled' | 'k2';
  portfolio?: boolean;
  seed: number;
  /** The resolved set as plain data (name, axis → implementation). */
  variantSet: string;
  variantSpec: SetSpec;
  /** The z3 to prove with (already the runnable one); undefined: the tests-only stand-in. */
  z3?: Z3Choice;
  rlimit?: number;
  /** Epoch ms at which the search stops (measured in the worker, after its start-up). */
  searchEndAt?: number;
  /** Epoch ms after which no Z3 query may run (time-bounded runs). */
  deadlineAt?: number;
  /** Int32 flag: non-zero stops every chain (Ctrl-C). */
  stop?: SharedArrayBuffer;
  progress: boolean;
  /** A program proved equal to `program` to start from (rules applied before the search). */
  start?: Insn[];
  /** Send back the window rewrites the chain proved (for the rule database to learn from). */
  collectRewrites?: boolean;
  /** The run's rule snapshot: applied at the chain's window switches (needs `z3`). */
  rules?: Rule[];
  /** A program every window of which the parent already tried the rules on (not tried again). */
  rulesTried?: Insn[];
}

export type ChainMessage =
  | { kind: 'progress'; iteration: number; bestPerf: number }
  | { kind: 'done'; result: SearchResult; startMs: number; endMs: number; gcMs: number; checkerName: string; z3?: Z3Stats; rewrites?: ProvedRewrite[]; rulesDuring?: ApplyOutcome[] }
  | { kind: 'error'; message: string; input: boolean };

type Done = Extract<ChainMessage, { kind: 'done' }>;

/** One chain's line in the RunReport. */
export interface ChainSummary {
  seed: number;
  trajectoryDigest: string;
  iterations: number;
  wallMs: number;
  candidatesPerSecond: number;
  bestPerfCost: number;
  bestInsnCount: number;
  verified: boolean;
  counts: Counters;
}

export interface ChainsOutcome {
  result: SearchResult;
  chains: ChainSummary[];
  gcMs: number;
  checkerName: string;
  z3?: Z3Stats;
  /** Proved window rewrites of every chain, in seed order (when the job asked for them). */
  rewrites: ProvedRewrite[];
  /** Rules applied at the chains' window switches, in seed order (when the job sent rules). */
  rulesDuring: ApplyOutcome[];
}

function runChain(job: ChainJob, onProgress: (iteration: number, bestPerf: number) => void): Promise<Done> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./chain-worker.js', import.meta.url), { workerData: job });
    let done: Done | undefined;
    w.on('message', (m: ChainMessage) => {
      if (m.kind === 'progress') onProgress(m.iteration, m.bestPerf);
      else if (m.kind === 'done') done = m;
      else reject(m.input ? new InputError(m.message) : new Error(`chain with seed ${job.seed}: ${m.message}`));
    });
    w.on('error', reject);
    w.on('exit', (code) => (done ? resolve(done) : reject(new Error(`chain with seed ${job.seed} exited with code ${code} without a result`))));
  });
}

export async function runChains(base: Omit<ChainJob, 'seed'>, seed: number, n: number, onProgress?: (iterations: number, bestPerf: number) => void): Promise<ChainsOutcome> {
  const its = new Array<number>(n).fill(0), bests = new Array<number>(n).fill(Infinity);
  const outs = await Promise.all(Array.from({ length: n }, (_, i) => runChain({ ...base, seed: seed + i }, (it, bp) => {
    its[i] = it; bests[i] = bp;
    onProgress?.(its.reduce((a, b) => a + b, 0), Math.min(...bests));
  })));
  const results = outs.map((o) => o.result);
  const wallMs = Math.max(...outs.map((o) => o.endMs)) - Math.min(...outs.map((o) => o.startMs));
  const z3s = outs.flatMap((o) => (o.z3 ? [o.z3] : []));
  return {
    result: merge(results, wallMs, base.params.k),
    chains: results.map((r, i) => ({
      seed: seed + i, trajectoryDigest: r.trajectoryDigest, iterations: r.iterations, wallMs: round(r.wallMs),
      candidatesPerSecond: round(r.iterations / (r.wallMs / 1000)), bestPerfCost: r.best.perf, bestInsnCount: realInsnCount(r.best.insns),
      verified: r.best.verified, counts: r.counters,
    })),
    gcMs: outs.reduce((s, o) => s + o.gcMs, 0),
    checkerName: outs[0]!.checkerName,
    rewrites: outs.flatMap((o) => o.rewrites ?? []),
    rulesDuring: outs.flatMap((o) => o.rulesDuring ?? []),
    ...(z3s.length > 0 ? { z3: sumFields(z3s) } : {}),
  };
}

/** Best over chains (lowest perf; at equal perf a verified one, then the lower seed); top-k merged without duplicates. */
function merge(rs: readonly SearchResult[], wallMs: number, k: number): SearchResult {
  let best = rs[0]!.best;
  for (const r of rs) if (r.best.perf < best.perf || (r.best.perf === best.perf && r.best.verified && !best.verified)) best = r.best;
  const topK: Ranked[] = [];
  for (const r of [...rs.flatMap((x) => x.topK)].sort((a, b) => a.perf - b.perf)) {
    if (topK.length < k && !topK.some((t) => t.perf === r.perf && sameSlots(t.insns, r.insns))) topK.push(r);
  }
  const sum = (f: (r: SearchResult) => number): number => rs.reduce((s, r) => s + f(r), 0);
  return {
    iterations: sum((r) => r.iterations), wallMs, counters: sumFields(rs.map((r) => r.counters)), originalPerf: rs[0]!.originalPerf,
    best, topK, trajectoryDigest: combinedDigest(rs.map((r) => r.trajectoryDigest)),
    windowSwitches: sum((r) => r.windowSwitches), acceptances: sum((r) => r.acceptances), tests: sum((r) => r.tests),
  };
}

/** The run's digest: a hash of the chains' digests in seed order. */
export function combinedDigest(digests: readonly string[]): string {
  return createHash('sha256').update(digests.join(',')).digest('hex').slice(0, 16);
}

function sumFields<T extends object>(xs: readonly T[]): T {
  const out = { ...xs[0]! } as Record<string, number>;
  for (const x of xs.slice(1)) for (const [key, v] of Object.entries(x)) out[key] = (out[key] ?? 0) + (v as number);
  return out as T;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
