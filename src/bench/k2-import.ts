/**
 * Turns a folder of K2 benchmark inputs (`.insns/.maps/.desc`, e.g. a clone of K2's published
 * superopt-input-bm) into a suite in the format of `../shared/k2-suite/suite.json`: the programs
 * copied to `DEST/programs/`, and `DEST/suite.json` with K2 parameters read from K2's own run script
 * (the `bm_default.sh` form: `bm_file=…`, `output_dir=…/NAME/…`, `k2_cmd="… --flag value …"`).
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { makeDirs, writeFileAtomic } from '../common/atomic-write.js';
import { InputError } from '../ebpf/errors.js';
import { loadProgram } from '../ebpf/load.js';
import { parseDescFile } from '../ebpf/k2-files.js';

/** The `k2_params` keys of a suite manifest, in K2's command-line order. */
export const K2_PARAM_KEYS = [
  'k', 'is_win', 'w_e', 'w_p', 'st_ex', 'st_eq', 'st_avg', 'st_perf', 'st_when_to_restart', 'st_when_to_restart_niter',
  'st_start_prog', 'p_inst_operand', 'p_inst', 'p_inst_as_nop', 'reset_win_niter', 'win_s_list', 'win_e_list',
] as const;

type ParamValue = number | boolean | number[];

export interface ScriptBenchmark {
  name: string;
  /** Program path prefix relative to the input folder (the script's `${bm_file_prefix}` removed). */
  source: string;
  params: Record<string, ParamValue>;
  iterations: number;
  fastMode: boolean;
}

/** Reads K2 command lines from a run script in the bm_default.sh form. */
export function parseK2Script(text: string, file: string): ScriptBenchmark[] {
  const out: ScriptBenchmark[] = [];
  let source: string | undefined;
  let name: string | undefined;
  let fast = true; // benchmarks before the script's `if [ $fast_mode -eq 1 ] … exit` are its fast subset
  let sawFastExit = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (/^if\s+\[\s*"?\$\{?fast_mode\}?"?\s+-eq\s+1\s*\]/.test(line)) { fast = false; sawFastExit = true; continue; }
    const bm = /^bm_file=["']?(?:\$\{?bm_file_prefix\}?)?([^"'\s]+)["']?$/.exec(line);
    if (bm) { source = bm[1]!; continue; }
    const od = /^output_dir=["']?\$\{?output_prefix\}?\/([^/"']+)\//.exec(line);
    if (od) { name = od[1]!; continue; }
    const cmd = /^k2_cmd=["'](.*)["']$/.exec(line);
    if (!cmd) continue;
    if (source === undefined || name === undefined) throw new InputError(`${file}: a k2_cmd line comes before its bm_file= and output_dir= lines`);
    const { params, iterations } = parseK2Flags(cmd[1]!, `${file}: ${name}`);
    if (out.some((b) => b.name === name)) throw new InputError(`${file}: benchmark '${name}' appears twice`);
    out.push({ name, source, params, iterations, fastMode: fast });
    source = undefined;
    name = undefined;
  }
  if (out.length === 0) throw new InputError(`${file}: no K2 command lines (expected bm_file=, output_dir= and k2_cmd= lines)`);
  // No fast-mode cut in the script: mark nothing rather than everything.
  if (!sawFastExit) for (const b of out) b.fastMode = false;
  return out;
}

function parseK2Flags(cmd: string, where: string): { params: Record<string, ParamValue>; iterations: number } {
  const tokens = cmd.split(/\s+/).filter((t) => t !== '');
  const params: Record<string, ParamValue> = {};
  let iterations: number | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const m = /^--?([a-z_]+)$/.exec(tokens[i]!);
    if (!m) continue;
    const key = m[1]!;
    const next = tokens[i + 1];
    const hasValue = next !== undefined && !next.startsWith('-');
    if (key === 'n') {
      iterations = hasValue ? Number(next) : Number.NaN;
      if (!Number.isInteger(iterations) || iterations <= 0) throw new InputError(`${where}: -n must be a positive integer (got ${next})`);
      i++;
      continue;
    }
    if (!(K2_PARAM_KEYS as readonly string[]).includes(key)) { if (hasValue) i++; continue; }
    if (!hasValue) { params[key] = true; continue; }
    i++;
    if (key === 'win_s_list' || key === 'win_e_list') {
      const list = next!.split(',').map(Number);
      if (list.some((x) => !Number.isInteger(x))) throw new InputError(`${where}: --${key} '${next}' is not a list of integers`);
      params[key] = list;
    } else {
      const v = Number(next);
      if (!Number.isFinite(v)) throw new InputError(`${where}: --${key} '${next}' is not a number`);
      params[key] = v;
    }
  }
  if (iterations === undefined) throw new InputError(`${where}: the K2 command has no -n`);
  if (!('is_win' in params)) params['is_win'] = false;
  return { params, iterations };
}

