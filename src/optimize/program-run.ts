/**
 * One program through the whole run: the search (in-process for a single iteration-bounded chain —
 * the deterministic runs the benchmarks measure — else in chain workers that Ctrl-C and the time
 * limit can stop), the output gate (final proof of the compacted program, safety, kernel), and its
 * RunReport, whose instruction counts are the slots written.
 */
import { startGcClock } from '../common/gc.js';
import { disassemble } from '../ebpf/disasm.js';
import { encodeProgram, type Insn } from '../ebpf/insn.js';
import type { Program } from '../ebpf/program.js';
import { testsOnly } from '../search/equivalence.js';
import { runSearch, type SearchResult } from '../search/mcmc.js';
import { buildReport, passesSection, type RunReport } from '../search/run-report.js';
import { realInsnCount } from '../ebpf/k2-isa.js';
import { passesWithZ3 } from '../passes/index.js';
import { DEFAULT_RLIMIT, type Z3Checker, type Z3Stats } from '../verify/checker.js';
import { createChecker, createZ3Impl } from '../../variants/z3/index.js';
import { resolveRulesPath } from '../rules/store.js';
import { learningDeadline, rulesAfterSearch, rulesBeforeSearch } from '../rules/run.js';
import { withDeadline } from '../../variants/z3/deadline.js';
import { runChains, type ChainSummary } from './chains.js';
import { outputGate, type GateVerdict } from './gate.js';
import type { Plan } from './plan.js';

/** What a section's line in the table and the RunReport need. */
export interface ProgramOutcome {
  program: Program;
  result: SearchResult;
  gate: GateVerdict;
  report: RunReport & Record<string, unknown>;
  seconds: number;
}

export interface ProgramSlot {
  /** Epoch ms by which this program's search, proof and gate are to be done (time-bounded runs). */
  endAt?: number;
  /** Extra gate condition from the caller (the object writer's). */
  objection?: (insns: readonly Insn[]) => string | undefined;
  onProgress?: (iterations: number, bestPerf: number) => void;
}

/**
 * What a program's time slot keeps back from the search for the final proof and the gate, and
 * of that, what the proof leaves for the gate's kernel runs (2,000 test runs with map resets take
 * about 1–2 s on a loaded machine).
 */
const reserveMs = (slotMs: number): number => Math.min(0.5 * slotMs, 0.15 * slotMs + 3000);
const GATE_MS = 1500;

