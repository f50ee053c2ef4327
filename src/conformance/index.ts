/**
 * conformance — the eBPF conformance vectors (bpf_conformance, ubpf `.data` files): reader, their
 * assembly dialect and the runner that checks the interpreter against them.
 * May import: ebpf, common, interp.
 */
export { runConformance, runConformanceFile, type ConformanceReport } from './run.js';
