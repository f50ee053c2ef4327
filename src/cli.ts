/**
 * The one `k2lab` command: parses flags (yargs) and hands each subcommand to its module in
 * src/cli/. Bad input (InputError) and bad flags print one line on stderr and exit with status 2.
 */
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { asmCommand } from './cli/asm.js';
import { conformanceCommand } from './cli/conformance.js';
import { disasmCommand } from './cli/disasm.js';
import { microbenchCommand } from './cli/microbench.js';
import { runCommand } from './cli/run.js';
import { optimizeCommand } from './cli/optimize.js';
import { variantsCommand } from './cli/variants.js';
import { EXIT_BAD_INPUT, failWith } from './cli/common.js';

/** `--json -` means stdout; yargs would otherwise take a lone `-` as a positional argument. */
function joinDashValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json' && argv[i + 1] === '-') { out.push('--json=-'); i++; } else out.push(argv[i]!);
  }
  return out;
}

const cli: Argv = yargs(joinDashValues(hideBin(process.argv)))
  .scriptName('k2lab')
  .usage('$0 <command> [options]\n\nA performance-profiling research harness around a K2-style eBPF superoptimizer.')
  .command(disasmCommand)
  .command(asmCommand)
  .command(runCommand)
  .command(conformanceCommand)
  .command(microbenchCommand)
  .command(optimizeCommand)
  .command(variantsCommand)
  .command((await import('./cli/kernel-check.js')).kernelCheckCommand)
  .command((await import('./cli/corpus.js')).corpusCommand)
  .command((await import('./cli/difftest.js')).difftestCommand)
  .command((await import('./cli/kernel-time.js')).kernelTimeCommand)
  .command((await import('./cli/profile.js')).profileCommand)
  .command((await import('./cli/verify.js')).verifyCommand)
  .command((await import('./cli/soundness.js')).soundnessCommand)
  .command((await import('./cli/convert.js')).convertCommand)
  .command((await import('./cli/import-suite.js')).importSuiteCommand)
  .command((await import('./cli/bench.js')).benchCommand)
  .command((await import('./cli/compare.js')).compareCommand)
  .command((await import('./cli/merge.js')).mergeCommand)
  .command((await import('./cli/rules.js')).rulesCommand)
  .command((await import('./cli/history.js')).historyCommand)
  .demandCommand(1, 'name a command (see --help)')
  .strict()
  .recommendCommands()
  .help()
  .alias('h', 'help')
  .version(false)
  .wrap(Math.min(110, process.stdout.columns || 100))
  .fail((msg, err) => {
    // yargs' own validation errors (YError) are bad command lines; anything else came from a handler.
    if (err && err.name !== 'YError') failWith(err);
    process.stderr.write(`k2lab: ${(msg ?? err?.message ?? 'bad command line').replace(/\s*\n\s*/g, ' ')} (see k2lab --help)\n`);
    process.exit(EXIT_BAD_INPUT);
  });

try {
  await cli.parseAsync();
} catch (e) {
  failWith(e);
}