/** The kernel program type a K2 input was compiled for, from its path (K2's files do not record it). */
export function guessProgType(source: string, pgmInputType: number): string | null {
  const s = source.toLowerCase();
  if (/tracepoint|sys_enter|sys_exit|syscall_tp/.test(s)) return 'tracepoint';
  if (/socket|sockex/.test(s)) return 'socket_filter';
  if (/xdp/.test(s) || pgmInputType === 2) return 'xdp';
  return null;
}

export interface ImportOptions {
  /** K2 run script whose command lines give names, parameters, iterations and the fast subset. */
  script?: string;
  /** A second script of the same form whose `-n` values are the instruction-count (compaction) runs. */
  compactionScript?: string;
  description?: string;
  provenance?: Record<string, string>;
}

export interface ImportResult { suiteFile: string; benchmarks: number }

/** Copies the selected programs to DEST/programs and writes DEST/suite.json. */
export function importK2Suite(inputDir: string, dest: string, opts: ImportOptions = {}): ImportResult {
  if (!existsSync(inputDir) || !statSync(inputDir).isDirectory()) throw new InputError(`${inputDir}: no such folder`);
  const picked = opts.script !== undefined ? parseK2Script(readText(opts.script), opts.script) : scanFolder(inputDir);
  const compaction = new Map<string, number>();
  if (opts.compactionScript !== undefined) {
    for (const b of parseK2Script(readText(opts.compactionScript), opts.compactionScript)) compaction.set(b.name, b.iterations);
  }
  makeDirs(join(dest, 'programs'));
  const benchmarks = picked.map((b) => {
    const from = resolve(inputDir, b.source);
    for (const ext of ['.insns', '.maps', '.desc']) {
      if (!existsSync(from + ext)) throw new InputError(`${from}${ext}: not found (benchmark '${b.name}')`);
      copyFileSync(from + ext, join(dest, 'programs', b.name + ext));
    }
    const desc = parseDescFile(readText(join(dest, 'programs', `${b.name}.desc`)));
    const progType = guessProgType(b.source, desc.pgmInputType);
    const prog = loadProgram(join(dest, 'programs', b.name), progType === null ? {} : { progType });
    const n = prog.insns.length;
    return {
      name: b.name,
      source: b.source,
      insns: `programs/${b.name}.insns`,
      maps: `programs/${b.name}.maps`,
      desc: `programs/${b.name}.desc`,
      instructions: n,
      k2_params: Object.fromEntries(K2_PARAM_KEYS.filter((k) => k in b.params).map((k) => [k, b.params[k]])),
      iterations_timing: b.iterations,
      iterations_compaction: compaction.get(b.name) ?? b.iterations,
      fast_mode: b.fastMode,
      k2_reference: { clang_O2_instructions: n, k2_instructions: null, compression_percent: null, seconds_to_smallest: null, seconds_overall: null },
      kernel_prog_type: progType,
    };
  });
  const suite = {
    description: opts.description ?? `K2 benchmark inputs imported from ${basename(resolve(inputDir))} by k2lab import-suite.`,
    provenance: opts.provenance ?? { programs: resolve(inputDir), k2_params_and_iterations_timing: opts.script ?? 'defaults (no K2 run script given)' },
    benchmarks,
    kernel_prog_type: 'guessed by k2lab import-suite from each program\'s path (tracepoint, socket_filter or xdp); K2\'s .desc does not record it',
  };
  const suiteFile = join(dest, 'suite.json');
  writeJson(suiteFile, suite);
  return { suiteFile, benchmarks: benchmarks.length };
}

/** Without a script: every complete program (.insns + .maps + .desc) under the folder, K2's default parameters. */
function scanFolder(dir: string): ScriptBenchmark[] {
  const out: ScriptBenchmark[] = [];
  const names = new Set<string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory() && !e.name.startsWith('.')) walk(p);
      else if (e.name.endsWith('.insns')) {
        const prefix = p.slice(0, -'.insns'.length);
        if (!existsSync(`${prefix}.maps`) || !existsSync(`${prefix}.desc`)) continue;
        let name = basename(prefix).replace(/[^A-Za-z0-9._-]/g, '_');
        if (names.has(name)) name = `${basename(dirname(prefix))}-${name}`.replace(/[^A-Za-z0-9._-]/g, '_');
        names.add(name);
        out.push({ name, source: relative(dir, prefix), params: { k: 1, is_win: false }, iterations: 100000, fastMode: false });
      }
    }
  };
  walk(dir);
  if (out.length === 0) throw new InputError(`${dir}: no programs (.insns with .maps and .desc beside them)`);
  return out;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function writeJson(file: string, data: unknown): void {
  // One space of indent, as the manifests in suites/ and ../shared are written.
  const text = JSON.stringify(data, null, 1) + '\n';
  writeFileAtomic(file, text, { mkdir: true });
}
