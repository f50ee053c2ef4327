/**
 * The soundness harness (issue #15): seeded mutants of real programs go through what the search
 * does — safety check, the 30 tests, the Z3 proof — and every mutant Z3 calls equal must agree with
 * its original in the interpreter on many inputs and, where the type can be test-run, in the
 * kernel. Any disagreement is a failure with a reproducer. With the kernel oracle, the verifier's
 * verdict on every mutant our safety checker accepts is compared too (it must accept it as well).
 */
import type { Insn } from '../ebpf/insn.js';
import type { Program } from '../ebpf/program.js';
import { Session, toRunnable } from '../interp/run.js';
import { createSafetyChecker } from '../safety/checker.js';
import { Violation } from '../ebpf/violations.js';
import { generateInputs } from '../search/inputs.js';
import { captureOutput, outputError } from '../search/output-error.js';
import { Rng } from '../common/rng.js';
import type { Z3Checker } from '../verify/checker.js';
import { bitset } from '../../variants/safety-state/bitset.js';
import { resultCodes } from '../../variants/errors/result-codes.js';
import { agreementInputs, interpreterDisagreement, kernelRefusal, kernelRefusesOriginal, kernelVerdict, type Disagreement } from './agree.js';
import { createKernelComparer } from './kernel-compare.js';
import { disagreementWithOriginal, originalOutputs, type OriginalOutputs } from './original-outputs.js';

/** Bytes of kept original outputs: per program, and in all (programs past it get per-mutant inputs). */
// Inputs count too since the seed-4 run: bcc's map seeds (hex strings) had filled a shard's 4 GB heap.
// Maps neither program can write are not captured (most of an xdp-tools program's 1 MB output per run).
const KEPT_BYTES_PER_PROGRAM = 192 << 20, KEPT_BYTES_TOTAL = 768 << 20;
import { mutate } from './mutate.js';
import { mutantProgram } from './safety-kernel.js';
import { kernelUnavailableReason } from '../kernel/index.js';

export interface HarnessOptions {
  mutants: number;
  seed: number;
  /** Interpreter inputs per mutant called equal (10,000 by default). */
  inputs: number;
  /** Kernel test runs per mutant called equal, where the type can be test-run. */
  kernelInputs: number;
  /** Compare the verifier's verdicts on mutants our safety checker accepts. */
  kernelVerdicts: boolean;
  /** Stop trying new mutants after this many ms (the report says how many were tried). */
  timeLimitMs?: number;
  checkerFor(p: Program): Promise<Z3Checker>;
  progress?(line: string): void;
  /** Called with the report so far every 100 mutants (a long run writes it out as it goes). */
  checkpoint?(report: HarnessReport): void;
}

export interface Failure { program: string; mutation: string; original: string; mutant: string; disagreement: Disagreement }
export interface SafetyDifference { program: string; mutation: string; mutant: string; kernel: string }

export interface HarnessReport {
  programs: number;
  skipped: { name: string; reason: string }[];
  mutants: number;
  /** Mutants identical to one already judged, or no mutation applied. */
  duplicates: number;
  rejectedBySafety: number;
  rejectedByTests: number;
  verdicts: { equal: number; notEqual: number; unsafe: number; unknown: number };
  /** Equal mutants checked in the kernel, and those it could not (reason → count). */
  kernelChecked: number;
  kernelSkipped: Record<string, number>;
  disagreements: number;
  failures: Failure[];
  /** Mutants our safety checker accepted and the kernel rejected (must be 0), and the reverse (allowed). */
  safetyAcceptedKernelRejected: SafetyDifference[];
  safetyRejectedKernelAccepted: number;
  kernelVerdictsCompared: number;
  ms: number;
  /** Where the time went (ms): setup (loading checks, self-proofs), then per mutant phase. */
  phaseMs: Record<Phase, number>;
}

export const PHASES = ['setup', 'mutate', 'safety', 'kernelVerdict', 'tests', 'z3', 'interpreter', 'kernelRuns'] as const;
export type Phase = (typeof PHASES)[number];

const hexOf = (insns: readonly Insn[]): string => insns.map((x) => `${x.op},${x.dst},${x.src},${x.off},${x.imm}`).join(';');
const bytecode = (insns: readonly Insn[]): string => {
  const b = Buffer.alloc(insns.length * 8);
  insns.forEach((x, i) => { b[i * 8] = x.op; b[i * 8 + 1] = (x.src << 4) | x.dst; b.writeInt16LE(x.off, i * 8 + 2); b.writeInt32LE(x.imm, i * 8 + 4); });
  return b.toString('hex');
};

