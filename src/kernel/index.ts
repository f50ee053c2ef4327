/**
 * The optional kernel oracle: load programs into the Linux verifier, run them with
 * BPF_PROG_TEST_RUN, read and seed their maps. Imports from ebpf and interp only.
 */
export { loadProgram, close, TAIL_CALL_MARK, type Loaded, type Rejection, type LoadOptions } from './prog.js';
export { testRun, canTestRun, ETH_HLEN, type TestRunInput, type TestRunResult } from './testrun.js';
export { kernelUnavailableReason, requireKernel, KernelUnavailable, ORACLE_ENV } from './probe.js';
export { KernelError } from './attr.js';
export { readMaps, seedMaps } from './state.js';
