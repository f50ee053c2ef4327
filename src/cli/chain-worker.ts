/**
 * One chain of `optimize --chains N`, in its own worker thread: resolves the variant set, creates
 * its own equivalence checker (a Z3 instance per chain) and runs the search with its seed, then
 * posts the SearchResult, the checker's statistics and this thread's GC time back.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { InputError } from '../ebpf/errors.js';
import { testsOnly } from '../search/equivalence.js';
import { runSearch } from '../search/mcmc.js';
import { createChecker } from '../../variants/z3/index.js';
import { resolveVariants } from '../../variants/sets.js';
import type { ChainJob, ChainMessage } from './chains.js';

const job = workerData as ChainJob;
const post = (m: ChainMessage): void => parentPort!.postMessage(m);

async function main(): Promise<void> {
  const variants = resolveVariants(job.variantSet, job.overrides);
  const z3 = job.checker === 'z3' ? await createChecker(job.program, variants.z3, job.rlimit) : undefined;
  let gcMs = 0;
  const obs = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcMs += e.duration; });
  obs.observe({ entryTypes: ['gc'] });
  try {
    const result = runSearch(job.program, job.params, {
      seed: job.seed, variants, checker: z3 ?? testsOnly,
      ...(job.timeLimitMs !== undefined ? { timeLimitMs: job.timeLimitMs } : {}),
      ...(job.progress ? { onProgress: (p) => post({ kind: 'progress', iteration: p.iteration, bestPerf: p.bestPerf }) } : {}),
    });
    const endMs = performance.timeOrigin + performance.now();
    await new Promise((r) => setTimeout(r, 20)); // GC entries arrive once the event loop turns
    obs.disconnect();
    post({ kind: 'done', result, startMs: endMs - result.wallMs, endMs, gcMs, checkerName: (z3 ?? testsOnly).name, ...(z3 ? { z3: z3.stats } : {}) });
  } finally {
    z3?.dispose();
  }
}

main().catch((e: unknown) => post({ kind: 'error', message: e instanceof Error ? e.message : String(e), input: e instanceof InputError }));