export async function optimizeProgram(prog: Program, plan: Plan, slot: ProgramSlot): Promise<ProgramOutcome> {
  const t0 = Date.now();
  const r = plan.request;
  const gc = startGcClock();
  let chainsGcMs = 0;
  const cpu0 = process.cpuUsage();
  const searchEnd = slot.endAt === undefined ? undefined : slot.endAt - reserveMs(Math.max(0, slot.endAt - t0));
  let result: SearchResult, checkerName: string, z3Stats: Z3Stats | undefined, chains: ChainSummary[] | undefined;
  // The passes first; the rules and the search start from their program. The passes may use all of
  // the search's time: they stop at their fixed point (under 2 s per section on the corpus), and in a
  // short run they find more per second than the search (a 5 s run on a loaded machine: passes cut at
  // half the time wrote 72 slots for xdp_vlan01, where finishing them gives 65).
  const passes = plan.z3 && plan.passes.length > 0
    ? passesWithZ3(prog, { passes: plan.passes, impl: await createZ3Impl(plan.z3.impl), variants: plan.variants, ...(searchEnd !== undefined ? { deadlineAt: searchEnd } : {}) })
    : undefined;
  const passed = passes && realInsnCount(passes.insns) < realInsnCount(prog.insns) ? passes.insns : undefined;
  // The rule database: rules applied before the search (its start program), rules learned after it.
  const rulesPath = plan.z3 ? resolveRulesPath(r.rules) : undefined;
  // In a time-bounded run the rules before the search may take the search's time (a proved rule is
  // worth more than the search it saves), not the gate's; learning has its own share (below).
  let rulesEnd = slot.endAt === undefined ? undefined : slot.endAt - GATE_MS;
  const rulesImpl = rulesPath && plan.z3 ? await createZ3Impl(plan.z3.impl) : undefined;
  const rules = rulesPath && rulesImpl
    ? rulesBeforeSearch(rulesPath, passed ? { ...prog, insns: passed } : prog, plan.variants, slot.endAt !== undefined ? withDeadline(rulesImpl, () => rulesEnd) : rulesImpl, { ...(r.rlimit !== undefined ? { rlimit: r.rlimit } : {}), ...(prog.section !== undefined ? { section: prog.section } : {}) })
    : undefined;
  const start = rules && rules.before.applied.length > 0 ? rules.before.insns : passed;
  if (plan.chains === 1 && plan.bound === 'iterations') {
    const z3: Z3Checker | undefined = plan.z3 ? await createChecker(prog, plan.z3, r.rlimit) : undefined;
    result = runSearch(prog, plan.params, {
      seed: r.seed, variants: plan.variants, checker: z3 ?? testsOnly, windows: plan.windows, portfolio: plan.portfolio,
      ...(rules ? { onProvedRewrite: rules.onProvedRewrite, rewriteWindow: rules.rewriteWindow } : {}), ...(start ? { start } : {}),
      ...(slot.onProgress ? { onProgress: (p) => slot.onProgress!(p.iteration, p.bestPerf) } : {}),
    });
    checkerName = (z3 ?? testsOnly).name;
    z3Stats = z3?.stats;
    z3?.dispose();
  } else {
    const out = await runChains({
      program: prog, params: plan.params, windows: plan.windows, portfolio: plan.portfolio, variantSet: plan.variants.name, variantSpec: plan.variantSpec,
      ...(plan.z3 ? { z3: plan.z3 } : {}), ...(r.rlimit !== undefined ? { rlimit: r.rlimit } : {}),
      ...(searchEnd !== undefined ? { searchEndAt: searchEnd, deadlineAt: searchEnd } : {}),
      stop: plan.stop.buffer as SharedArrayBuffer, progress: slot.onProgress !== undefined,
      ...(start ? { start: start.map((x) => ({ ...x })) } : {}), ...(rules ? { collectRewrites: true } : {}),
      ...(rules && rules.snapshot.rules.length > 0 ? { rules: [...rules.snapshot.rules], rulesTried: rules.before.insns } : {}),
    }, r.seed, plan.chains, slot.onProgress);
    for (const w of out.rewrites) rules?.onProvedRewrite(w);
    rules?.during.push(...out.rulesDuring);
    result = out.result;
    checkerName = out.checkerName;
    z3Stats = out.z3;
    chains = plan.chains > 1 ? out.chains : undefined;
    chainsGcMs = out.gcMs;
  }
  const cpu = process.cpuUsage(cpu0);
  const gcMs = (await gc.stop()) + chainsGcMs;
  // Learning re-proves each rewrite, before the final proof so that a time-bounded run still fills
  // the database: there, within a bounded share of the time left before the gate.
  if (slot.endAt !== undefined) rulesEnd = learningDeadline(slot.endAt, GATE_MS);
  const rulesReport = rules ? rulesAfterSearch(rules, rulesEnd) : undefined;
  const improved = result.best.perf < result.originalPerf;
  // The final proof may spend ten times a search query's resource limit, and no more than the slot's time.
  const prover = plan.z3 && improved && result.best.verified
    ? await createChecker(prog, plan.z3, 10 * (r.rlimit ?? DEFAULT_RLIMIT), slot.endAt !== undefined ? () => Math.max(Date.now() + 300, slot.endAt! - GATE_MS) : undefined)
    : undefined;
  let gate: GateVerdict;
  try {
    gate = outputGate({ program: prog, best: improved ? result.best : undefined, variants: plan.variants, prover, ...(slot.objection ? { objection: slot.objection } : {}) });
  } finally {
    prover?.dispose();
  }
  const base = buildReport(result, {
    benchmark: prog.name, seed: r.seed, variants: plan.variants, runtimeProfile: r.runtimeProfile, checkerName, cpu, gcMs,
    originalInsns: prog.insns, bound: plan.bound,
  });
  const report = {
    ...base, windows: plan.windows, portfolio: plan.portfolio,
    // Counts are of the slots written: the compacted program, or the input when the gate refused.
    bestInsnCount: gate.insns.length, foundInsnCount: base.bestInsnCount,
    best: { hex: Buffer.from(encodeProgram(gate.insns)).toString('hex'), asm: disassemble(gate.insns) },
    verified: gate.optimized ? gate.verified : improved ? (result.best.verified ? 'original' : 'none') : 'original',
    ...(gate.proofNote ? { proofNote: gate.proofNote } : {}),
    ...(gate.rejected ? { notWritten: gate.rejected } : {}),
    kernelAccepted: gate.kernel === 'accepted' ? true : gate.kernel === 'rejected' ? false : null,
    kernelCheck: gate.kernel, ...(gate.kernelReason ? { kernelReason: gate.kernelReason } : {}),
    ...(gate.agreement ? { kernelAgreement: { inputs: gate.agreement.inputs, mismatches: gate.agreement.mismatches } } : {}),
    ...(z3Stats ? { z3: z3Stats } : {}), ...(chains ? { chains } : {}), ...(rulesReport ? { rules: rulesReport } : {}),
    ...(passes ? passesSection(passes, plan.passes, prog.insns, result) : {}),
  };
  return { program: prog, result, gate, report, seconds: (Date.now() - t0) / 1000 };
}
