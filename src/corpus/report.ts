/**
 * The corpus report's files: `report.csv` (one row per program, a status and a detail per stage)
 * and `report.md` (counts per stage, the failures grouped by reason, then the whole table).
 */
import { stringify } from 'csv-stringify/sync';
import { join } from 'node:path';
import { writeFileAtomic } from '../common/atomic-write.js';
import type { CorpusRow, Stage } from './run.js';

export const STAGES = ['load', 'disasm', 'interpret', 'kernel', 'difftest'] as const;

export function corpusCsv(rows: readonly CorpusRow[]): string {
  const header = ['object', 'program', 'section', 'prog_type', 'slots', ...STAGES.flatMap((s) => [s, `${s}_detail`])];
  return stringify([header, ...rows.map((r) => [r.object, r.program, r.section, r.progType, r.slots, ...STAGES.flatMap((s) => [r[s].status, r[s].detail])])]);
}

const cell = (s: string): string => s.replace(/\|/g, '\\|');
const mark = (st: Stage): string => (st.status === 'ok' ? 'ok' : st.status === 'fail' ? '**FAIL**' : '–');

/** A reason without the parts that differ per program (instruction numbers, counts), for grouping. */
function reasonClass(detail: string): string {
  return detail.replace(/instruction \d+/g, 'instruction N').replace(/\b\d+ of \d+\b/g, 'K of N').replace(/\(BTF id \d+\)/g, '').slice(0, 200);
}

export function corpusMarkdown(rows: readonly CorpusRow[], meta: { dir: string; command: string; date: string; kernel: string }): string {
  const out: string[] = [];
  out.push('# Real-world corpus: load → disassemble → interpret → kernel-check → difftest', '');
  out.push(`Folder \`${meta.dir}\`, ${new Set(rows.map((r) => r.object)).size} objects, ${rows.length} programs (every global function of every program section). Kernel ${meta.kernel}; ${meta.date}.`, '');
  out.push(`Reproduce: \`${meta.command}\``, '');
  out.push('| stage | ok | failed | not run |', '|---|---:|---:|---:|');
  for (const s of STAGES) {
    const n = (st: Stage['status']): number => rows.filter((r) => r[s].status === st).length;
    out.push(`| ${s} | ${n('ok')} | ${n('fail')} | ${n('skip')} |`);
  }
  out.push('', 'Stages: **load** (the ELF loader: linking, maps, global data, CO-RE against the running kernel\'s BTF, kfuncs); **disasm** (each linked function\'s bytes disassembled by k2lab, compared with `llvm-objdump-19 -d` after normalising its hex immediates and `<symbol>` annotations); **interpret** (the interpreter on seeded packets; failing = an input stopped with an error); **kernel** (`BPF_PROG_LOAD` as `k2lab kernel-check` does it); **difftest** (interpreter vs `BPF_PROG_TEST_RUN`, short; verifier-only types are not run).', '');
  for (const s of STAGES) {
    const failed = rows.filter((r) => r[s].status === 'fail');
    if (failed.length === 0) continue;
    out.push(`## ${s}: ${failed.length} failure(s) by reason`, '');
    const groups = new Map<string, CorpusRow[]>();
    for (const r of failed) {
      const k = reasonClass(r[s].detail);
      groups.set(k, [...(groups.get(k) ?? []), r]);
    }
    for (const [reason, list] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
      const names = list.map((r) => `${r.object.replace(/\.o$/, '')}:${r.program}`);
      out.push(`- ${list.length} × ${cell(reason)} — ${names.slice(0, 6).join(', ')}${names.length > 6 ? `, … (${names.length - 6} more)` : ''}`);
    }
    out.push('');
  }
  out.push('## Every program', '', '| object | program | type | slots | load | disasm | interpret | kernel | difftest |', '|---|---|---|---:|---|---|---|---|---|');
  for (const r of rows) {
    out.push(`| ${cell(r.object)} | ${cell(r.program)} | ${r.progType} | ${r.slots} | ${STAGES.map((s) => mark(r[s])).join(' | ')} |`);
  }
  out.push('', 'The reason for every failure and the detail of every stage are in `report.csv`.', '');
  return out.join('\n');
}

export function writeCorpusReport(dir: string, rows: readonly CorpusRow[], meta: Parameters<typeof corpusMarkdown>[1]): void {
  writeFileAtomic(join(dir, 'report.csv'), corpusCsv(rows), { mkdir: true });
  writeFileAtomic(join(dir, 'report.md'), corpusMarkdown(rows, meta), { mkdir: true });
}
