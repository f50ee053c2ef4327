/**
 * passes — compiler passes before the search (issue #18 "cheap rewrites first"): dead code,
 * unreachable code, constant folding and propagation, redundant loads, copy propagation, store
 * merging and peepholes, iterated to a fixed point; every rewrite is checked by the safety checker
 * and proved by a Z3 window proof before it is applied, and each pass is credited separately.
 * May import: ebpf, common, interp, analysis, safety, search, verify.
 */
export { runPasses, PASS_NAMES, parsePassList, type PassCredit, type PassesOutcome, type PassesOptions } from './run.js';
export { PASSES } from './registry.js';
export { passesWithZ3, PASS_RLIMIT, type PassesRequest } from './session.js';
