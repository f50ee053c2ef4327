/**
 * The built-in suite (suites/builtin): its manifest has K2's suite.json format; every program loads
 * through it, stays within K2's proposal ISA, runs random inputs without execution errors and passes
 * the safety checker and has a known smaller equivalent inside its windows (known-rewrites.json);
 * scripts/build-suite.sh rebuilds the committed bytecode byte for byte (with clang-19); and the Linux
 * verifier accepts every program and agrees with the interpreter (kernel oracle).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomInputs } from '../src/bench/microbench-interp.js';
import { assemble } from '../src/ebpf/asm.js';
import type { Insn } from '../src/ebpf/insn.js';
import { loadProgram } from '../src/ebpf/load.js';
import { progTypeFromSection } from '../src/ebpf/program.js';
import { runProgram, Session, toRunnable, type RunResult } from '../src/interp/run.js';
import { difftest } from '../src/kernel/difftest.js';
import { close, kernelUnavailableReason, loadProgram as kernelLoad } from '../src/kernel/index.js';
import { createSafetyChecker } from '../src/safety/checker.js';
import { Violation } from '../src/ebpf/violations.js';
import { k2OpOf } from '../src/ebpf/k2-isa.js';
import { checkWindows, K2_DEFAULTS, withParams } from '../src/search/params.js';
import { resolveVariants } from '../variants/sets.js';
import { Rng } from '../src/common/rng.js';
import { repoRoot, sharedAvailable, sharedDir } from './paths.js';

const dir = join(repoRoot, 'suites', 'builtin');

interface Bench {
  name: string; source: string; insns: string; maps: string; desc: string; instructions: number;
  k2_params: Record<string, unknown>; iterations_timing: number; iterations_compaction: number; fast_mode: boolean;
  k2_reference: Record<string, number | null>; kernel_prog_type: string;
}
const manifest = JSON.parse(readFileSync(join(dir, 'suite.json'), 'utf8')) as { benchmarks: Bench[]; provenance: Record<string, string> } & Record<string, unknown>;
const benches = manifest.benchmarks;

/** The keys of ../shared/k2-suite/suite.json (checked against the real file when it is present). */
const TOP_KEYS = ['description', 'provenance', 'benchmarks', 'kernel_prog_type'];
const BENCH_KEYS = ['name', 'source', 'insns', 'maps', 'desc', 'instructions', 'k2_params', 'iterations_timing', 'iterations_compaction', 'fast_mode', 'k2_reference', 'kernel_prog_type'];
const PARAM_KEYS = ['k', 'is_win', 'w_e', 'w_p', 'st_ex', 'st_eq', 'st_avg', 'st_perf', 'st_when_to_restart', 'st_when_to_restart_niter', 'st_start_prog', 'p_inst_operand', 'p_inst', 'p_inst_as_nop', 'reset_win_niter', 'win_s_list', 'win_e_list'];
const REF_KEYS = ['clang_O2_instructions', 'k2_instructions', 'compression_percent', 'seconds_to_smallest', 'seconds_overall'];

test('the manifest has the format of K2\'s suite.json: 11 benchmarks, 3 in fast mode, our counts, null K2 results', () => {
  assert.deepEqual(Object.keys(manifest), TOP_KEYS);
  assert.equal(benches.length, 11);
  assert.equal(benches.filter((b) => b.fast_mode).length, 3);
  for (const b of benches) {
    assert.deepEqual(Object.keys(b), BENCH_KEYS, b.name);
    assert.deepEqual(Object.keys(b.k2_params), PARAM_KEYS, b.name);
    assert.deepEqual(Object.keys(b.k2_reference), REF_KEYS, b.name);
    const slots = readFileSync(join(dir, b.insns)).length / 8;
    assert.equal(b.instructions, slots, `${b.name}: instructions`);
    assert.equal(b.k2_reference['clang_O2_instructions'], slots, `${b.name}: clang_O2_instructions`);
    assert.ok(slots >= 18 && slots <= 80, `${b.name}: ${slots} instructions, outside 18–80`);
    for (const k of REF_KEYS.slice(1)) assert.equal(b.k2_reference[k], null, `${b.name}: K2 never ran on it, so ${k} is null`);
    assert.ok(Number.isInteger(b.iterations_timing) && b.iterations_timing > 0 && Number.isInteger(b.iterations_compaction) && b.iterations_compaction > 0);
    const p = withParams(K2_DEFAULTS, b.k2_params as never);
    assert.ok(p.is_win && p.win_s_list.length > 0, `${b.name}: windows`);
    checkWindows(p, slots);
    assert.ok(existsSync(join(dir, b.source)), `${b.name}: source ${b.source}`);
  }
});

