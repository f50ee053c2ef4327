/**
 * `k2lab import-suite DIR --out DEST`: a folder of K2 benchmark inputs → DEST/programs + DEST/suite.json
 * (the manifest format of the built-in suite), with parameters from K2's run script when given.
 * scripts/fetch-k2-suite.sh runs it on a fresh clone of K2's published inputs.
 */
import type { CommandModule } from 'yargs';
import { importK2Suite } from '../bench/k2-import.js';

interface Args { dir: string; out: string; 'k2-script'?: string; 'compaction-script'?: string; description?: string; provenance?: string[] }

export const importSuiteCommand: CommandModule<object, Args> = {
  command: 'import-suite <dir>',
  describe: 'turn a folder of K2 .insns/.maps/.desc inputs into a suite (DEST/programs, DEST/suite.json)',
  builder: (y) => y
    .positional('dir', { type: 'string', demandOption: true, describe: 'folder of K2 inputs (searched recursively without --k2-script)' })
    .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'destination folder' })
    .option('k2-script', { type: 'string', describe: "K2 run script (bm_default.sh form): benchmark names, sources, K2 flags, -n, fast subset" })
    .option('compaction-script', { type: 'string', describe: 'a script of the same form whose -n values become iterations_compaction' })
    .option('description', { type: 'string', describe: 'the manifest description' })
    .option('provenance', { type: 'string', array: true, describe: 'KEY=TEXT provenance entries (repeatable)' })
    .example('$0 import-suite superopt-input-bm/input_bm_0108_ab7e41e --k2-script bm_default.sh --out k2-suite', '') as never,
  handler: (a) => {
    const provenance = a.provenance === undefined ? undefined : Object.fromEntries(a.provenance.map((p) => {
      const i = p.indexOf('=');
      return i < 0 ? [p, ''] : [p.slice(0, i), p.slice(i + 1)];
    }));
    const r = importK2Suite(a.dir, a.out, {
      ...(a['k2-script'] !== undefined ? { script: a['k2-script'] } : {}),
      ...(a['compaction-script'] !== undefined ? { compactionScript: a['compaction-script'] } : {}),
      ...(a.description !== undefined ? { description: a.description } : {}),
      ...(provenance !== undefined ? { provenance } : {}),
    });
    process.stdout.write(`${r.suiteFile}: ${r.benchmarks} benchmarks\n`);
  },
};
