/**
 * The optimize stage: one optimize run — the settings resolved once (variant set, z3, K2's
 * parameters, iteration or time bound), the passes before the search, the search in chains, the
 * output gate (compaction, final proof, safety, kernel verifier and kernel agreement), objects
 * written back or K2's files, and the RunReport. The CLI only parses flags and calls runOptimize.
 *
 * May import: ebpf, common, interp, analysis, safety, search, verify, rules, passes, kernel, variants.
 */
export { runOptimize } from './run.js';
export { makePlan, USER_DEFAULTS, DEFAULT_TIME_LIMIT_S, type OptimizeRequest, type Plan } from './plan.js';
export { compact, type Compaction } from './compact.js';
export { outputGate, kernelOf, GATE_INPUTS, type GateVerdict, type Verified } from './gate.js';
export { kernelAgreement, type Agreement } from './kernel-agree.js';
export { combinedDigest } from './chains.js';
