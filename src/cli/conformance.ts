/** `k2lab conformance DIR...`: run the eBPF conformance data-file vectors found under the folders. */
import type { CommandModule } from 'yargs';
import { findConformanceFiles } from '../conformance/parse.js';
import { runConformance } from '../conformance/run.js';

interface Args { dirs: string[]; json: boolean; verbose: boolean }

export const conformanceCommand: CommandModule<object, Args> = {
  command: 'conformance <dirs..>',
  describe: 'run conformance test vectors (.data files, searched recursively): pass / fail / skip with reasons',
  builder: (y) => y
    .positional('dirs', { type: 'string', array: true, demandOption: true, describe: 'folders (or .data files)' })
    .option('json', { type: 'boolean', default: false, describe: 'print { passed, failed, skipped, results: [{ file, status, reason }] }' })
    .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'list passing files too' })
    .example('$0 conformance ../shared/conformance', '') as never,
  handler: (a) => {
    const files = findConformanceFiles(a.dirs);
    const report = runConformance(files, process.cwd());
    if (a.json) {
      process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    } else {
      for (const r of report.results) {
        if (r.status !== 'pass' || a.verbose) process.stdout.write(`${r.status.toUpperCase().padEnd(4)} ${r.file}: ${r.reason}\n`);
      }
      process.stdout.write(`conformance: ${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped (${files.length} files)\n`);
    }
    if (report.failed > 0) process.exitCode = 1;
  },
};
