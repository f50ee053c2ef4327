/**
 * corpus — the real-programs report: every program section of every clang object under a folder
 * through load, disassembly (against llvm-objdump), interpretation, the kernel's verifier and a
 * short difftest, one row per program with the reason for every failure.
 * May import: ebpf, common, interp, kernel.
 */
export { runCorpus, objectsUnder, type CorpusRow, type CorpusOptions } from './run.js';
export { writeCorpusReport, corpusCsv, corpusMarkdown, STAGES } from './report.js';
