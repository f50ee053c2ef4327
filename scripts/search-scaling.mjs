#!/usr/bin/env node
// Candidates/s and time-to-best against program length (issue #18): each program of a sample of
// ../shared/real-world sections searched in window mode with a user's weights (no K2 flags), one chain
// in this process, Z3 proving (native-process+cache, the `optimized` set), -n N iterations, seed 1:
// candidates/s and the ms to the best program. The parameters are fixed here (not read from the
// build's defaults) so that two builds run with `--windows k2` do identical work (same digest).
// Usage: node scripts/search-scaling.mjs OUT.csv [--iterations N] [--windows scheduled|k2] [--tests-only] [--only REGEX] [--dist DIR]
import { writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const out = args[0];
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const iterations = Number(opt('--iterations', '20000'));
const windows = opt('--windows', 'scheduled');
const only = new RegExp(opt('--only', '.'));
const warmup = Number(opt('--warmup', '0'));
// tests-only: no prover, so candidates per CPU second of this process measure our per-candidate cost alone.
const testsOnlyRun = args.includes('--tests-only');
if (!out) { process.stderr.write('usage: search-scaling.mjs OUT.csv [--iterations N] [--windows scheduled|k2] [--only REGEX] [--dist DIR]\n'); process.exit(2); }
const dist = new URL(`${opt('--dist', new URL('../dist', import.meta.url).pathname)}/`, 'file:///');
const { loadCorpus } = await import(new URL('src/soundness/corpus.js', dist));
const { runSearch } = await import(new URL('src/search/mcmc.js', dist));
const { K2_DEFAULTS } = await import(new URL('src/search/params.js', dist));
const { resolveVariants } = await import(new URL('variants/sets.js', dist));
const { createChecker, runnableZ3 } = await import(new URL('variants/z3/index.js', dist));
const { createSafetyChecker } = await import(new URL('src/safety/checker.js', dist));
const { realInsnCount } = await import(new URL('src/ebpf/k2-isa.js', dist));
const { encodeProgram } = await import(new URL('src/ebpf/insn.js', dist));
const { testsOnly } = await import(new URL('src/search/equivalence.js', dist));
/** A user's search without K2 flags (src/optimize/plan.ts USER_DEFAULTS at this branch). */
const PARAMS = { ...K2_DEFAULTS, is_win: true, w_e: 0.5, w_p: 1.5, st_avg: 1, p_inst_operand: 0.33333333, p_inst: 0.33333333, p_inst_as_nop: 0.15, reset_win_niter: 5000, n: iterations };

// The sample: programs of every size class that our safety checker accepts as they are (no loops,
// no BPF-to-BPF calls — a start program the checker refuses cannot be searched).
const SAMPLE = [
  'cilium+ebpf/ex_kprobe_kprobe.o', 'cilium+ebpf/ex_fentry_fentry.o', 'libbpf+libbpf-bootstrap/minimal.o',
  'xdp-project+xdp-tutorial/tracing02_trace_prog.o', 'iovisor+bcc/bindsnoop.o', 'iovisor+bcc/mountsnoop.o',
  'libbpf+libbpf-bootstrap/bootstrap_legacy.o', 'libbpf+libbpf-bootstrap/ksyscall.o', 'iovisor+bcc/profile.o',
  'facebookincubator+katran/healthchecking_ipip.o', 'facebookincubator+katran/healthchecking.o', 'xdp-project+xdp-tutorial/packet03_redirecting.o',
  'xdp-project+xdp-tools/xdpfilt_alw_ip.o', 'xdp-project+xdp-tools/xdpfilt_alw_all.o', 'xdp-project+xdp-tools/xdp_basic.o',
  'xdp-project+xdp-tools/xdp_trafficgen.o', 'xdp-project+xdp-tools/xdp_redirect_cpumap.o', 'iovisor+bcc/biolatency.o',
  'xdp-project+xdp-tools/xdp_flowtable.o', 'iovisor+bcc/tcprtt.o', 'iovisor+bcc/execsnoop.o',
].map((p) => `../shared/real-world/objs/${p}`);

const variants = resolveVariants('optimized');
const z3choice = runnableZ3(variants.z3);
const rows = ['program,insns,windows,checker,iterations,wall_ms,candidates_per_s,cpu_ms,candidates_per_cpu_s,z3_queries,z3_ms,best_insns,saved,ms_to_best,digest'];
const seen = new Set();
for (const prog of loadCorpus(SAMPLE).programs) {
  if (!only.test(prog.name)) continue;
  const hex = Buffer.from(encodeProgram(prog.insns)).toString('hex');
  if (seen.has(hex)) continue; // the same code in several objects
  seen.add(hex);
  const safety = createSafetyChecker(prog, { state: variants.safetyState, errors: variants.errors, allocation: 'pooled' });
  let ok;
  try { ok = safety.check(prog.insns) === 0; } catch { ok = false; }
  if (!ok) { process.stderr.write(`skip ${prog.name}: the safety checker refuses the start program\n`); continue; }
  const len = realInsnCount(prog.insns);
  const checker = testsOnlyRun ? testsOnly : await createChecker(prog, z3choice);
  let r;
  // Each program's code paths warm (JIT) before its measured run, so the order of the sample does not favour the later ones.
  if (warmup > 0 && testsOnlyRun) runSearch(prog, { ...PARAMS, n: warmup }, { seed: 2, variants, checker, windows, portfolio: windows === 'scheduled' });
  const cpu0 = process.cpuUsage();
  try { r = runSearch(prog, PARAMS, { seed: 1, variants, checker, windows, portfolio: windows === 'scheduled' }); } finally { checker.dispose?.(); }
  const cpu = process.cpuUsage(cpu0), cpuMs = (cpu.user + cpu.system) / 1000;
  const best = realInsnCount(r.best.insns);
  const row = [prog.name, len, windows, checker.name, r.iterations, Math.round(r.wallMs), Math.round(r.iterations / (r.wallMs / 1000)), Math.round(cpuMs), Math.round(r.iterations / (cpuMs / 1000)), r.counters.z3Queries, Math.round(r.counters.z3Ms), best, len - best, Math.round(r.best.ms), r.trajectoryDigest];
  rows.push(row.join(','));
  process.stderr.write(row.join(',') + '\n');
}
writeFileSync(out, rows.join('\n') + '\n');
