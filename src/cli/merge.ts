/**
 * `k2lab merge DIR… --out D`: combine the result folders of a sharded sweep (`bench --shard I/N`)
 * into one folder with every output rebuilt, as if the sweep had run in one place.
 */
import { relative } from 'node:path';

const displayPath = (p: string): string => { const r = relative(process.cwd(), p); return r === '' ? '.' : r.startsWith('..') ? p : r; };
import type { CommandModule } from 'yargs';

interface Args { dirs: string[]; out: string }

export const mergeCommand: CommandModule<object, Args> = {
  command: 'merge <dirs..>',
  describe: 'combine result folders of one sweep (its shards) into one',
  builder: (y) => y
    .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'result folders (shards of one sweep)' })
    .option('out', { type: 'string', demandOption: true, describe: 'merged result folder' })
    .example('$0 merge results/run/shard-* --out results/run/merged', '') as never,
  handler: async (a) => {
    const { mergeSweeps } = await import('../bench/merge.js');
    const { floorLine, studyTable } = await import('../bench/result-files.js');
    const r = await mergeSweeps(a.dirs.map(String), a.out);
    const rel = displayPath(r.dir);
    for (const s of r.sources) process.stderr.write(`k2lab merge: ${s.dir}: ${s.runs} run(s)\n`);
    process.stdout.write(`${studyTable(r.outputs.analysis)}${floorLine(r.outputs.analysis)}\nmerged ${r.outputs.records.length} run(s) into ${rel}/\n`);
    if (r.outputs.missing > 0) process.stdout.write(`${r.outputs.missing} planned run(s) missing (a shard incomplete?): k2lab bench --resume ${rel}\n`);
  },
};
