/**
 * `k2lab compare A B`: two result folders side by side (like pyperf's compare_to): per benchmark ×
 * variant set × profile, B's candidates/s over A's with a 95% CI and whether it is significant.
 */
import type { CommandModule } from 'yargs';
import { InputError } from '../ebpf/errors.js';

interface Args { a: string; b: string; csv: boolean; json: boolean; 'fail-above'?: number }

export const compareCommand: CommandModule<object, Args> = {
  command: 'compare <a> <b>',
  describe: 'compare two result folders: ratio B/A of candidates/s with 95% CI, significant or not',
  builder: (y) => y
    .positional('a', { type: 'string', demandOption: true, describe: 'reference result folder (or its runs.csv)' })
    .positional('b', { type: 'string', demandOption: true, describe: 'result folder to compare with it' })
    .option('csv', { type: 'boolean', default: false, describe: 'CSV instead of markdown' })
    .option('json', { type: 'boolean', default: false, describe: 'JSON instead of markdown' })
    .option('fail-above', { type: 'number', describe: 'regression gate: exit 1 when any benchmark is significantly slower in B by more than PCT percent beyond the A/A floor' })
    .example('$0 compare results/before results/after', '')
    .example('$0 compare results/main results/branch --fail-above 5', 'pre-merge check: fail on a slow-down of more than 5% beyond the noise floor') as never,
  handler: async (a) => {
    if (a.csv && a.json) throw new InputError('--csv and --json: choose one');
    const pct = a['fail-above'];
    if (pct !== undefined && !(Number.isFinite(pct) && pct >= 0)) throw new InputError(`--fail-above: expected a percentage ≥ 0, got ${pct}`);
    const { compareCsv, compareDirs, compareJson, compareMarkdown, regressionLine, regressions } = await import('../bench/compare.js');
    const r = compareDirs(a.a, a.b);
    process.stdout.write(a.json ? compareJson(r) : a.csv ? compareCsv(r) : compareMarkdown(r));
    if (pct === undefined) return;
    if (r.rows.length === 0) throw new InputError(`--fail-above: ${a.a} and ${a.b} have no benchmark × variant set × profile in common: nothing to gate`);
    const bad = regressions(r, pct);
    for (const x of bad) process.stderr.write(`k2lab compare: regression: ${regressionLine(x, pct)}\n`);
    if (bad.length === 0) process.stderr.write(`k2lab compare: no benchmark slower by more than ${pct}% beyond the A/A floor (${r.rows.length} compared)\n`);
    process.exitCode = bad.length ? 1 : 0;
  },
};
