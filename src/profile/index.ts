/**
 * profile — V8 CPU profiles (and 0x / clinic) of `optimize` runs as separate processes: top
 * functions mapped to the TypeScript, where the time goes, flamegraphs, diffs between variant sets.
 * Nothing imports it except the CLI.
 * May import: ebpf, common, interp, analysis, safety, conformance, kernel, search, verify, rules, optimize, variants.
 */
export { runProfiles, runDiff } from './run.js';
