/**
 * What the user sees: a progress line on a terminal (section, iterations, candidates/s, best perf
 * cost, elapsed / limit), and at the end a table per program (slots before → written, proof,
 * kernel verdict, seconds), the reason wherever the input's program was written, and the path.
 */
import type { RulesReport } from '../rules/run.js';
import type { RunReport } from '../search/run-report.js';
import type { SectionResult } from './object.js';
import type { ProgramOutcome } from './program-run.js';

export function progressPrinter(limitS: number | undefined): (label: string, iterations: number, bestPerf: number) => void {
  const t0 = Date.now();
  let since = t0, last = 0, lastLabel = '';
  return (label, iterations, bestPerf) => {
    const now = Date.now();
    if (label !== lastLabel) { since = now; last = 0; lastLabel = label; }
    const rate = (iterations - last) / Math.max((now - since) / 1000, 1e-3);
    const elapsed = ((now - t0) / 1000).toFixed(1);
    process.stderr.write(`\r\x1b[K${label}: ${iterations} candidates, ${rate.toFixed(0)}/s, best perf ${bestPerf}, ${elapsed}${limitS !== undefined ? `/${limitS}` : ''} s`);
  };
}

export function endProgress(): void {
  process.stderr.write('\r\x1b[K');
}

function proofCell(o: ProgramOutcome | undefined): string {
  if (!o) return '-';
  if (!o.gate.optimized) return o.result.best.perf < o.result.originalPerf ? 'not written' : 'no smaller program';
  return o.gate.verified;
}

function kernelCell(o: ProgramOutcome | undefined): string {
  if (!o) return '-';
  const a = o.gate.agreement;
  if (a?.testRun) return `${o.gate.kernel}, ${a.inputs - a.mismatches}/${a.inputs} inputs agree`;
  return o.gate.kernel === 'accepted' && a ? 'accepted (type not test-runnable)' : o.gate.kernel;
}

export function sectionTable(rows: readonly SectionResult[]): string {
  const body = rows.map((r) => [r.section, `${r.before} → ${r.after}`, proofCell(r.outcome), kernelCell(r.outcome), r.outcome ? r.outcome.seconds.toFixed(1) : '-']);
  const head = ['section', 'slots', 'proof', 'kernel', 's'];
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const notes = rows.flatMap((r) => (r.skipped ? [`  ${r.section}: ${r.skipped}`] : r.outcome?.gate.rejected ? [`  ${r.section}: ${r.outcome.gate.rejected}`] : r.outcome?.gate.proofNote ? [`  ${r.section}: ${r.outcome.gate.proofNote}`] : []));
  return [line(head), ...body.map(line), ...notes].join('\n') + '\n';
}

/** The single-program summary (K2-style runs): counts, digest, Z3 statistics, the written program. */
export function programSummary(o: ProgramOutcome): string {
  const r = o.report as RunReport & { z3?: Record<string, number>; chains?: { seed: number; trajectoryDigest: string; iterations: number; candidatesPerSecond: number; bestPerfCost: number; verified: boolean }[]; rules?: RulesReport };
  const found = o.result.best.perf < o.result.originalPerf;
  const lines = [
    `${r.benchmark}: ${r.iterations} iterations in ${(r.wallMs / 1000).toFixed(2)} s = ${r.candidatesPerSecond.toFixed(0)} candidates/s (variants ${r.variantSet}, seed ${r.seed}, bounded by ${r.bound})`,
    `instructions: ${r.originalInsnCount} → ${r.bestInsnCount}${o.gate.optimized ? ` (proved: ${o.gate.verified}; kernel: ${kernelCell(o)})` : found ? ` — NOT WRITTEN: ${o.gate.rejected ?? 'not proved'}` : ' (no smaller program found)'}`,
    `tests ${r.tests}, safety rejects ${r.counts.safetyRejects}, execution errors ${r.counts.executionErrors}, test-equivalent candidates ${r.counts.testEquivalent}, accepted ${r.acceptances}`,
    `trajectory digest ${r.trajectoryDigest}`,
    ...(r.chains ?? []).map((c) => `  chain seed ${c.seed}: digest ${c.trajectoryDigest}, ${c.iterations} iterations, ${c.candidatesPerSecond.toFixed(0)} candidates/s, best perf ${c.bestPerfCost}${c.verified ? ' (proved)' : ''}`),
  ];
  const z = r.z3;
  if (z) lines.push(`equivalence: ${r.equivalenceChecker}: ${z['queries']} queries (${z['solverChecks']} solver checks) in ${((z['ms'] ?? 0) / 1000).toFixed(2)} s; equal ${z['equal']}, not equal ${z['notEqual']}, unsafe ${z['unsafe']}, unknown ${z['unknown']} (unsupported ${z['unsupported']}, cut or failed ${z['solverErrors']}); cache hits ${z['cacheHits']}, counterexamples added ${r.counts.counterexamples}`);
  const u = r.rules;
  if (u) lines.push(`rules (${u.database}, digest ${u.digest}): ${u.applied} applied (${u.appliedDuringSearch} at window switches; perf −${u.savedPerf}, ${u.msApplying} ms; ${u.rejected} matches not proved), ${u.consulted} consulted; ${u.provedRewrites} proved rewrites → ${u.learned} new rules, ${u.known} known, ${u.notProved} not re-proved${u.notLearnedForTime > 0 ? `, ${u.notLearnedForTime} not tried (time up)` : ''} (${u.msLearning} ms)`);
  const pr = (r as { passes?: { insnsBefore: number; insnsAfter: number; ms: number; proofs: number; timedOut: boolean; skipped?: string; credits: { pass: string; applied: number; removed: number; rejected: number; ms: number }[] } }).passes;
  const sr = (r as { search?: { insnsRemoved: number } }).search;
  if (pr) lines.push(`passes: ${pr.insnsBefore} → ${pr.insnsAfter} in ${(pr.ms / 1000).toFixed(2)} s (${pr.proofs} proofs${pr.timedOut ? ', stopped by the time limit' : ''}${pr.skipped ? `, not run: ${pr.skipped}` : ''}): ${pr.credits.filter((c) => c.applied > 0).map((c) => `${c.pass} −${c.removed} (${c.applied} rewrites)`).join(', ') || 'nothing'}; search −${sr?.insnsRemoved ?? 0}`);
  if (o.gate.optimized) lines.push('written program:', ...r.best.asm.map((l) => `  ${l}`));
  return lines.join('\n') + '\n';
}
