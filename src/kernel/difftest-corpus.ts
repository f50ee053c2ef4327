/**
 * Differential testing of a whole folder of clang objects: every program of every `.o` is loaded,
 * interpreted on a few inputs (does it run without "unsupported"?) and, where the kernel can
 * test-run its type, difftested. One row per program with the reason for every non-result, as a
 * markdown table and CSV (`k2lab difftest DIR --corpus`).
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { objectsUnder } from '../common/files-under.js';
import { listElfPrograms } from '../ebpf/elf.js';
import { loadProgram } from '../ebpf/load.js';
import type { Program } from '../ebpf/program.js';
import { Session, defaultInput, toRunnable } from '../interp/run.js';
import { Rng } from '../common/rng.js';
import { difftest } from './difftest.js';
import { canTestRun, canTestRunProgram } from './testrun.js';

export interface CorpusRow {
  object: string;
  program: string;
  progType: string;
  /** 'ok', or why the program does not load or run in the interpreter. */
  interpreter: string;
  /** 'compared', 'not test-runnable', 'rejected by the verifier: …', 'error: …'. */
  kernel: string;
  inputs: number;
  mismatches: number;
  environmentDependent: number;
  environmentMismatches: number;
  ms: number;
}

export interface CorpusOptions {
  inputs: number;
  seed: number;
  maxLen?: number;
  /** Only objects whose path (relative to the folder) contains this. */
  filter?: string;
  /** false: interpret only (no kernel available). */
  kernel?: boolean;
}

/** Runs the interpreter on `n` random inputs of the program's default size: 'ok' or the first error that is not a memory fault. */
function interpretCheck(prog: Program, n: number, seed: number): string {
  const session = new Session(toRunnable(prog));
  const rng = new Rng(seed);
  for (let i = 0; i < n; i++) {
    const input = defaultInput(prog);
    if (i > 0) input.packet.set(rng.bytes(input.packet.length));
    session.run(input);
    const e = session.error;
    if (e && e.kind !== 'memory' && e.kind !== 'budget') return `${e.kind}: ${e.message}`;
  }
  return 'ok';
}

const oneLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!.replace(/^[^:]*\.o: /, '');

export function difftestCorpus(dir: string, opts: CorpusOptions, progress?: (row: CorpusRow) => void): CorpusRow[] {
  const rows: CorpusRow[] = [];
  for (const file of objectsUnder(dir)) {
    const object = relative(dir, file);
    if (opts.filter && !object.includes(opts.filter)) continue;
    let names: string[];
    try {
      names = listElfPrograms(new Uint8Array(readFileSync(file))).map((p) => p.name);
    } catch (e) {
      names = [];
      rows.push({ object, program: '-', progType: '-', interpreter: `does not load: ${oneLine(e)}`, kernel: '-', inputs: 0, mismatches: 0, environmentDependent: 0, environmentMismatches: 0, ms: 0 });
    }
    for (const name of names) {
      const t0 = Date.now();
      const row: CorpusRow = { object, program: name, progType: '-', interpreter: '', kernel: '-', inputs: 0, mismatches: 0, environmentDependent: 0, environmentMismatches: 0, ms: 0 };
      let prog: Program | undefined;
      try {
        prog = loadProgram(file, { section: name });
        row.progType = prog.progType ?? 'unknown';
        row.interpreter = interpretCheck(prog, 20, opts.seed);
      } catch (e) {
        row.interpreter = `does not load: ${oneLine(e)}`;
      }
      if (prog?.progType && !canTestRunProgram(prog)) row.kernel = canTestRun(prog.progType) ? `not test-runnable (${prog.section} XDP: the kernel's test run refuses devmap/cpumap programs)` : 'not test-runnable';
      else if (prog?.progType && row.interpreter === 'ok' && opts.kernel !== false) {
        try {
          const r = difftest(prog, { inputs: opts.inputs, seed: opts.seed, maxLen: opts.maxLen ?? 256, maxExamples: 1 });
          row.kernel = r.mismatches === 0 ? 'compared' : `mismatch: ${r.examples[0]?.differs.join(', ') ?? '?'}`;
          Object.assign(row, { inputs: r.inputs, mismatches: r.mismatches, environmentDependent: r.environmentDependent, environmentMismatches: r.environmentMismatches });
        } catch (e) {
          const why = oneLine(e);
          row.kernel = why.includes('rejected by the Linux verifier') ? `rejected by the verifier: ${why.replace(/^.*rejected by the Linux verifier: /, '')}` : `error: ${why}`;
        }
      }
      row.ms = Date.now() - t0;
      rows.push(row);
      progress?.(row);
    }
  }
  return rows;
}

const COLUMNS: (keyof CorpusRow)[] = ['object', 'program', 'progType', 'interpreter', 'kernel', 'inputs', 'mismatches', 'environmentDependent', 'environmentMismatches', 'ms'];

export function corpusCsv(rows: readonly CorpusRow[]): string {
  return stringify(rows.map((r) => COLUMNS.map((c) => r[c])), { header: true, columns: COLUMNS as string[] });
}

export function corpusMarkdown(rows: readonly CorpusRow[], opts: CorpusOptions): string {
  const compared = rows.filter((r) => r.inputs > 0);
  const interpOk = rows.filter((r) => r.interpreter === 'ok').length;
  const lines = [
    `# Interpreter vs. kernel over a corpus (${opts.inputs} inputs per program, seed ${opts.seed})`,
    '',
    `${rows.length} programs; ${interpOk} load and interpret without an unsupported feature; ${compared.length} difftested against BPF_PROG_TEST_RUN, ` +
      `${compared.filter((r) => r.mismatches === 0).length} with 0 mismatches; ` +
      `${compared.reduce((a, r) => a + r.mismatches, 0)} mismatches and ${compared.reduce((a, r) => a + r.environmentDependent, 0)} environment-dependent inputs in all.`,
    '',
    `| ${COLUMNS.join(' | ')} |`,
    `|${COLUMNS.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${COLUMNS.map((c) => String(r[c]).replace(/\|/g, '\\|')).join(' | ')} |`),
  ];
  return lines.join('\n') + '\n';
}