test('the manifest keys match ../shared/k2-suite/suite.json', { skip: sharedAvailable ? false : `K2 suite not found at ${sharedDir} (third-party data lives outside the repo)` }, () => {
  const k2 = JSON.parse(readFileSync(join(sharedDir, 'k2-suite', 'suite.json'), 'utf8')) as typeof manifest;
  assert.deepEqual(Object.keys(k2), TOP_KEYS);
  assert.deepEqual(Object.keys(k2.provenance), Object.keys(manifest.provenance));
  for (const b of k2.benchmarks) {
    assert.deepEqual(Object.keys(b), BENCH_KEYS);
    assert.deepEqual(Object.keys(b.k2_params), PARAM_KEYS);
    assert.deepEqual(Object.keys(b.k2_reference), REF_KEYS);
  }
});

const variantSets = ['k2-baseline', 'optimized'].map((n) => resolveVariants(n));

for (const b of benches) {
  test(`${b.name}: loads via suite.json, K2's ISA only, 1,000 random inputs without errors, judged safe`, () => {
    const p = loadProgram(join(dir, b.insns));
    assert.equal(p.progType, b.kernel_prog_type, 'program type from suite.json');
    const section = /SEC\("([^"]+)"\)\s*\n\s*int /.exec(readFileSync(join(dir, b.source), 'utf8'))?.[1];
    assert.equal(progTypeFromSection(section ?? ''), b.kernel_prog_type, 'kernel_prog_type matches the C source\'s section');
    assert.equal(p.k2InputType, b.kernel_prog_type === 'xdp' ? 2 : 1, 'pgm_input_type by K2\'s convention');
    assert.ok(p.maps.length > 0 && p.maxPktSize !== undefined);
    p.insns.forEach((ins, slot) => {
      if (slot > 0 && p.insns[slot - 1]!.op === 0x18) return; // second half of a 64-bit load
      assert.ok(k2OpOf(ins), `slot ${slot} (opcode 0x${ins.op.toString(16)}) is outside K2's proposal ISA`);
    });
    const s = new Session(toRunnable(p));
    for (const input of randomInputs(p, 1000, 11)) assert.ok(s.run(input), `execution error: ${JSON.stringify(s.error)}`);
    for (const v of variantSets) {
      for (const allocation of ['fresh', 'pooled'] as const) {
        const c = createSafetyChecker(p, { state: v.safetyState, errors: v.errors, allocation });
        assert.equal(c.check(p.insns), Violation.None, `${v.name}/${allocation}: judged unsafe`);
      }
    }
  });
}

const clang = spawnSync('clang-19', ['--version'], { encoding: 'utf8' });
const skipClang = clang.status === 0 ? false : 'clang-19 not found: cannot rebuild the suite (the committed bytecode is used as is)';

