/**
 * Sharding the harness over processes (`k2lab soundness --jobs N`): program i of the corpus goes to
 * shard i mod N, each shard runs the harness on its programs with the same seed, and the reports are
 * summed into one. Deterministic for a seed and N (each shard is); a different N splits differently.
 */
import type { Program } from '../ebpf/program.js';
import { PHASES, type HarnessReport } from './harness.js';

/** Shard `index` of `count`: its programs and its share of the mutants. */
export function shardOf<T extends Program>(programs: readonly T[], mutants: number, index: number, count: number): { programs: T[]; mutants: number } {
  return {
    programs: programs.filter((_, i) => i % count === index),
    mutants: Math.floor(mutants / count) + (index < mutants % count ? 1 : 0),
  };
}

const addCounts = (a: Record<string, number>, b: Record<string, number>): Record<string, number> => {
  const out = { ...a };
  for (const [k, n] of Object.entries(b)) out[k] = (out[k] ?? 0) + n;
  return out;
};

/** One report for the shards' reports (wall time: the slowest shard's; phase times: summed CPU-side). */
export function mergeReports(reports: readonly HarnessReport[]): HarnessReport {
  const [first, ...rest] = reports;
  if (!first) throw new Error('no shard reports to merge');
  return rest.reduce<HarnessReport>((a, b) => ({
    programs: a.programs + b.programs,
    skipped: [...a.skipped, ...b.skipped],
    mutants: a.mutants + b.mutants,
    duplicates: a.duplicates + b.duplicates,
    rejectedBySafety: a.rejectedBySafety + b.rejectedBySafety,
    rejectedByTests: a.rejectedByTests + b.rejectedByTests,
    verdicts: addCounts(a.verdicts, b.verdicts) as HarnessReport['verdicts'],
    kernelChecked: a.kernelChecked + b.kernelChecked,
    kernelSkipped: addCounts(a.kernelSkipped, b.kernelSkipped),
    disagreements: a.disagreements + b.disagreements,
    failures: [...a.failures, ...b.failures],
    safetyAcceptedKernelRejected: [...a.safetyAcceptedKernelRejected, ...b.safetyAcceptedKernelRejected],
    safetyRejectedKernelAccepted: a.safetyRejectedKernelAccepted + b.safetyRejectedKernelAccepted,
    kernelVerdictsCompared: a.kernelVerdictsCompared + b.kernelVerdictsCompared,
    ms: Math.max(a.ms, b.ms),
    phaseMs: Object.fromEntries(PHASES.map((p) => [p, a.phaseMs[p] + b.phaseMs[p]])) as HarnessReport['phaseMs'],
  }), first);
}
