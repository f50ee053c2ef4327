/**
 * What `k2lab profile` needs from a suite manifest (the format of ../shared/k2-suite/suite.json):
 * each benchmark's program file and timing iterations. Kept here rather than imported from
 * src/bench because nothing may import from bench/ (DESIGN.md §2).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from '../ebpf/errors.js';
import { repoRoot } from '../common/paths.js';

export interface ProfileBenchmark {
  name: string;
  /** Absolute path of the program (`insns`, or `object` for a clang .o). */
  program: string;
  iterationsTiming: number;
  fastMode: boolean;
  /** Absolute path of the manifest it came from (the optimizer's --params-from). */
  suite: string;
}

export const DEFAULT_SUITES: readonly string[] = [
  resolve(repoRoot, 'suites', 'builtin', 'suite.json'),
  resolve(repoRoot, '..', 'shared', 'k2-suite', 'suite.json'),
];

export function readSuite(file: string): ProfileBenchmark[] {
  const abs = resolve(file);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(abs, 'utf8'));
  } catch (e) {
    const why = e instanceof SyntaxError ? `not valid JSON (${e.message})` : `cannot read suite manifest (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    throw new InputError(`${file}: ${why}`);
  }
  const list = (data as { benchmarks?: unknown } | null)?.benchmarks;
  if (!Array.isArray(list) || list.length === 0) throw new InputError(`${file}: not a suite manifest (no "benchmarks" array)`);
  return list.map((b: unknown, i) => {
    const o = (typeof b === 'object' && b !== null ? b : {}) as Record<string, unknown>;
    if (typeof o.name !== 'string' || o.name === '') throw new InputError(`${file}: benchmarks[${i}] has no "name"`);
    const field = ['insns', 'object', 'program'].find((k) => typeof o[k] === 'string');
    if (field === undefined) throw new InputError(`${file}: benchmark '${o.name}': no program file ("insns" or "object")`);
    const it = o.iterations_timing;
    const iterationsTiming = typeof it === 'number' && it > 0 ? it : 1_000_000;
    return { name: o.name, program: resolve(dirname(abs), o[field] as string), iterationsTiming, fastMode: o.fast_mode === true, suite: abs };
  });
}

/**
 * The benchmarks to profile: `names` from `suiteFile`, or when no suite was named, from the first
 * default suite that has each (built-in, then K2's beside the repository). No names: the suite's
 * fast-mode subset, else its first benchmark.
 */
export function selectBenchmarks(suiteFile: string | undefined, names: readonly string[]): ProfileBenchmark[] {
  const suites = suiteFile !== undefined ? [suiteFile] : DEFAULT_SUITES.filter((s) => existsSync(s));
  if (suites.length === 0) throw new InputError(`no benchmark suite: neither ${DEFAULT_SUITES.join(' nor ')} exists; pass --suite FILE`);
  const loaded = suites.map((s) => ({ file: s, benches: readSuite(s) }));
  if (names.length === 0) {
    const first = loaded[0]!.benches;
    const fast = first.filter((b) => b.fastMode);
    return fast.length > 0 ? fast : first.slice(0, 1);
  }
  return names.map((n) => {
    for (const s of loaded) {
      const b = s.benches.find((x) => x.name === n);
      if (b) return b;
    }
    const have = loaded.map((s) => `${s.file}: ${s.benches.map((b) => b.name).join(', ')}`).join('; ');
    throw new InputError(`--bench: unknown benchmark '${n}' (${have})`);
  });
}

export function scaledIterations(b: ProfileBenchmark, scale: number): number {
  return Math.max(1, Math.round(b.iterationsTiming * scale));
}
