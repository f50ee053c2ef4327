/**
 * Benchmark suite manifests in the format of `../shared/k2-suite/suite.json` (DESIGN.md §7): which
 * suite is the default, validation with one-line errors naming the file, benchmark selection
 * (`--bench`, `--fast`) and iteration counts scaled by `--iterations-scale`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { InputError } from '../ebpf/errors.js';
import { repoRoot } from '../common/paths.js';

export interface SuiteBenchmark {
  name: string;
  /** Absolute path of the program file (`insns`, or `object` for a clang `.o`). */
  program: string;
  progType?: string;
  section?: string;
  /** The manifest's instruction count, when it gives one. */
  instructions?: number;
  iterationsTiming: number;
  fastMode: boolean;
}

export interface Suite {
  /** Absolute path of the manifest. */
  file: string;
  description: string;
  benchmarks: SuiteBenchmark[];
}

export const BUILTIN_SUITE = resolve(repoRoot, 'suites', 'builtin', 'suite.json');
export const K2_SUITE = resolve(repoRoot, '..', 'shared', 'k2-suite', 'suite.json');

/** The built-in suite when it exists, else K2's beside the repository, else a one-line error. */
export function defaultSuitePath(): string {
  if (existsSync(BUILTIN_SUITE)) return BUILTIN_SUITE;
  if (existsSync(K2_SUITE)) return K2_SUITE;
  throw new InputError(`no benchmark suite: neither ${rel(BUILTIN_SUITE)} nor ${rel(K2_SUITE)} exists; pass --suite FILE`);
}

function rel(p: string): string {
  const r = relative(process.cwd(), p);
  return r.startsWith('../..') ? p : r;
}

export function loadSuite(file: string): Suite {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new InputError(`${file}: cannot read suite manifest (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof data !== 'object' || data === null || !Array.isArray((data as { benchmarks?: unknown }).benchmarks)) {
    throw new InputError(`${file}: not a suite manifest (no "benchmarks" array)`);
  }
  const raw = (data as { benchmarks: unknown[]; description?: unknown }).benchmarks;
  if (raw.length === 0) throw new InputError(`${file}: "benchmarks" is empty`);
  const seen = new Set<string>();
  const benchmarks = raw.map((b, i) => parseBenchmark(file, dirname(abs), b, i, seen));
  const description = (data as { description?: unknown }).description;
  return { file: abs, description: typeof description === 'string' ? description : '', benchmarks };
}

function parseBenchmark(file: string, dir: string, b: unknown, i: number, seen: Set<string>): SuiteBenchmark {
  if (typeof b !== 'object' || b === null) throw new InputError(`${file}: benchmarks[${i}] is not an object`);
  const o = b as Record<string, unknown>;
  const name = o.name;
  if (typeof name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(name)) {
    throw new InputError(`${file}: benchmarks[${i}]: "name" must be a string of letters, digits, '.', '_' or '-' (got ${JSON.stringify(name)})`);
  }
  if (seen.has(name)) throw new InputError(`${file}: benchmark '${name}' appears twice`);
  seen.add(name);
  const where = `${file}: benchmark '${name}'`;
  const progField = ['insns', 'object', 'program'].find((k) => typeof o[k] === 'string');
  if (progField === undefined) throw new InputError(`${where}: no program file ("insns" or "object")`);
  const program = resolve(dir, o[progField] as string);
  if (!existsSync(program)) throw new InputError(`${where}: program file ${o[progField] as string} not found`);
  const it = o.iterations_timing;
  if (typeof it !== 'number' || !Number.isInteger(it) || it <= 0) throw new InputError(`${where}: "iterations_timing" must be a positive integer (got ${JSON.stringify(it)})`);
  if (o.k2_params !== undefined && (typeof o.k2_params !== 'object' || o.k2_params === null)) throw new InputError(`${where}: "k2_params" must be an object`);
  const out: SuiteBenchmark = { name, program, iterationsTiming: it, fastMode: o.fast_mode === true };
  if (typeof o.kernel_prog_type === 'string') out.progType = o.kernel_prog_type;
  if (typeof o.section === 'string') out.section = o.section;
  if (typeof o.instructions === 'number') out.instructions = o.instructions;
  return out;
}

export interface Selection {
  benchmarks: SuiteBenchmark[];
  /** A note for stderr when the selection had to fall back (e.g. no fast-mode subset). */
  note?: string;
}

/** `--bench` names (in the order given) or `--fast` (the fast-mode subset) or every benchmark. */
export function selectBenchmarks(suite: Suite, names: readonly string[] | undefined, fast: boolean): Selection {
  if (names && names.length > 0) {
    return {
      benchmarks: names.map((n) => {
        const b = suite.benchmarks.find((x) => x.name === n);
        if (!b) throw new InputError(`--bench: unknown benchmark '${n}' (${suite.file} has: ${suite.benchmarks.map((x) => x.name).join(', ')})`);
        return b;
      }),
    };
  }
  if (!fast) return { benchmarks: suite.benchmarks };
  const marked = suite.benchmarks.filter((b) => b.fastMode);
  if (marked.length > 0) return { benchmarks: marked };
  return { benchmarks: suite.benchmarks.slice(0, 3), note: `${suite.file} marks no fast_mode benchmarks: --fast uses the first ${Math.min(3, suite.benchmarks.length)}` };
}

/** iterations_timing × scale, rounded, at least 1. */
export function scaledIterations(b: SuiteBenchmark, scale: number): number {
  return Math.max(1, Math.round(b.iterationsTiming * scale));
}