test('scripts/build-suite.sh reproduces the committed bytecode, maps and descriptions byte for byte', { skip: skipClang }, () => {
  const out = mkdtempSync(join(tmpdir(), 'k2lab-suite-'));
  try {
    const r = spawnSync('sh', [join(repoRoot, 'scripts', 'build-suite.sh'), out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const committed = readdirSync(join(dir, 'programs')).sort();
    assert.deepEqual(readdirSync(out).sort(), committed);
    assert.equal(committed.length, 33);
    for (const f of committed) assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(dir, 'programs', f))), `${f} differs from a fresh build`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

const skipKernel = kernelUnavailableReason() ?? false;

test('every built-in program is accepted by the Linux verifier and agrees with the interpreter on 1,000 inputs', { skip: skipKernel }, () => {
  for (const b of benches) {
    const p = loadProgram(join(dir, b.insns));
    const r = kernelLoad(p);
    assert.ok(r.accepted, `${b.name}: ${r.accepted ? '' : r.reason}`);
    close(r);
    const d = difftest(p, { inputs: 1000, seed: 7 });
    if (!d.kernelTestRun) { assert.equal(b.kernel_prog_type, 'tracepoint'); continue; }
    assert.equal(d.mismatches, 0, `${b.name}: ${JSON.stringify(d.examples[0], null, 1)}`);
  }
});

const rewrites = (JSON.parse(readFileSync(join(dir, 'known-rewrites.json'), 'utf8')) as { rewrites: Record<string, Record<string, string>> }).rewrites;
const NOP: Insn = { op: 0x05, dst: 0, src: 0, off: 0, imm: 0 };

/** Map seeds for one input: the first few slots of every data map (array index / key byte 0 = i) with random values. */
function seedsFor(maps: readonly { fd: number; type: number; keySize: number; valueSize: number; maxEntries: number }[], rng: Rng): Map<number, [string, string][]> {
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  const data = maps.filter((m) => ![3, 14, 16].includes(m.type)); // prog array, devmap, cpumap hold no data
  return new Map(data.map((m) => [m.fd, Array.from({ length: Math.min(m.maxEntries, 8) }, (_, i): [string, string] => {
    const key = new Uint8Array(m.keySize);
    key[0] = i;
    return [hex(key), hex(rng.bytes(m.valueSize))];
  })]));
}

const observable = (r: RunResult): string => JSON.stringify({ r0: r.r0.toString(), packet: Buffer.from(r.packet).toString('hex'), maps: r.maps, sideEffects: r.sideEffects, error: r.error });

for (const b of benches) {
  test(`${b.name}: its known smaller rewrite lies in its windows, is safe, kernel-accepted, equal on 1,000 seeded inputs`, () => {
    const edits = rewrites[b.name];
    assert.ok(edits, 'every program has a known rewrite');
    const p = loadProgram(join(dir, b.insns));
    const windows = (b.k2_params['win_s_list'] as number[]).map((s, i) => [s, (b.k2_params['win_e_list'] as number[])[i]!] as const);
    const insns = p.insns.map((i) => ({ ...i }));
    for (const [slot, text] of Object.entries(edits)) {
      assert.ok(windows.some(([s, e]) => +slot >= s && +slot <= e), `slot ${slot} is outside every window`);
      insns[+slot] = text === 'nop' ? { ...NOP } : assemble(text)[0]!;
    }
    const q = { ...p, insns };
    const removed = Object.values(edits).filter((t) => t === 'nop').length;
    assert.ok(removed >= 1, 'the rewrite is smaller');
    const v = variantSets[0]!;
    assert.equal(createSafetyChecker(q, { state: v.safetyState, errors: v.errors, allocation: 'fresh' }).check(insns), Violation.None);
    const rng = new Rng(3);
    const ra = toRunnable(p), rb = toRunnable(q);
    for (const input of randomInputs(p, 1000, 13)) {
      const seeded = { ...input, mapSeeds: seedsFor(p.maps, rng) };
      assert.equal(observable(runProgram(rb, seeded)), observable(runProgram(ra, seeded)));
    }
    if (!skipKernel) {
      const r = kernelLoad(q);
      assert.ok(r.accepted, r.accepted ? '' : r.reason);
      close(r);
    }
  });
}