/** Whether the interpreter runs the program (at least one of `inputs` without an execution error). */
function runnable(p: Program, inputs: readonly ReturnType<typeof generateInputs>[number][]): string | undefined {
  let s: Session;
  try {
    s = new Session(toRunnable(p));
  } catch (e) {
    return `the interpreter cannot run it: ${(e as Error).message}`;
  }
  let why = '';
  for (const i of inputs) { if (s.run(i)) return undefined; why = s.result().error?.message ?? 'execution error'; }
  return `the interpreter cannot run it: ${why}`;
}

export async function runHarness(programs: readonly Program[], skipped: { name: string; reason: string }[], opts: HarnessOptions): Promise<HarnessReport> {
  const t0 = performance.now();
  const rep: HarnessReport = {
    programs: 0, skipped: [...skipped], mutants: 0, duplicates: 0, rejectedBySafety: 0, rejectedByTests: 0,
    verdicts: { equal: 0, notEqual: 0, unsafe: 0, unknown: 0 }, kernelChecked: 0, kernelSkipped: {}, disagreements: 0, failures: [],
    safetyAcceptedKernelRejected: [], safetyRejectedKernelAccepted: 0, kernelVerdictsCompared: 0, ms: 0,
    phaseMs: Object.fromEntries(PHASES.map((p) => [p, 0])) as Record<Phase, number>,
  };
  let mark = performance.now();
  /** Charges the time since the last lap to `phase`. */
  const lap = (phase: Phase): void => { const now = performance.now(); rep.phaseMs[phase] += now - mark; mark = now; };
  const usable: { p: Program; checker: Z3Checker; tests: ReturnType<typeof generateInputs>; kernelJudges: boolean }[] = [];
  const kernelOn = opts.kernelVerdicts && kernelUnavailableReason() === undefined;
  for (const p of programs) {
    const tests = generateInputs(p, new Rng(opts.seed), 30);
    const why = runnable(p, tests);
    if (why) { rep.skipped.push({ name: p.name, reason: why }); continue; }
    const errors = resultCodes();
    const safety = createSafetyChecker(p, { state: bitset, errors, allocation: 'pooled' });
    if (safety.check(p.insns) !== Violation.None) { rep.skipped.push({ name: p.name, reason: `our safety checker rejects the original: ${errors.lastDetail()}` }); continue; }
    const checker = await opts.checkerFor(p);
    const self = checker.check(p.insns, p.insns);
    if (self.verdict !== 'equal') { rep.skipped.push({ name: p.name, reason: `the encoder cannot prove it equal to itself: ${checker.last?.reason ?? self.verdict}` }); checker.dispose(); continue; }
    // The verifier judges mutants only of an original it accepts: fentry/lsm programs this kernel refuses
    // outright (EPERM, no log) would count every mutant we accept as a difference (seed-4 run: 119).
    const refused = kernelOn ? kernelRefusesOriginal(p) : undefined;
    if (refused) { const why = refused.slice(0, 160); rep.kernelSkipped[why] = (rep.kernelSkipped[why] ?? 0) + 1; }
    const kernelJudges = kernelOn && refused === undefined;
    usable.push({ p, checker, tests, kernelJudges });
  }
  rep.programs = usable.length;
  lap('setup');
  if (usable.length === 0) { rep.ms = performance.now() - t0; return rep; }
  const rng = new Rng(opts.seed);
  const seen = new Set<string>();
  const inKernel = createKernelComparer();
  // The original's outputs on a fixed input set per program (seeded by the seed and the program's place).
  const kept = new Map<number, OriginalOutputs | undefined>();
  let keptBytes = 0;
  const keptOutputs = (j: number): OriginalOutputs | undefined => {
    if (kept.has(j)) return kept.get(j);
    const p = usable[j]!.p;
    const o = keptBytes < KEPT_BYTES_TOTAL ? originalOutputs(p, agreementInputs(p, new Rng(opts.seed * 65_537 + j + 1), opts.inputs), KEPT_BYTES_PER_PROGRAM) : undefined;
    keptBytes += o?.bytes ?? 0;
    kept.set(j, o);
    return o;
  };
  for (let k = 0; k < opts.mutants; k++) {
    if (opts.timeLimitMs !== undefined && performance.now() - t0 > opts.timeLimitMs) { opts.progress?.(`time limit reached after ${k} mutants`); break; }
    if (k > 0 && k % 100 === 0) { rep.ms = performance.now() - t0; opts.checkpoint?.(rep); }
    if (k > 0 && k % 1000 === 0) opts.progress?.(`${k} mutants: ${JSON.stringify(rep.verdicts)}, ${rep.disagreements} disagreements`);
    const u = usable[k % usable.length]!;
    const { p } = u;
    rep.mutants++;
    const m = mutate(rng, p.insns);
    const key = m ? `${p.name}|${hexOf(m.insns)}` : '';
    lap('mutate');
    if (!m || seen.has(key)) { rep.duplicates++; continue; }
    seen.add(key);
    const mp = mutantProgram(p, m);
    const safety = createSafetyChecker(p, { state: bitset, errors: resultCodes(), allocation: 'pooled' });
    const safe = safety.check(m.insns) === Violation.None;
    lap('safety');
    if (kernelOn && (safe || rng.int(8) === 0) && u.kernelJudges) {
      const kv = kernelVerdict(mp);
      if ('error' in kv) { rep.kernelSkipped[`verifier error: ${kv.error}`] = (rep.kernelSkipped[`verifier error: ${kv.error}`] ?? 0) + 1; }
      else {
      rep.kernelVerdictsCompared++;
      if (safe && !kv.accepted) rep.safetyAcceptedKernelRejected.push({ program: p.name, mutation: m.what, mutant: bytecode(m.insns), kernel: kv.reason });
      if (!safe && kv.accepted) rep.safetyRejectedKernelAccepted++;
      }
    }
    lap('kernelVerdict');
    if (!safe) { rep.rejectedBySafety++; continue; }
    const passes = passesTests(p, m.insns, u.tests);
    lap('tests');
    if (!passes) { rep.rejectedByTests++; continue; }
    const r = u.checker.check(m.insns, p.insns);
    if (r.ms > 5000) opts.progress?.(`slow query: ${p.name} (${m.what}) ${r.verdict} in ${(r.ms / 1000).toFixed(1)} s${u.checker.last?.reason ? `: ${u.checker.last.reason}` : ''}`);
    lap('z3');
    if (r.verdict === 'not-equal') rep.verdicts.notEqual++;
    else if (r.verdict === 'unsafe') rep.verdicts.unsafe++;
    else if (r.verdict === 'unknown') rep.verdicts.unknown++;
    if (r.verdict !== 'equal') continue;
    rep.verdicts.equal++;
    const fail = (d: Disagreement): void => {
      rep.disagreements++;
      if (rep.failures.length < 20) rep.failures.push({ program: p.name, mutation: m.what, original: bytecode(p.insns), mutant: bytecode(m.insns), disagreement: d });
      opts.progress?.(`DISAGREEMENT ${p.name} (${m.what}) in the ${d.where}: ${d.detail}; input ${d.inputHex}`);
    };
    const o = keptOutputs(k % usable.length);
    const viaKept = o ? disagreementWithOriginal(p, m.insns, o) : 'not comparable';
    const d = viaKept !== 'not comparable' ? viaKept : interpreterDisagreement(p, p.insns, m.insns, agreementInputs(p, new Rng(opts.seed + k), opts.inputs));
    lap('interpreter');
    if (d) { fail(d); continue; }
    const refusal = kernelRefusal(p);
    if (refusal || opts.kernelInputs === 0) { const why = refusal ?? 'kernel runs off'; rep.kernelSkipped[why] = (rep.kernelSkipped[why] ?? 0) + 1; continue; }
    rep.kernelChecked++;
    const kd = inKernel.compare(p, mp, new Rng(opts.seed + k), opts.kernelInputs);
    lap('kernelRuns');
    if (kd && 'error' in kd) rep.kernelSkipped[`kernel error: ${kd.error}`] = (rep.kernelSkipped[`kernel error: ${kd.error}`] ?? 0) + 1;
    else if (kd) fail(kd);
  }
  for (const u of usable) u.checker.dispose();
  inKernel.dispose();
  rep.ms = performance.now() - t0;
  return rep;
}

/** The search's cheap filter: the mutant matches the original on the 30 tests (where the original runs). */
function passesTests(p: Program, b: readonly Insn[], tests: readonly ReturnType<typeof generateInputs>[number][]): boolean {
  const sa = new Session(toRunnable(p));
  const sb = new Session(toRunnable({ ...p, insns: b.map((x) => ({ ...x })) }));
  for (const t of tests) {
    if (!sa.run(t)) continue;
    const exp = captureOutput(sa.machine);
    if (!sb.run(t) || outputError(sb.machine, exp, true, 1) !== 0) return false;
  }
  return true;
}

