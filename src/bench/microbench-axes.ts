/**
 * `k2lab microbench --axis A`: each implementation of a hot-path axis on its own hot path, in
 * isolation (tinybench), over a set of programs — safety-state: the safety check of a candidate;
 * allocation: one candidate's evaluation on 30 tests; errors: an unsafe and a failing candidate;
 * dispatch: one candidate prepared (afresh) and run on 30 inputs; z3: one whole-program equivalence query
 * per program (each against itself; with the cache, every repeat is a hit). Ratios are to the baseline.
 */
import { Bench } from 'tinybench';
import type { Insn } from '../ebpf/insn.js';
import type { Program } from '../ebpf/program.js';
import { Session, toRunnable } from '../interp/run.js';
import { createSafetyChecker } from '../safety/checker.js';
import { Evaluator, newCounters } from '../search/cost.js';
import { testsOnly } from '../search/equivalence.js';
import { generateInputs } from '../search/inputs.js';
import { stream, STREAM } from '../search/mcmc.js';
import { K2_DEFAULTS } from '../search/params.js';
import type { Axis, VariantSet } from '../search/variants.js';
import type { Z3Checker } from '../verify/checker.js';
import { BASELINE, IMPLEMENTATIONS, resolveVariants } from '../../variants/sets.js';
import { createChecker, nativeAvailable } from '../../variants/z3/index.js';
import { Opcode, opByName } from '../ebpf/opcodes.js';

export interface AxisBenchRow {
  axis: Axis;
  impl: string;
  baseline: boolean;
  /** Operations per second (one operation = the axis' hot path over every program once). */
  opsPerSecond: number;
  rmePercent: number;
  /** ops/s relative to the baseline implementation of the axis. */
  ratio: number;
}

/** A candidate that the safety checker rejects late (r0 read after r0 was clobbered by a call). */
function unsafeVariant(insns: readonly Insn[]): Insn[] {
  const out = insns.slice();
  const exit = out.map((x) => x.op).lastIndexOf(Opcode.EXIT);
  if (exit > 0) out[exit - 1] = { op: opByName('mov64_reg').opcode, dst: 0, src: 9, off: 0, imm: 0 }; // r0 = r9 (never written)
  return out;
}

type Task = () => void;

function taskFor(axis: Axis, v: VariantSet, programs: readonly Program[]): Task {
  const pooled = v.allocation.pooled ? 'pooled' : 'fresh';
  if (axis === 'safety-state') {
    const checkers = programs.map((p) => ({ c: createSafetyChecker(p, { state: v.safetyState, errors: v.errors, allocation: pooled }), insns: p.insns }));
    return () => { for (const { c, insns } of checkers) c.check(insns); };
  }
  if (axis === 'dispatch') {
    const jobs = programs.map((p) => {
      const base = toRunnable(p);
      const session = new Session(base);
      return { p, session, inputs: generateInputs(p, stream(1, STREAM.inputs)) };
    });
    return () => {
      for (const j of jobs) {
        // Reuse follows the allocation axis (baseline: fresh), so `compiled` pays its full compile here.
        j.session.code = v.dispatch.prepare(j.p.insns, v.allocation.pooled ? j.session.code : undefined);
        for (const input of j.inputs) j.session.run(input);
      }
    };
  }
  const evaluators = programs.map((p) => {
    const ev = new Evaluator(p, K2_DEFAULTS, v, createSafetyChecker(p, { state: v.safetyState, errors: v.errors, allocation: pooled }), testsOnly, newCounters());
    for (const input of generateInputs(p, stream(1, STREAM.inputs))) ev.addTest(input);
    return { ev, insns: p.insns, bad: unsafeVariant(p.insns) };
  });
  if (axis === 'errors') return () => { for (const e of evaluators) e.ev.evaluate(e.bad); };
  return () => { for (const e of evaluators) e.ev.evaluate(e.insns); };
}

/** The z3 task and its checkers (one per program, created asynchronously: the solvers load so). */
async function z3Task(v: VariantSet, programs: readonly Program[]): Promise<{ task: Task; dispose: () => void }> {
  const checkers: { c: Z3Checker; insns: readonly Insn[] }[] = [];
  for (const p of programs) checkers.push({ c: await createChecker(p, v.z3), insns: p.insns });
  return { task: () => { for (const { c, insns } of checkers) c.check(insns, insns); }, dispose: () => { for (const { c } of checkers) c.dispose(); } };
}

/**
 * Measures the implementations of `axis` (all, or those in `only`) in this process. Several in one
 * process share the checker's and evaluator's call sites, which then turn polymorphic and bias the
 * later ones: the CLI measures one implementation per child process unless told otherwise.
 */
export async function benchAxis(axis: Axis, programs: readonly Program[], timeMs: number, only?: readonly string[]): Promise<AxisBenchRow[]> {
  // A Z3 query takes milliseconds to seconds: a few samples, not tinybench's default 64.
  const bench = new Bench({ time: timeMs, warmupTime: Math.min(300, timeMs), ...(axis === 'z3' ? { iterations: 3, warmupIterations: 1, warmupTime: 0 } : {}) });
  const disposers: (() => void)[] = [];
  for (const impl of Object.keys(IMPLEMENTATIONS[axis]).filter((i) => !only || only.includes(i))) {
    const v = resolveVariants('k2-baseline', [`${axis}=${impl}`]);
    if (axis !== 'z3') { bench.add(impl, taskFor(axis, v, programs)); continue; }
    if (v.z3.impl === 'native-process' && !nativeAvailable()) continue; // no z3 binary here
    const t = await z3Task(v, programs);
    disposers.push(t.dispose);
    bench.add(impl, t.task);
  }
  try { await bench.run(); } finally { for (const d of disposers) d(); }
  const rows = bench.tasks.map((t) => {
    const r = t.result;
    if (r.state !== 'completed') throw new Error(`microbench ${axis}=${t.name} did not complete (${r.state})`);
    return { axis, impl: t.name, baseline: t.name === BASELINE[axis], opsPerSecond: r.throughput.mean, rmePercent: r.throughput.rme, ratio: 1 };
  });
  return withRatios(rows);
}

/** Sets each row's ratio to its axis' baseline row (rows of several axes allowed). */
export function withRatios(rows: AxisBenchRow[]): AxisBenchRow[] {
  for (const r of rows) {
    const base = rows.find((b) => b.axis === r.axis && b.baseline) ?? rows.find((b) => b.axis === r.axis)!;
    r.ratio = r.opsPerSecond / base.opsPerSecond;
  }
  return rows;
}
