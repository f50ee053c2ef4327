/**
 * cli — the `k2lab` command (yargs): one thin module per subcommand that parses flags, calls the
 * stages and prints; bad input is one line on stderr and exit 2 (common.ts). src/cli.ts wires them.
 * May import: ebpf, common, interp, analysis, safety, conformance, kernel, search, verify, rules, optimize, variants, soundness, corpus, bench, profile.
 */
export { failWith, EXIT_BAD_INPUT } from './common.js';
