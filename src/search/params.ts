/**
 * K2's search parameters with K2's flag names and defaults (k2-spec.md §1), as one plain object.
 * Read from command-line flags or from a suite manifest's `k2_params`; validated in one place.
 */
import { InputError } from '../ebpf/errors.js';

export interface K2Params {
  /** -n: MH iterations. */
  n: number;
  /** -k: how many best programs to keep. */
  k: number;
  w_e: number;
  w_p: number;
  /** 0 = absolute difference, 1 = popcount of XOR. */
  st_ex: 0 | 1;
  /** 0 = EQ1, 1 = EQ2. */
  st_eq: 0 | 1;
  st_avg: 0 | 1;
  /** 0 = real instruction count, 1 = sum of per-instruction runtimes. */
  st_perf: 0 | 1;
  st_when_to_restart: 0 | 1;
  st_when_to_restart_niter: number;
  /** 0 = keep the current program, 1 = re-sample every slot, 2 = re-sample k contiguous slots. */
  st_start_prog: 0 | 1 | 2;
  restart_w_e_list: number[];
  restart_w_p_list: number[];
  reset_win_niter: number;
  win_s_list: number[];
  win_e_list: number[];
  p_inst_operand: number;
  p_inst: number;
  p_inst_as_nop: number;
  is_win: boolean;
  disable_prog_eq_cache: boolean;
  enable_prog_uneq_cache: boolean;
}

/** K2's defaults (note reset_win_niter = 10: K2 sets it before parsing -n). */
export const K2_DEFAULTS: Readonly<K2Params> = {
  n: 10, k: 1, w_e: 1.0, w_p: 0.0, st_ex: 0, st_eq: 0, st_avg: 0, st_perf: 0,
  st_when_to_restart: 0, st_when_to_restart_niter: 0, st_start_prog: 0,
  restart_w_e_list: [1], restart_w_p_list: [0], reset_win_niter: 10, win_s_list: [], win_e_list: [],
  p_inst_operand: 0.25, p_inst: 0.25, p_inst_as_nop: 0.25, is_win: false,
  disable_prog_eq_cache: false, enable_prog_uneq_cache: false,
};

export const PARAM_NAMES = Object.keys(K2_DEFAULTS) as (keyof K2Params)[];

type Raw = Record<string, unknown>;

function num(v: unknown, name: string): number {
  const x = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new InputError(`--${name}: expected a number, got ${JSON.stringify(v)}`);
  return x;
}

function list(v: unknown, name: string): number[] {
  if (Array.isArray(v)) return v.map((x) => num(x, name));
  if (typeof v === 'string') return v.split(',').filter((s) => s.trim() !== '').map((s) => num(s, name));
  return [num(v, name)];
}

function flag<T extends number>(v: unknown, name: string, allowed: readonly T[]): T {
  const x = num(v, name);
  if (!(allowed as readonly number[]).includes(x)) throw new InputError(`--${name}: expected one of ${allowed.join(', ')}, got ${x}`);
  return x as T;
}

/** Overlays raw values (flags or a manifest's k2_params) on `base`, validating each. */
export function withParams(base: Readonly<K2Params>, raw: Raw): K2Params {
  const p: K2Params = { ...base, restart_w_e_list: [...base.restart_w_e_list], restart_w_p_list: [...base.restart_w_p_list], win_s_list: [...base.win_s_list], win_e_list: [...base.win_e_list] };
  for (const [key, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    switch (key) {
      case 'n': case 'k': case 'reset_win_niter': case 'st_when_to_restart_niter': {
        const x = num(v, key);
        if (!Number.isInteger(x) || x < 0 || (key !== 'st_when_to_restart_niter' && key !== 'n' && x === 0)) throw new InputError(`--${key}: expected a ${key === 'n' || key === 'st_when_to_restart_niter' ? 'non-negative' : 'positive'} integer, got ${x}`);
        p[key] = x;
        break;
      }
      case 'w_e': case 'w_p': case 'p_inst_operand': case 'p_inst': case 'p_inst_as_nop': {
        const x = num(v, key);
        if (x < 0) throw new InputError(`--${key}: must not be negative`);
        p[key] = x;
        break;
      }
      case 'st_ex': case 'st_eq': case 'st_avg': case 'st_perf': case 'st_when_to_restart': p[key] = flag(v, key, [0, 1] as const); break;
      case 'st_start_prog': p.st_start_prog = flag(v, key, [0, 1, 2] as const); break;
      // K2 parses window bounds as reals and truncates them.
      case 'win_s_list': case 'win_e_list': p[key] = list(v, key).map((x) => Math.trunc(x)); break;
      case 'restart_w_e_list': case 'restart_w_p_list': p[key] = list(v, key); break;
      case 'is_win': case 'disable_prog_eq_cache': case 'enable_prog_uneq_cache': p[key] = v === true || v === 1 || v === 'true' || v === '1'; break;
      default: throw new InputError(`unknown K2 parameter '${key}'`);
    }
  }
  if (p.p_inst_operand + p.p_inst + p.p_inst_as_nop > 1 + 1e-9) throw new InputError('p_inst_operand + p_inst + p_inst_as_nop must not exceed 1');
  if (p.win_s_list.length !== p.win_e_list.length) throw new InputError(`win_s_list has ${p.win_s_list.length} entries but win_e_list has ${p.win_e_list.length}`);
  return p;
}

/** Checks the windows against a program length (K2 windows are inclusive slot ranges). */
export function checkWindows(p: K2Params, len: number): void {
  p.win_s_list.forEach((s, i) => {
    const e = p.win_e_list[i]!;
    if (s < 0 || e >= len || s > e) throw new InputError(`window ${i} [${s}, ${e}] does not fit a program of ${len} slots`);
  });
}
