/**
 * bench — the benchmark runner (suite, plan, child processes, statistics, tables, charts, reports,
 * shards and merges) and the micro-benchmarks. It drives `optimize` as separate processes and reads
 * their RunReports; nothing imports it except the CLI.
 * May import: ebpf, common, interp, analysis, safety, conformance, kernel, search, verify, rules, optimize, variants.
 */
export { runSweep } from './sweep.js';
