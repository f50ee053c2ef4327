/**
 * `k2lab optimize PROG`: the MCMC search with K2's flags (same names and defaults), a variant set,
 * a progress line on stderr, the RunReport (`--json FILE` or `-`), and the best programs. Only
 * programs proved equivalent are written with `-o`; test-equivalent ones are reported as unverified.
 * The prover is Z3 (the variant set's z3 implementation; native-process when the z3 binary exists
 * and no set was chosen), or `--checker tests-only` for the test-only stand-in. `--chains N` runs N
 * seeded chains in worker threads (chains.ts) and keeps the best programs of all of them.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { dirname, join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { disassemble } from '../ebpf/disasm.js';
import { InputError } from '../ebpf/errors.js';
import { encodeProgram, type Insn } from '../ebpf/insn.js';
import { formatDescFile, formatMapsFile } from '../ebpf/k2-files.js';
import type { Program } from '../ebpf/program.js';
import { close as kernelClose, kernelUnavailableReason, loadProgram as kernelLoad } from '../kernel/index.js';
import { loadProgram, readInputFile } from '../ebpf/load.js';
import { testsOnly, type EquivalenceChecker } from '../search/equivalence.js';
import { DEFAULT_RLIMIT, type Z3Checker } from '../verify/checker.js';
import { createChecker, nativeAvailable } from '../../variants/z3/index.js';
import { runSearch, type Progress } from '../search/mcmc.js';
import { K2_DEFAULTS, PARAM_NAMES, withParams, type K2Params } from '../search/params.js';
import { buildReport } from '../search/report.js';
import { runtimeProfileFlags } from '../../variants/runtime-profiles.js';
import { resolveVariants } from '../../variants/sets.js';
import { runChains, type ChainsOutcome } from './chains.js';
import { resolveRulesPath } from '../rules/store.js';
import { rulesAfterSearch, rulesBeforeSearch, type RulesReport } from '../rules/run.js';
import { withProgramFlags, writeFileAtomic } from './common.js';

type Args = Record<string, unknown> & {
  prog: string; seed: number; variants: string; variant: string[]; 'time-limit'?: number; json?: string; out?: string;
  'params-from'?: string; bench?: string; 'prog-type'?: string; section?: string; quiet: boolean;
  checker: string; 'z3-rlimit'?: number; chains: number; rules?: string;
};

function k2Flags<T>(y: Argv<T>): Argv<T> {
  let out = y;
  for (const name of PARAM_NAMES) {
    const d = K2_DEFAULTS[name];
    const type = typeof d === 'boolean' ? 'boolean' : Array.isArray(d) ? 'string' : 'number';
    out = out.option(name, { type, group: "K2's flags:", describe: `K2 --${name} (default ${Array.isArray(d) ? d.join(',') || 'automatic' : String(d)})`, ...(name === 'n' || name === 'k' ? { alias: undefined } : {}) });
  }
  return out;
}

export const optimizeCommand: CommandModule<object, Args> = {
  command: 'optimize <prog>',
  describe: 'search for a smaller equivalent program (K2-style MCMC with its flags)',
  builder: (y) => k2Flags(withProgramFlags(y))
    .positional('prog', { type: 'string', demandOption: true })
    .option('seed', { type: 'number', default: 1, describe: 'seed of every random stream' })
    .option('variants', { type: 'string', default: 'k2-baseline', describe: 'variant set (see k2lab variants)' })
    .option('variant', { type: 'string', array: true, default: [], describe: 'override one axis: axis=impl (repeatable)' })
    .option('time-limit', { type: 'number', describe: 'stop after this many seconds' })
    .option('json', { type: 'string', describe: 'write the RunReport as JSON to FILE ("-" for stdout)' })
    .option('out', { alias: 'o', type: 'string', describe: 'directory for the best programs (only proved ones are written)' })
    .option('params-from', { type: 'string', describe: "suite manifest (suite.json) whose k2_params and iterations_timing to use" })
    .option('bench', { type: 'string', describe: 'benchmark name in --params-from' })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress line' })
    .option('checker', { type: 'string', choices: ['z3', 'tests-only'], default: 'z3', describe: 'equivalence checker: Z3 (the z3 axis of the variant set; native-process when the z3 binary exists and no set is chosen) or the tests-only stand-in' })
    .option('z3-rlimit', { type: 'number', describe: 'Z3 resource limit per check (deterministic; default 20000000)' })
    .option('chains', { type: 'number', default: 1, describe: 'independent chains (seeds seed, seed+1, …), one worker thread each; the best programs of all are kept' })
    .option('rules', { type: 'string', describe: 'rule database (SQLite) to apply and learn rules with, or "none"; default $K2LAB_RULES, else ~/.local/share/k2lab/rules.sqlite (single chain, --checker z3)' })
    .option('runtime-profile', { type: 'string', describe: 'run under a named set of Node/V8 flags (see k2lab variants)' })
    .example('$0 optimize ../shared/k2-suite/programs/xdp_exception --params-from ../shared/k2-suite/suite.json --bench xdp_exception -n 5000', '') as never,
  handler: async (a) => {
    const profile = (a['runtime-profile'] as string | undefined) ?? process.env['K2LAB_RUNTIME_PROFILE'] ?? 'default';
    const flags = runtimeProfileFlags(profile);
    if (!flags) throw new InputError(`--runtime-profile: unknown profile '${profile}' (see k2lab variants)`);
    if (flags.length > 0 && process.env['K2LAB_RUNTIME_PROFILE'] !== profile) {
      // Flags apply at process start: run again under them (runners pass them to node directly).
      const r = spawnSync(process.execPath, [...flags, ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, K2LAB_RUNTIME_PROFILE: profile } });
      process.exitCode = r.status ?? 1;
      return;
    }
    const prog = loadProgram(a.prog, { progType: a['prog-type'], section: a.section });
    let params: K2Params = { ...K2_DEFAULTS };
    if (a['params-from'] !== undefined) params = paramsFromSuite(a['params-from'], a.bench ?? prog.name);
    const raw: Record<string, unknown> = {};
    for (const name of PARAM_NAMES) if (a[name] !== undefined) raw[name] = a[name];
    params = withParams(params, raw);
    if (!Number.isInteger(a.seed) || a.seed < 0) throw new InputError(`--seed: expected a non-negative integer, got ${a.seed}`);
    if (a['time-limit'] !== undefined && !(a['time-limit'] > 0)) throw new InputError(`--time-limit: expected seconds > 0, got ${a['time-limit']}`);
    const explicitZ3 = process.argv.some((x) => x === '--variants' || x.startsWith('--variants=')) || a.variant.some((v) => v.startsWith('z3='));
    const overrides = !explicitZ3 && a.checker === 'z3' && nativeAvailable() ? [...a.variant, 'z3=native-process+cache'] : a.variant;
    const variants = resolveVariants(a.variants, overrides);
    if (a['z3-rlimit'] !== undefined && !(Number.isInteger(a['z3-rlimit']) && a['z3-rlimit'] > 0)) throw new InputError(`--z3-rlimit: expected a positive integer, got ${a['z3-rlimit']}`);
    if (!Number.isInteger(a.chains) || a.chains < 1 || a.chains > 256) throw new InputError(`--chains: expected an integer from 1 to 256, got ${a.chains}`);
    // With chains, each worker creates its own checker.
    const z3: Z3Checker | undefined = a.checker === 'z3' && a.chains === 1 ? await createChecker(prog, variants.z3, a['z3-rlimit']) : undefined;
    const checker: EquivalenceChecker = z3 ?? testsOnly;
    const jsonToStdout = a.json === '-';
    const showProgress = !a.quiet && !jsonToStdout && process.stderr.isTTY === true;
    let gcMs = 0;
    const obs = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcMs += e.duration; });
    obs.observe({ entryTypes: ['gc'] });
    const cpu0 = process.cpuUsage();
    const timeLimit = a['time-limit'] !== undefined ? { timeLimitMs: a['time-limit'] * 1000 } : {};
    let chains: ChainsOutcome | undefined;
    if (a.chains > 1) {
      const job = { program: prog, params, variantSet: a.variants, overrides, checker: a.checker as 'z3' | 'tests-only', progress: showProgress, ...timeLimit, ...(a['z3-rlimit'] !== undefined ? { rlimit: a['z3-rlimit'] } : {}) };
      const t0 = performance.now();
      chains = await runChains(job, a.seed, a.chains, showProgress ? (it, bp) => progressLine({ iteration: it, total: params.n * a.chains, elapsedMs: performance.now() - t0, bestPerf: bp, currentCost: NaN }) : undefined);
    }
    // The rule database: rules applied before the search (its start program), rules learned after it.
    const rulesPath = a.checker === 'z3' && a.chains === 1 ? resolveRulesPath(a.rules) : undefined;
    const rules = rulesPath ? await rulesBeforeSearch(rulesPath, prog, variants, { ...(a['z3-rlimit'] !== undefined ? { rlimit: a['z3-rlimit'] } : {}), ...(a.section !== undefined ? { section: a.section } : {}) }) : undefined;
    const ruleHooks = rules ? { onProvedRewrite: rules.onProvedRewrite, rewriteWindow: rules.rewriteWindow, ...(rules.before.applied.length > 0 ? { start: rules.before.insns } : {}) } : {};
    const result = chains?.result ?? runSearch(prog, params, { seed: a.seed, variants, checker, ...timeLimit, ...ruleHooks, ...(showProgress ? { onProgress: progressLine } : {}) });
    const rulesReport: RulesReport | undefined = rules ? rulesAfterSearch(rules) : undefined;
    const cpu = process.cpuUsage(cpu0);
    // The search is synchronous: V8 delivers the queued GC entries only once the event loop turns.
    await new Promise((r) => setTimeout(r, 20));
    obs.disconnect();
    if (showProgress) process.stderr.write('\n');
    z3?.dispose();
    // A final whole-program proof of each program that may be written or reported as optimized.
    // One query per written program: it may spend ten times a search query's resource limit.
    const finalChecker = a.checker === 'z3' && result.best.perf < result.originalPerf && result.best.verified ? await createChecker(prog, variants.z3, 10 * (a['z3-rlimit'] ?? DEFAULT_RLIMIT)) : undefined;
    const proofs = new Map<readonly Insn[], Proof>();
    const proofOf = (insns: readonly Insn[]): Proof => {
      let pr = proofs.get(insns);
      if (!pr) { pr = finalChecker ? wholeProgramProof(finalChecker, insns, prog.insns) : { ok: result.best.verified, how: 'whole-program (Z3)' }; proofs.set(insns, pr); }
      return pr;
    };
    const bestProof = result.best.perf < result.originalPerf && result.best.verified ? proofOf(result.best.insns) : undefined;
    const improved = bestProof?.ok === true;
    const kernel = improved ? kernelVerdict({ ...prog, insns: result.best.insns }) : { accepted: null, reason: undefined };
    const z3Stats = chains ? chains.z3 : z3?.stats;
    const report = {
      ...buildReport(result, { benchmark: prog.name, seed: a.seed, variants, runtimeProfile: profile, checkerName: chains?.checkerName ?? checker.name, cpu, gcMs: gcMs + (chains?.gcMs ?? 0), originalInsns: prog.insns }),
      ...(bestProof ? { proof: bestProof.how } : {}),
      kernelAccepted: kernel.accepted, ...(kernel.reason ? { kernelReason: kernel.reason } : {}), ...(z3Stats ? { z3: z3Stats } : {}), ...(chains ? { chains: chains.chains } : {}),
      ...(rulesReport ? { rules: rulesReport } : {}),
    };
    if (a.json !== undefined) {
      const text = JSON.stringify(report, null, 2) + '\n';
      if (jsonToStdout) process.stdout.write(text); else { mkdirSync(dirname(resolve(a.json)), { recursive: true }); writeFileAtomic(a.json, text); }
    }
    if (!jsonToStdout) printSummary(report, improved, a.checker === 'z3');
    if (a.out !== undefined) {
      // Only proved programs, and none the Linux verifier rejects (when the oracle is available).
      const accepted = improved ? result.topK.filter((r) => r.perf < result.originalPerf && proofOf(r.insns).ok && kernelVerdict({ ...prog, insns: r.insns }).accepted !== false) : [];
      writeOutputs(a.out, accepted.map((r) => ({ ...r, how: proofOf(r.insns).how })), improved, prog);
    }
    finalChecker?.dispose();
  },
};

function progressLine(p: Progress): void {
  const rate = p.iteration / Math.max(p.elapsedMs / 1000, 1e-9);
  process.stderr.write(`\r${p.iteration}/${p.total} iterations  ${rate.toFixed(0)} candidates/s  best perf ${p.bestPerf}${Number.isNaN(p.currentCost) ? '' : `  current cost ${p.currentCost.toFixed(2)}`}   `);
}

function printSummary(r: ReturnType<typeof buildReport> & { z3?: Z3Checker['stats']; chains?: ChainsOutcome['chains']; rules?: RulesReport }, verified: boolean, proves: boolean): void {
  const lines = [
    `${r.benchmark}: ${r.iterations} iterations in ${(r.wallMs / 1000).toFixed(2)} s = ${r.candidatesPerSecond.toFixed(0)} candidates/s (variants ${r.variantSet}, seed ${r.seed})`,
    `instructions: ${r.originalInsnCount} → ${r.bestInsnCount}${r.bestInsnCount < r.originalInsnCount ? (verified ? ' (proved equivalent)' : (proves ? ' — NOT PROVED' : ' — TEST-EQUIVALENT, UNVERIFIED: not an optimized program until proved (--checker tests-only)')) : ' (no smaller program found)'}`,
    `tests ${r.tests}, safety rejects ${r.counts.safetyRejects}, execution errors ${r.counts.executionErrors}, test-equivalent candidates ${r.counts.testEquivalent}, accepted ${r.acceptances}`,
    `trajectory digest ${r.trajectoryDigest}`,
    ...(r.chains ?? []).map((c) => `  chain seed ${c.seed}: digest ${c.trajectoryDigest}, ${c.iterations} iterations, ${c.candidatesPerSecond.toFixed(0)} candidates/s, best perf ${c.bestPerfCost}${c.verified ? ' (proved)' : ''}`),
  ];
  if (r.z3) {
    const z = r.z3;
    lines.push(`equivalence: ${r.equivalenceChecker}: ${z.queries} queries (${z.solverChecks} solver checks) in ${(z.ms / 1000).toFixed(2)} s = ${(100 * z.ms / Math.max(r.wallMs, 1e-9)).toFixed(1)}% of the run; equal ${z.equal}, not equal ${z.notEqual}, unsafe ${z.unsafe}, unknown ${z.unknown} (unsupported ${z.unsupported}, encoding mismatches ${z.encodingMismatches}); cache hits ${z.cacheHits}, counterexamples added ${r.counts.counterexamples}`);
  }
  if (r.rules) {
    const u = r.rules;
    lines.push(`rules (${u.database}, digest ${u.digest}): ${u.applied} applied (${u.appliedDuringSearch} at window switches; perf −${u.savedPerf}, ${u.msApplying} ms; ${u.rejected} matches not proved), ${u.consulted} consulted; ${u.provedRewrites} proved rewrites → ${u.learned} new rules, ${u.known} known, ${u.notProved} not re-proved (${u.msLearning} ms)`);
  }
  if (r.bestInsnCount < r.originalInsnCount) lines.push('best program:', ...r.best.asm.map((l) => `  ${l}`));
  process.stdout.write(lines.join('\n') + '\n');
}

/** The Linux verifier's verdict on a program: null when the kernel oracle is unavailable. */
function kernelVerdict(p: Program): { accepted: boolean | null; reason: string | undefined } {
  if (kernelUnavailableReason() !== undefined) return { accepted: null, reason: undefined };
  const r = kernelLoad(p);
  if (r.accepted) { kernelClose(r); return { accepted: true, reason: undefined }; }
  return { accepted: false, reason: r.reason };
}

