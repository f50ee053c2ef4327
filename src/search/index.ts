/**
 * search — the MCMC core: test inputs, proposals, costs (error and performance, whole program or
 * window), Metropolis–Hastings acceptance, the trajectory digest and the RunReport of one run.
 * The variant axes it calls are interfaces here; their implementations live in variants/.
 * May import: ebpf, common, interp, analysis, safety.
 */
export { runSearch, type SearchResult } from './mcmc.js';
export { buildReport, type RunReport } from './run-report.js';
export { type VariantSet } from './variants.js';
