/**
 * verify — equivalence with Z3: the SMT encoding of eBPF, whole-program and window proofs,
 * counterexamples turned into test inputs, query caches, the WebAssembly and native solvers.
 * May import: ebpf, common, interp, analysis, safety, search.
 */
export { createZ3Checker, DEFAULT_RLIMIT } from './checker.js';