interface Proof { ok: boolean; how: string }

/**
 * The search proves each accepted rewrite against the start of its window (a chain of window proofs
 * back to the input); before a program is written it is proved against the input as a whole. When
 * that query exhausts Z3's resource limit the window-proof chain stands, and the output says so;
 * a whole-program refutation would be a bug in one of the encodings, and nothing is written.
 */
function wholeProgramProof(checker: Z3Checker, insns: readonly Insn[], original: readonly Insn[]): Proof {
  if (checker.provedEqual(insns, original)) return { ok: true, how: 'whole-program (Z3)' };
  const r = checker.check(insns, original);
  if (r.verdict === 'equal') return { ok: true, how: 'whole-program (Z3)' };
  if (r.verdict === 'unknown') return { ok: true, how: `chain of window proofs (Z3); whole-program query unknown: ${checker.last?.reason ?? 'resource limit'}` };
  return { ok: false, how: `whole-program query: ${r.verdict} (not written)` };
}

function writeOutputs(dir: string, programs: { insns: Insn[]; perf: number; how: string }[], verified: boolean, prog: Program): void {
  if (!verified || programs.length === 0) {
    process.stderr.write(`k2lab: nothing written to ${dir}: ${programs.length === 0 ? 'no smaller program was found' : 'no program was proved equivalent (only verified programs are written)'}\n`);
    return;
  }
  mkdirSync(dir, { recursive: true });
  programs.forEach((p, i) => {
    writeFileAtomic(join(dir, `output${i}.insns`), encodeProgram(p.insns));
    writeFileAtomic(join(dir, `output${i}.s`), `; perf cost ${p.perf}, verified: ${p.how}${kernelUnavailableReason() === undefined ? ', accepted by the Linux verifier' : ''}\n${disassemble(p.insns).join('\n')}\n`);
    // K2's side files, so the output loads like the input (k2lab run/kernel-check DIR/output0).
    if (prog.maps.length > 0) writeFileAtomic(join(dir, `output${i}.maps`), formatMapsFile(prog.maps));
    if (prog.k2InputType !== undefined && prog.maxPktSize !== undefined) writeFileAtomic(join(dir, `output${i}.desc`), formatDescFile({ pgmInputType: prog.k2InputType, maxPktSize: prog.maxPktSize }));
  });
}

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
