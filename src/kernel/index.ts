/**
 * kernel — the optional kernel oracle: load programs into the Linux verifier, run them with
 * BPF_PROG_TEST_RUN, read and seed their maps, time them. The oracle itself uses ebpf and common;
 * difftest and the conformance check run the interpreter (and the vector reader) as the other side.
 * May import: ebpf, common, interp, conformance.
 */
export { loadProgram, close, TAIL_CALL_MARK, type Loaded, type Rejection, type LoadOptions } from './prog.js';
export { testRun, canTestRun, ETH_HLEN, type TestRunInput, type TestRunResult } from './testrun.js';
export { kernelUnavailableReason, requireKernel, KernelUnavailable, ORACLE_ENV } from './probe.js';
export { KernelError } from './attr.js';
export { readMaps, seedMaps } from './state.js';
