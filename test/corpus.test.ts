/**
 * The corpus pipeline end to end on a small, varied subset of ../shared/real-world (XDP, CO-RE
 * tracing with .text subprograms and tp_btf/raw_tp, map-in-map and BPF-to-BPF calls, .kconfig
 * externs, a kfunc this kernel lacks, an LSM program the kernel refuses, a verifier exercise):
 * each stage's verdict and reason is checked against what libbpf/bpftool do on this machine.
 * Skips visibly without ../shared; the kernel stages skip without bpf().
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import test from 'node:test';
import { runCorpus, type CorpusRow } from '../src/corpus/run.js';
import { objdumpAvailable } from '../src/corpus/objdump.js';
import { writeCorpusReport } from '../src/corpus/report.js';
import { kernelUnavailableReason } from '../src/kernel/index.js';
import { sharedAvailable, sharedDir } from './paths.js';

const objs = resolve(sharedDir, 'real-world', 'objs');
const skipShared: string | false = sharedAvailable ? false : `real-world corpus not found at ${objs} (third-party data lives outside the repo)`;
const SUBSET = new Set([
  'xdp-project+xdp-tutorial/basic01_xdp_pass.o', 'xdp-project+xdp-tutorial/packet01_parsing.o', 'iovisor+bcc/runqlat.o',
  'facebookincubator+katran/balancer.o', 'libbpf+libbpf-bootstrap/ksyscall.o', 'libbpf+libbpf-bootstrap/lsm.o',
  'xdp-project+xdp-tools/xdp_flowtable.o',
]);

test('corpus subset: load, disassembly, interpreter, kernel-check, difftest verdicts and reasons', { skip: skipShared }, (t) => {
  const rows = runCorpus(objs, { inputs: 3, difftestInputs: 100, seed: 1, filter: (o) => SUBSET.has(o) });
  const row = (object: string, program: string): CorpusRow => rows.find((r) => r.object === object && r.program === program) ?? assert.fail(`no row ${object} ${program}`);
  assert.deepEqual(new Set(rows.map((r) => r.object)), SUBSET);
  // Loading: everything but the kfunc of a module this kernel does not have (one line naming section, instruction, kfunc).
  for (const r of rows.filter((x) => !x.object.includes('flowtable'))) assert.equal(r.load.status, 'ok', `${r.object} ${r.program}: ${r.load.detail}`);
  const ft = rows.filter((x) => x.object.includes('flowtable'));
  assert.equal(ft.length, 2);
  for (const r of ft) assert.match(r.load.detail, /^xdp\+\d+ \(instruction \d+ of xdp_fwd_flow_\w+\): kfunc 'bpf_xdp_flow_lookup' is not a function of the target kernel's BTF$/);
  assert.equal(rows.filter((r) => r.object.includes('runqlat')).length, 6, 'tp_btf and raw_tp sections, not the .text subprogram');
  assert.equal(row('facebookincubator+katran/balancer.o', 'xdp').slots, 2520, 'balancer_ingress and the jhash functions it calls');
  if (objdumpAvailable()) {
    for (const r of rows.filter((x) => x.load.status === 'ok')) assert.equal(r.disasm.status, 'ok', `${r.object} ${r.program}: ${r.disasm.detail}`);
  } else t.diagnostic('llvm-objdump-19 missing: disassembly stage not compared');
  assert.equal(row('xdp-project+xdp-tutorial/basic01_xdp_pass.o', 'xdp').interpret.status, 'ok');
  const kernel = kernelUnavailableReason();
  if (kernel) { t.diagnostic(`kernel stages skipped: ${kernel}`); return; }
  // bpftool prog loadall loads these objects here; k2lab must accept every program of them.
  for (const r of rows.filter((x) => /basic01|runqlat|balancer|ksyscall/.test(x.object))) assert.equal(r.kernel.status, 'ok', `${r.object} ${r.program}: ${r.kernel.detail}`);
  assert.match(row('iovisor+bcc/runqlat.o', 'tp_btf/sched_wakeup').kernel.detail, /attach type trace_raw_tp; target btf_trace_sched_wakeup \(BTF id \d+\)/);
  // The kernel's own refusals, in one line, as bpftool meets them.
  assert.match(row('xdp-project+xdp-tutorial/packet01_parsing.o', 'xdp').kernel.detail, /^rejected by the verifier: instruction \d+: R2 offset is outside of the packet$/);
  assert.match(row('libbpf+libbpf-bootstrap/lsm.o', 'lsm/bpf').kernel.detail, /EPERM|accepted/);
  assert.deepEqual(row('xdp-project+xdp-tutorial/basic01_xdp_pass.o', 'xdp').difftest, { status: 'ok', detail: '100 inputs, 0 mismatches' });
  // raw_tp programs test-run on their u64 arguments; their probe reads of kernel memory come from the environment model.
  assert.match(row('iovisor+bcc/runqlat.o', 'raw_tp/sched_switch').difftest.detail, /^100 inputs, 0 mismatches, 100 environment-dependent \(\d+ of them differ: bpf_probe_read_kernel\)$/);
  assert.match(row('iovisor+bcc/runqlat.o', 'tp_btf/sched_wakeup').difftest.detail, /^verifier-only/);
  const out = join(tmpdir(), `k2lab-corpus-${process.pid}`);
  try {
    writeCorpusReport(out, rows, { dir: objs, command: 'test', date: 'today', kernel: 'test' });
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    assert.match(md, /\| load \| 12 \| 2 \| 0 \|/);
    assert.match(md, /kfunc 'bpf_xdp_flow_lookup'/);
    assert.equal(readFileSync(join(out, 'report.csv'), 'utf8').trim().split('\n').length, rows.length + 1);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
