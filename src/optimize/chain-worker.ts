/**
 * One chain in its own worker thread: rebuilds the variant set its parent resolved, creates its own
 * equivalence checker (a Z3 instance per chain, bounded by the run's deadline when it has one) and
 * runs the search with its seed — applying the run's rule snapshot at its window switches, each
 * application proved by a Z3 of its own — then posts the SearchResult, the checker's statistics,
 * this thread's GC time and (for the rule database) the rules it applied and the window rewrites
 * it proved back.
 */
import { startGcClock } from '../common/gc.js';
import { parentPort, workerData } from 'node:worker_threads';
import { InputError } from '../ebpf/errors.js';
import { testsOnly } from '../search/equivalence.js';
import { runSearch, type ProvedRewrite } from '../search/mcmc.js';
import { createChecker, createZ3Impl, type Deadline } from '../../variants/z3/index.js';
import { withDeadline } from '../../variants/z3/deadline.js';
import { safetyPredicate } from '../rules/run.js';
import { snapshotOf, windowRewriter, type WindowRewriter } from '../rules/snapshot.js';
import { createZ3Checker, type Z3Impl } from '../verify/checker.js';
import { variantSetOf } from '../../variants/sets.js';
import type { ChainJob, ChainMessage } from './chains.js';

const job = workerData as ChainJob;
const post = (m: ChainMessage): void => parentPort!.postMessage(m);

async function main(): Promise<void> {
  const variants = variantSetOf(job.variantSet, job.variantSpec);
  const stop = job.stop ? new Int32Array(job.stop) : undefined;
  const deadline = job.deadlineAt !== undefined || stop ? (): number | undefined => (stop && Atomics.load(stop, 0) !== 0 ? 0 : job.deadlineAt) : undefined;
  const z3 = job.z3 ? await createChecker(job.program, job.z3, job.rlimit, deadline) : undefined;
  const rules = job.rules && job.z3 ? await rulesRewriter(job.z3.impl, deadline) : undefined;
  const gc = startGcClock();
  const rewrites: ProvedRewrite[] = [];
  try {
    const result = runSearch(job.program, job.params, {
      seed: job.seed, variants, checker: z3 ?? testsOnly, ...(job.windows ? { windows: job.windows } : {}), ...(job.portfolio ? { portfolio: true } : {}),
      ...(job.start ? { start: job.start } : {}), ...(rules ? { rewriteWindow: rules.rewriter.rewriteWindow } : {}),
      ...(job.collectRewrites ? { onProvedRewrite: (r: ProvedRewrite) => { rewrites.push({ ...r, start: r.start.map((x) => ({ ...x })), rewritten: r.rewritten.map((x) => ({ ...x })) }); } } : {}),
      ...(job.searchEndAt !== undefined ? { timeLimitMs: Math.max(1, job.searchEndAt - Date.now()) } : {}),
      ...(stop ? { stop } : {}),
      ...(job.progress ? { onProgress: (p) => post({ kind: 'progress', iteration: p.iteration, bestPerf: p.bestPerf }), progressEvery: 64 } : {}),
    });
    const endMs = performance.timeOrigin + performance.now();
    const gcMs = await gc.stop();
    post({ kind: 'done', result, startMs: endMs - result.wallMs, endMs, gcMs, checkerName: (z3 ?? testsOnly).name, ...(z3 ? { z3: z3.stats } : {}), ...(job.collectRewrites ? { rewrites } : {}), ...(rules ? { rulesDuring: rules.rewriter.during } : {}) });
  } finally {
    z3?.dispose();
    rules?.impl.dispose();
  }
}

/** The rule snapshot's window-switch hook, on its own Z3 (bounded by the run's deadline like the search's). */
async function rulesRewriter(choice: NonNullable<ChainJob['z3']>['impl'], deadline: Deadline | undefined): Promise<{ rewriter: WindowRewriter; impl: Z3Impl }> {
  const base = await createZ3Impl(choice);
  const impl = deadline ? withDeadline(base, deadline) : base;
  const checker = createZ3Checker(job.program, { impl, cache: false, ...(job.rlimit !== undefined ? { rlimit: job.rlimit } : {}) });
  const safe = safetyPredicate(job.program, variantSetOf(job.variantSet, job.variantSpec));
  const rewriter = windowRewriter(job.program, snapshotOf(job.rules ?? []), { safe, checker, ...(job.rulesTried ? { skip: job.rulesTried } : {}) });
  return { rewriter, impl };
}

main().catch((e: unknown) => post({ kind: 'error', message: e instanceof Error ? e.message : String(e), input: e instanceof InputError }));
