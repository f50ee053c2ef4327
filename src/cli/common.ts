/**
 * What every subcommand shares: the program-loading flags, one-line errors with exit status 2 for
 * bad input, and writing output files atomically (write a temporary file, then rename).
 */
import type { Argv } from 'yargs';
import { InputError } from '../ebpf/errors.js';

export const EXIT_BAD_INPUT = 2;

export function failWith(e: unknown): never {
  if (e instanceof InputError) {
    process.stderr.write(`k2lab: ${e.message}\n`);
    process.exit(EXIT_BAD_INPUT);
  }
  // Anything else is a bug in k2lab: keep the stack trace for the report.
  process.stderr.write(`k2lab: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(70);
}

/** Flags of every command that loads a program (DESIGN.md §3). */
export function withProgramFlags<T>(y: Argv<T>) {
  return y
    .option('prog-type', { type: 'string', describe: 'kernel program type (xdp, socket_filter, sched_cls, tracepoint, …); wins over the ELF section and suite.json' })
    .option('section', { type: 'string', describe: 'ELF section (program) to load from an object with several' });
}

export { writeFileAtomic } from '../common/atomic-write.js';
