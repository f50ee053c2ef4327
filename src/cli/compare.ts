/**
 * `k2lab compare A B`: two result folders side by side (like pyperf's compare_to): per benchmark ×
 * variant set × profile, B's candidates/s over A's with a 95% CI and whether it is significant.
 */
import type { CommandModule } from 'yargs';
import { InputError } from '../ebpf/errors.js';

interface Args { a: string; b: string; csv: boolean; json: boolean }

export const compareCommand: CommandModule<object, Args> = {
  command: 'compare <a> <b>',
  describe: 'compare two result folders: ratio B/A of candidates/s with 95% CI, significant or not',
  builder: (y) => y
    .positional('a', { type: 'string', demandOption: true, describe: 'reference result folder (or its runs.csv)' })
    .positional('b', { type: 'string', demandOption: true, describe: 'result folder to compare with it' })
    .option('csv', { type: 'boolean', default: false, describe: 'CSV instead of markdown' })
    .option('json', { type: 'boolean', default: false, describe: 'JSON instead of markdown' })
    .example('$0 compare results/before results/after', '') as never,
  handler: async (a) => {
    if (a.csv && a.json) throw new InputError('--csv and --json: choose one');
    const { compareCsv, compareDirs, compareJson, compareMarkdown } = await import('../bench/compare.js');
    const r = compareDirs(a.a, a.b);
    process.stdout.write(a.json ? compareJson(r) : a.csv ? compareCsv(r) : compareMarkdown(r));
  },
};
