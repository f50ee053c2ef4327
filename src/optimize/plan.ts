/**
 * An optimize run's settings, resolved once: the variant set (default `optimized`) and the z3 that
 * will run (the one default policy, variants/z3), K2's parameters, what bounds the run (iterations
 * or time) and its deadline, chains, the Ctrl-C flag the chains watch.
 */
import { availableParallelism } from 'node:os';
import { InputError } from '../ebpf/errors.js';
import { readInputFile } from '../ebpf/load.js';
import { K2_DEFAULTS, PARAM_NAMES, withParams, type K2Params } from '../search/params.js';
import type { VariantSet, Z3Choice } from '../search/variants.js';
import { describeVariants } from '../search/variants.js';
import { resolveVariants, type SetSpec } from '../../variants/sets.js';
import { runnableZ3 } from '../../variants/z3/index.js';
import { parsePassList, PASS_NAMES } from '../passes/index.js';

/** What the CLI (or another caller) asks for, as plain data. */
export interface OptimizeRequest {
  input: string;
  /** `--section NAME` (repeatable); empty: every program section of an object. */
  sections: string[];
  progType?: string;
  /** `-o`: an object path (`.o`) or a directory for K2's files. */
  out?: string;
  /** `--json FILE` or `-`. */
  json?: string;
  seed: number;
  variantSet?: string;
  variantOverrides: string[];
  /** K2 flags given on the command line (name → raw value). */
  k2Flags: Record<string, unknown>;
  paramsFrom?: string;
  bench?: string;
  timeLimitS?: number;
  checker: 'z3' | 'tests-only';
  rlimit?: number;
  /** `--chains`; undefined: one per core when time alone bounds the run, else 1. */
  chains?: number;
  /** `--windows`; undefined: `scheduled` without K2 flags, `k2` with them (their digests unchanged). */
  windows?: 'scheduled' | 'k2';
  /** `--rules FILE|none`; undefined: $K2LAB_RULES, else the per-user database. */
  rules?: string;
  /** `--passes all|none|NAME,…`; undefined: all, or none when K2 flags or --params-from are given. */
  passes?: string;
  runtimeProfile: string;
  /** Show the progress line (the caller decides: a terminal, not --quiet, not JSON on stdout). */
  progress: boolean;
}

export interface Plan {
  request: OptimizeRequest;
  variants: VariantSet;
  variantSpec: SetSpec;
  /** The z3 that proves (runnable here); undefined with --checker tests-only. */
  z3: Z3Choice | undefined;
  params: K2Params;
  chains: number;
  windows: 'scheduled' | 'k2';
  /** Without K2 flags: the scheduler varies w_p and move probabilities per window visit. */
  portfolio: boolean;
  bound: 'iterations' | 'time';
  /** Epoch ms by which everything (search, final proof, gate) is to be done; time-bounded runs only. */
  deadlineAt: number | undefined;
  /** Ctrl-C sets element 0; the chains and the z3 deadline watch it. */
  stop: Int32Array;
  /** The passes to run before the search (src/passes), in their order. */
  passes: string[];
}

/**
 * The search a user gets without K2 flags: window mode with the window scheduler (src/search), with
 * the weights, move probabilities and st_avg K2's own suite uses for most of its benchmarks (the
 * scheduler alternates them with its other common setting per window visit).
 */
export const USER_DEFAULTS: Readonly<K2Params> = {
  ...K2_DEFAULTS, is_win: true, w_e: 0.5, w_p: 1.5, st_avg: 1, p_inst_operand: 0.33333333, p_inst: 0.33333333, p_inst_as_nop: 0.15, reset_win_niter: 5000,
};

/** Without -n, --params-from or --time-limit a run is bounded by this many seconds. */
export const DEFAULT_TIME_LIMIT_S = 30;

export function makePlan(r: OptimizeRequest, programName: string, startedAt: number): Plan {
  if (!Number.isInteger(r.seed) || r.seed < 0) throw new InputError(`--seed: expected a non-negative integer, got ${r.seed}`);
  if (r.timeLimitS !== undefined && !(r.timeLimitS > 0)) throw new InputError(`--time-limit: expected seconds > 0, got ${r.timeLimitS}`);
  if (r.rlimit !== undefined && !(Number.isInteger(r.rlimit) && r.rlimit > 0)) throw new InputError(`--z3-rlimit: expected a positive integer, got ${r.rlimit}`);
  if (r.chains !== undefined && (!Number.isInteger(r.chains) || r.chains < 1 || r.chains > 256)) throw new InputError(`--chains: expected an integer from 1 to 256, got ${r.chains}`);
  const variants = resolveVariants(r.variantSet ?? 'optimized', r.variantOverrides);
  const k2Given = Object.keys(r.k2Flags).some((k) => k !== 'n');
  let params: K2Params = r.paramsFrom !== undefined ? paramsFromSuite(r.paramsFrom, r.bench ?? programName) : { ...(k2Given ? K2_DEFAULTS : USER_DEFAULTS) };
  params = withParams(params, r.k2Flags);
  const iterationsGiven = r.paramsFrom !== undefined || r.k2Flags['n'] !== undefined;
  const timeLimitS = r.timeLimitS ?? (iterationsGiven ? undefined : DEFAULT_TIME_LIMIT_S);
  // Time alone runs until the limit; an explicit -n still bounds the iterations.
  if (timeLimitS !== undefined && !iterationsGiven) params = { ...params, n: Number.MAX_SAFE_INTEGER };
  // Time alone: every core searches (chain i has seed + i, each deterministic on its own).
  const chains = r.chains ?? (timeLimitS !== undefined && !iterationsGiven ? Math.max(1, availableParallelism()) : 1);
  const windows = r.windows ?? (k2Given || r.paramsFrom !== undefined ? 'k2' : 'scheduled');
  return {
    chains, windows, portfolio: !k2Given && r.paramsFrom === undefined,
    request: r, variants, variantSpec: describeVariants(variants) as SetSpec,
    z3: r.checker === 'z3' ? runnableZ3(variants.z3) : undefined,
    params, bound: timeLimitS === undefined ? 'iterations' : 'time',
    deadlineAt: timeLimitS === undefined ? undefined : startedAt + timeLimitS * 1000,
    stop: new Int32Array(new SharedArrayBuffer(4)),
    // K2's flags keep the research harness's runs (and digests) as they were: no passes unless asked.
    passes: r.passes !== undefined ? parsePassList(r.passes) : Object.keys(r.k2Flags).length > 0 || r.paramsFrom !== undefined ? [] : [...PASS_NAMES],
  };
}

/** K2's parameters and -n (`iterations_timing`) of one benchmark of a suite manifest. */
function paramsFromSuite(manifest: string, bench: string): K2Params {
  let data: { benchmarks?: { name?: string; k2_params?: Record<string, unknown>; iterations_timing?: number }[] };
  try {
    data = JSON.parse(readInputFile(manifest, 'suite manifest').toString('utf8')) as typeof data;
  } catch (e) {
    if (e instanceof SyntaxError) throw new InputError(`${manifest}: not valid JSON (${e.message})`);
    throw e;
  }
  const b = data.benchmarks?.find((x) => x.name === bench);
  if (!b || !b.k2_params) throw new InputError(`${manifest}: no benchmark '${bench}' with k2_params (have: ${(data.benchmarks ?? []).map((x) => x.name).join(', ')})`);
  return withParams(K2_DEFAULTS, { ...b.k2_params, ...(b.iterations_timing !== undefined ? { n: b.iterations_timing } : {}) });
}

export { PARAM_NAMES };
