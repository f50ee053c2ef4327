/**
 * `k2lab optimize PROG`: flags to an OptimizeRequest for src/optimize (which does the run). K2's
 * flags keep their names and defaults; without them the search is window mode with the window
 * scheduler. `-o prog.opt.o` writes an object, `-o DIR` K2's files; only programs through the output
 * gate are written. A runtime profile (Node/V8 flags) re-runs this process under those flags.
 */
import { spawnSync } from 'node:child_process';
import type { Argv, CommandModule } from 'yargs';
import { InputError } from '../ebpf/errors.js';
import { runOptimize, DEFAULT_TIME_LIMIT_S } from '../optimize/index.js';
import { K2_DEFAULTS, PARAM_NAMES } from '../search/params.js';
import { runtimeProfileFlags } from '../../variants/runtime-profiles.js';

type Args = Record<string, unknown> & {
  prog: string; seed: number; variants?: string; variant: string[]; 'time-limit'?: number; json?: string; out?: string;
  'params-from'?: string; bench?: string; 'prog-type'?: string; section: string[]; quiet: boolean;
  checker: string; 'z3-rlimit'?: number; chains?: number; windows?: string; rules?: string; passes?: string; 'runtime-profile'?: string;
};

function k2Flags<T>(y: Argv<T>): Argv<T> {
  let out = y;
  for (const name of PARAM_NAMES) {
    const d = K2_DEFAULTS[name];
    const type = typeof d === 'boolean' ? 'boolean' : Array.isArray(d) ? 'string' : 'number';
    out = out.option(name, { type, group: "K2's flags:", describe: `K2 --${name} (K2's default ${Array.isArray(d) ? d.join(',') || 'automatic' : String(d)})` });
  }
  return out;
}

export const optimizeCommand: CommandModule<object, Args> = {
  command: 'optimize <prog>',
  describe: 'search for a smaller proved-equivalent program (K2-style MCMC); objects in, objects out',
  builder: (y) => k2Flags(y)
    .positional('prog', { type: 'string', demandOption: true })
    .option('prog-type', { type: 'string', describe: 'kernel program type; wins over the ELF section and suite.json' })
    .option('section', { type: 'string', array: true, default: [], describe: 'program section(s) of an object to optimize (repeatable; default all)' })
    .option('out', { alias: 'o', type: 'string', describe: 'FILE.o: the object with the optimized sections; DIR: K2\'s files of the best program' })
    .option('time-limit', { type: 'number', describe: `seconds for the whole run, final proof included (default ${DEFAULT_TIME_LIMIT_S} without -n/--params-from; -n still bounds iterations)` })
    .option('seed', { type: 'number', default: 1, describe: 'seed of every random stream' })
    .option('variants', { type: 'string', describe: 'variant set (default optimized; see k2lab variants)' })
    .option('variant', { type: 'string', array: true, default: [], describe: 'override one axis: axis=impl (repeatable)' })
    .option('json', { type: 'string', describe: 'write the RunReport as JSON to FILE ("-" for stdout)' })
    .option('params-from', { type: 'string', describe: 'suite manifest (suite.json) whose k2_params and iterations_timing to use' })
    .option('bench', { type: 'string', describe: 'benchmark name in --params-from' })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress line' })
    .option('checker', { type: 'string', choices: ['z3', 'tests-only'], default: 'z3', describe: 'Z3 (the variant set\'s z3; the WebAssembly one when the z3 binary is missing) or the tests-only stand-in (never writes)' })
    .option('z3-rlimit', { type: 'number', describe: 'Z3 resource limit per check (deterministic; default 20000000)' })
    .option('chains', { type: 'number', describe: 'independent chains (seeds seed, seed+1, …), one worker thread (core) each (default: one per core with a time limit alone, else 1)' })
    .option('windows', { type: 'string', choices: ['scheduled', 'k2'], describe: 'scheduled: a bandit picks windows by recent gain (default without K2 flags); k2: K2\'s list or automatic windows cycled every reset_win_niter (default with K2 flags/--params-from)' })
    .option('rules', { type: 'string', describe: 'rule database (SQLite) to apply rules from before the search and learn proved rewrites into, or "none"; default $K2LAB_RULES, else ~/.local/share/k2lab/rules.sqlite (with --checker z3)' })
    .option('passes', { type: 'string', describe: 'proved compiler passes before the search: all, none or NAME,… (unreachable, constants, redundant-loads, copies, store-merge, load-merge, atomic-add, peephole, dead-code); default all, none with K2 flags or --params-from' })
    .option('runtime-profile', { type: 'string', describe: 'run under a named set of Node/V8 flags (see k2lab variants)' })
    .example('$0 optimize prog.o -o prog.opt.o --time-limit 30', '')
    .example('$0 optimize ../shared/k2-suite/programs/xdp_exception --params-from ../shared/k2-suite/suite.json --bench xdp_exception -n 5000', '') as never,
  handler: async (a) => {
    const startedAt = performance.timeOrigin; // the limit counts from process start
    const profile = a['runtime-profile'] ?? process.env['K2LAB_RUNTIME_PROFILE'] ?? 'default';
    const flags = runtimeProfileFlags(profile);
    if (!flags) throw new InputError(`--runtime-profile: unknown profile '${profile}' (see k2lab variants)`);
    if (flags.length > 0 && process.env['K2LAB_RUNTIME_PROFILE'] !== profile) {
      // Flags apply at process start: run again under them (runners pass them to node directly).
      const r = spawnSync(process.execPath, [...flags, ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, K2LAB_RUNTIME_PROFILE: profile } });
      process.exitCode = r.status ?? 1;
      return;
    }
    const k2: Record<string, unknown> = {};
    for (const name of PARAM_NAMES) if (a[name] !== undefined) k2[name] = a[name];
    const { exitCode } = await runOptimize({
      input: a.prog, sections: a.section, ...(a['prog-type'] !== undefined ? { progType: a['prog-type'] } : {}),
      ...(a.out !== undefined ? { out: a.out } : {}), ...(a.json !== undefined ? { json: a.json } : {}),
      seed: a.seed, ...(a.variants !== undefined ? { variantSet: a.variants } : {}), variantOverrides: a.variant,
      k2Flags: k2, ...(a['params-from'] !== undefined ? { paramsFrom: a['params-from'] } : {}), ...(a.bench !== undefined ? { bench: a.bench } : {}),
      ...(a['time-limit'] !== undefined ? { timeLimitS: a['time-limit'] } : {}),
      checker: a.checker as 'z3' | 'tests-only', ...(a['z3-rlimit'] !== undefined ? { rlimit: a['z3-rlimit'] } : {}),
      ...(a.chains !== undefined ? { chains: a.chains } : {}), ...(a.windows !== undefined ? { windows: a.windows as 'scheduled' | 'k2' } : {}), ...(a.rules !== undefined ? { rules: a.rules } : {}),
      ...(a.passes !== undefined ? { passes: a.passes } : {}), runtimeProfile: profile,
      progress: !a.quiet && a.json !== '-' && process.stderr.isTTY === true,
    }, startedAt);
    process.exitCode = exitCode;
  },
};
