/**
 * `k2lab corpus DIR --out DIR`: every program of every clang object under DIR through load →
 * disassemble (vs llvm-objdump-19) → interpret → kernel-check → difftest, written as report.md and
 * report.csv with the reason for every failure. Exit 0 even when programs fail (the report is the
 * result); bad flags or an empty folder are bad input (exit 2).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { CommandModule } from 'yargs';
import { InputError } from '../ebpf/errors.js';
import { runCorpus } from '../corpus/run.js';
import { STAGES, writeCorpusReport } from '../corpus/report.js';
import { elfOptions, withElfFlags } from './common.js';

interface Args { dir: string; out: string; inputs: number; difftest: number; seed: number; btf?: string; 'map-size'?: string[]; quiet: boolean }

export const corpusCommand: CommandModule<object, Args> = {
  command: 'corpus <dir>',
  describe: 'run every program of a folder of clang objects through load, disassembly, interpreter, kernel-check and difftest; write report.md + report.csv',
  builder: (y) => withElfFlags(y)
    .positional('dir', { type: 'string', demandOption: true, describe: 'folder searched recursively for .o files' })
    .option('out', { type: 'string', demandOption: true, describe: 'folder for report.md and report.csv' })
    .option('inputs', { type: 'number', default: 8, describe: 'seeded interpreter inputs per program' })
    .option('difftest', { type: 'number', default: 200, describe: 'difftest inputs per test-runnable program (0: skip)' })
    .option('seed', { type: 'number', default: 1 })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress on stderr' })
    .example('$0 corpus ../shared/real-world/objs --out results/real-world', '') as never,
  handler: (a) => {
    if (!existsSync(a.dir) || !statSync(a.dir).isDirectory()) throw new InputError(`${a.dir}: no such folder`);
    for (const [flag, v] of [['--inputs', a.inputs], ['--difftest', a.difftest], ['--seed', a.seed]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new InputError(`${flag}: expected a whole number ≥ 0, got ${v}`);
    }
    const rows = runCorpus(a.dir, {
      inputs: a.inputs, difftestInputs: a.difftest, seed: a.seed, ...elfOptions(a),
      ...(a.quiet ? {} : { progress: (m: string) => process.stderr.write(`corpus: ${m}\n`) }),
    });
    let kernel = 'unknown';
    try { kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(); } catch { /* not Linux */ }
    const command = `k2lab corpus ${a.dir} --out ${a.out} --inputs ${a.inputs} --difftest ${a.difftest} --seed ${a.seed}${a.btf ? ` --btf ${a.btf}` : ''}${(a['map-size'] ?? []).map((m) => ` --map-size ${m}`).join('')}`;
    writeCorpusReport(a.out, rows, { dir: a.dir, command, date: new Date().toISOString().slice(0, 10), kernel });
    const summary = STAGES.map((s) => `${s} ${rows.filter((r) => r[s].status === 'ok').length}/${rows.length}`).join(', ');
    process.stdout.write(`${rows.length} programs: ${summary} ok; ${a.out}/report.md, ${a.out}/report.csv\n`);
  },
};
