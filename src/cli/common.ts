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

/** `--btf FILE` and `--map-size NAME=N` (repeatable): how a clang object's relocations and maps are resolved. */
export function withElfFlags<T>(y: Argv<T>) {
  return y
    .option('btf', { type: 'string', describe: 'BTF to resolve CO-RE relocations and kfuncs against (raw BTF or an object with .BTF; default /sys/kernel/btf/vmlinux)' })
    .option('map-size', { type: 'string', array: true, describe: 'NAME=N: max_entries of map NAME (maps declared with 0 get 1024, ring buffers 256 KiB, perf event arrays and cpumaps one per CPU)' });
}

/** The loader options of withElfFlags' flags; a malformed --map-size is bad input. */
export function elfOptions(a: { btf?: string; 'map-size'?: string[] }): { btf?: string; mapSizes?: Map<string, number> } {
  const out: { btf?: string; mapSizes?: Map<string, number> } = {};
  if (a.btf !== undefined) out.btf = a.btf;
  for (const spec of a['map-size'] ?? []) {
    const m = /^([^=]+)=(\d+)$/.exec(spec);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 0xffffffff) throw new InputError(`--map-size: expected NAME=N with N ≥ 1, got '${spec}'`);
    (out.mapSizes ??= new Map()).set(m[1]!, Number(m[2]));
  }
  return out;
}


