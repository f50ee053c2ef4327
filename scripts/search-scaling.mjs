#!/usr/bin/env node
// Candidates/s and time-to-best against program length (issue #18): each program of a sample of
// ../shared/real-world sections searched in window mode with the defaults a user gets (no K2 flags),
// one chain in this process, Z3 proving (native-process+cache, the `optimized` set). Two bounds per
// program: -n ITER iterations (candidates/s) and a time limit (time to best).
// Usage: node scripts/search-scaling.mjs OUT.csv [--iterations N] [--seconds S] [--windows scheduled|k2] [--only REGEX]
import { writeFileSync } from 'node:fs';
import { loadCorpus } from '../dist/src/soundness/corpus.js';
import { runSearch } from '../dist/src/search/mcmc.js';
import { USER_DEFAULTS } from '../dist/src/optimize/plan.js';
import { resolveVariants } from '../dist/variants/sets.js';
import { createChecker } from '../dist/variants/z3/index.js';
import { runnableZ3 } from '../dist/variants/z3/index.js';
import { createSafetyChecker } from '../dist/src/safety/checker.js';
import { realInsnCount } from '../dist/src/ebpf/k2-isa.js';

const args = process.argv.slice(2);
const out = args[0];
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const iterations = Number(opt('--iterations', '3000'));
const seconds = Number(opt('--seconds', '0'));
const windows = opt('--windows', 'scheduled');
const only = new RegExp(opt('--only', '.'));
if (!out) { process.stderr.write('usage: search-scaling.mjs OUT.csv [--iterations N] [--seconds S] [--windows scheduled|k2] [--only REGEX]\n'); process.exit(2); }

// The sample: programs of every size class that our safety checker accepts as they are (no loops,
// no BPF-to-BPF calls — a start program the checker refuses cannot be searched).
const SAMPLE = [
  'cilium+ebpf/ex_kprobe_kprobe.o', 'cilium+ebpf/ex_fentry_fentry.o', 'libbpf+libbpf-bootstrap/minimal.o',
  'xdp-project+xdp-tutorial/tracing02_trace_prog.o', 'iovisor+bcc/bindsnoop.o', 'iovisor+bcc/mountsnoop.o',
  'libbpf+libbpf-bootstrap/bootstrap_legacy.o', 'libbpf+libbpf-bootstrap/ksyscall.o', 'iovisor+bcc/profile.o',
  'facebookincubator+katran/healthchecking_ipip.o', 'facebookincubator+katran/healthchecking.o', 'xdp-project+xdp-tutorial/packet03_redirecting.o',
  'xdp-project+xdp-tools/xdpfilt_alw_ip.o', 'xdp-project+xdp-tools/xdpfilt_alw_all.o', 'xdp-project+xdp-tools/xdp_basic.o',
  'xdp-project+xdp-tools/xdp_trafficgen.o', 'xdp-project+xdp-tools/xdp_redirect_cpumap.o', 'iovisor+bcc/biolatency.o',
  'xdp-project+xdp-tools/xdp_flowtable.o', 'iovisor+bcc/tcprtt.o',
].map((p) => `../shared/real-world/objs/${p}`);

const variants = resolveVariants('optimized');
const z3choice = runnableZ3(variants.z3);
const rows = ['program,insns,windows,iterations,wall_ms,candidates_per_s,z3_queries,z3_ms,best_insns,saved,ms_to_best,time_limit_s'];
for (const prog of loadCorpus(SAMPLE).programs) {
  if (!only.test(prog.name)) continue;
  const safety = createSafetyChecker(prog, { state: variants.safetyState, errors: variants.errors, allocation: 'pooled' });
  let ok;
  try { ok = safety.check(prog.insns) === 0; } catch { ok = false; }
  if (!ok) { process.stderr.write(`skip ${prog.name}: the safety checker refuses the start program\n`); continue; }
  const len = realInsnCount(prog.insns);
  const run = async (params, timeLimitMs) => {
    const checker = await createChecker(prog, z3choice);
    try { return runSearch(prog, params, { seed: 1, variants, checker, windows, ...(timeLimitMs ? { timeLimitMs } : {}) }); } finally { checker.dispose(); }
  };
  const r = await run({ ...USER_DEFAULTS, n: iterations });
  let t = r;
  if (seconds > 0) t = await run({ ...USER_DEFAULTS, n: Number.MAX_SAFE_INTEGER }, seconds * 1000);
  const best = realInsnCount(t.best.insns);
  const row = [prog.name, len, windows, r.iterations, Math.round(r.wallMs), Math.round(r.iterations / (r.wallMs / 1000)), r.counters.z3Queries, Math.round(r.counters.z3Ms), best, len - best, Math.round(t.best.ms), seconds];
  rows.push(row.join(','));
  process.stderr.write(row.join(',') + '\n');
}
writeFileSync(out, rows.join('\n') + '\n');
