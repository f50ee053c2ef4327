/**
 * Window verification (src/verify/window.ts) cross-checked against the interpreter: single mutations
 * inside K2's windows of the suite programs — "equal" must agree with whole-program runs on 1,000
 * random inputs, "unsafe" must fail on its counterexample — plus known window rewrites and the
 * limits (programs differing outside the window are not window queries).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Insn } from '../src/ebpf/insn.js';
import { loadProgram } from '../src/ebpf/load.js';
import { defaultInputSize, type Program } from '../src/ebpf/program.js';
import type { RunInput } from '../src/interp/machine.js';
import { generateInputs } from '../src/search/inputs.js';
import { NOP } from '../src/ebpf/k2-isa.js';
import { Rng } from '../src/common/rng.js';
import { newSweep, readCatalog } from '../src/bench/sweep.js';
import { toRunnable } from '../src/interp/run.js';
import { WindowTests } from '../src/search/window-evaluation.js';
import { sharedAvailable, sharedDir } from './paths.js';
import { differences, fastChecker, mutate } from './verify-util.js';

const suiteRoot = join(sharedDir, 'k2-suite');
const noSuite = sharedAvailable ? false : `K2 suite not found at ${suiteRoot} (third-party data lives outside the repo)`;

interface Bench { name: string; kernel_prog_type: string; k2_params: { win_s_list: number[]; win_e_list: number[] } }
const benches = (): Bench[] => (JSON.parse(readFileSync(join(suiteRoot, 'suite.json'), 'utf8')) as { benchmarks: Bench[] }).benchmarks;
const load = (b: Bench): Program => loadProgram(join(suiteRoot, 'programs', b.name), { progType: b.kernel_prog_type });

function inputs(p: Program, n: number, seed: number): RunInput[] {
  const rng = new Rng(seed);
  const max = defaultInputSize(p);
  return generateInputs(p, rng, n).map((inp, i) => (i % 3 === 0 && p.progType !== 'tracepoint' ? { ...inp, packet: inp.packet.slice(0, 14 + rng.int(max - 13)) } : inp));
}

test('mutations inside K2 windows: window verdicts agree with whole-program interpretation', { skip: noSuite }, async () => {
  const rng = new Rng(11);
  const tally = { equal: 0, notEqual: 0, unsafe: 0, unknown: 0 };
  for (const b of benches()) {
    const p = load(b);
    const c = await fastChecker(p);
    const { win_s_list: ss, win_e_list: es } = b.k2_params;
    for (let w = 0; w < ss.length; w++) {
      const s = ss[w]!, e = es[w]!;
      const slots = [];
      for (let i = s; i <= e; i++) if (![0x18, 0x85, 0x95, 0x00].includes(p.insns[i]!.op) && (p.insns[i]!.op & 7) !== 0x05) slots.push(i);
      if (slots.length === 0) continue;
      for (let m = 0; m < 4; m++) {
        const cand: Insn[] = m === 0 ? p.insns.map((x) => ({ ...x })) : mutate(rng, p.insns, slots);
        if (m === 3) cand[slots[rng.int(slots.length)]!] = { ...NOP };
        const r = c.check(cand, p.insns, { start: p.insns, s, e });
        const what: string = `${b.name} window ${s}:${e} ${JSON.stringify(cand.slice(s, e + 1))}`;
        if (m === 0) assert.equal(r.verdict, 'equal', `${what}: a window equals itself`);
        if (r.verdict === 'equal') {
          tally.equal++;
          assert.equal(differences(p, p.insns, cand, inputs(p, 1000, 50 + m)).differ, 0, `${what}: window says equal, the interpreter differs`);
        } else if (r.verdict === 'unsafe') {
          tally.unsafe++;
          assert.equal(differences(p, p.insns, cand, [r.counterexample!]).differ, 1, `${what}: the candidate must fail on the counterexample`);
        } else if (r.verdict === 'not-equal') {
          tally.notEqual++;
          assert.ok(r.counterexample, `${what}: a refutation comes with a program input`);
        } else tally.unknown++;
      }
    }
    c.dispose();
  }
  assert.ok(tally.equal >= 30 && tally.notEqual + tally.unsafe >= 20, `verdicts: ${JSON.stringify(tally)}`);
});

const edit = (p: Program, changes: Record<number, Insn>): Insn[] => p.insns.map((x, i) => ({ ...(changes[i] ?? x) }));

test('known window rewrites verify; wrong ones are refuted; edits outside the window are not window queries', { skip: noSuite }, async () => {
  const all = benches();
  const s0 = load(all.find((b) => b.name === 'socket-0')!);
  const c = await fastChecker(s0);
  // K2's socket-0 result: LD_ABS already zero-extends, so the <<32 >>32 pair goes.
  assert.equal(c.check(edit(s0, { 5: NOP, 6: NOP }), s0.insns, { start: s0.insns, s: 1, e: 6 }).verdict, 'equal');
  // Storing 15 instead of 14 into skb->cb[0] changes what the program hands on.
  const wrong = edit(s0, { 2: { op: 0xb7, dst: 1, src: 0, off: 0, imm: 15 } });
  const r = c.check(wrong, s0.insns, { start: s0.insns, s: 1, e: 6 });
  assert.equal(r.verdict, 'not-equal');
  assert.equal(differences(s0, s0.insns, wrong, [r.counterexample!]).differ, 1);
  const outside = edit(s0, { 8: { ...s0.insns[8]!, imm: s0.insns[8]!.imm + 1 } });
  assert.equal(c.check(outside, s0.insns, { start: s0.insns, s: 1, e: 6 }).verdict, 'unknown');
  c.dispose();
  // xdp_fw: one 16-bit load for the low byte is equal within the window (r5 gets the same value;
  // r4 is dead after it) — the whole-program query on this candidate exhausts Z3's resource limit.
  const fw = load(all.find((b) => b.name === 'xdp_fw')!);
  const cf = await fastChecker(fw);
  const u16 = edit(fw, { 10: { ...fw.insns[10]!, op: 0x69 } });
  assert.equal(cf.check(u16, fw.insns, { start: fw.insns, s: 10, e: 13 }).verdict, 'equal');
  assert.equal(differences(fw, fw.insns, u16, inputs(fw, 1000, 3)).differ, 0);
  cf.dispose();
});

test('reach: a solver-found input gets past a map hit that random inputs never pass', { skip: noSuite }, async () => {
  const b = benches().find((x) => x.name === 'xdp_cpumap_enqueue')!;
  const p = load(b);
  const c = await fastChecker(p);
  const random = generateInputs(p, new Rng(1), 300);
  assert.equal(new WindowTests(p, toRunnable(p), p.insns, 14, 16).addInputs(random), 0, 'random tracepoint contexts never hold a cpu index < 64');
  const input = c.reach(p.insns, 14, 16);
  assert.ok(input, 'the window is reachable');
  assert.equal(new WindowTests(p, toRunnable(p), p.insns, 14, 16).addInputs([input]), 1);
  c.dispose();
});

test('bench --iterations-from k2-native: every benchmark runs K2\'s measured -n', { skip: noSuite }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'k2lab-iter-'));
  try {
    const { config } = newSweep({ suite: join(suiteRoot, 'suite.json'), iterationsFrom: 'k2-native', out: join(dir, 'x') }, readCatalog());
    const fw = config.benchmarks.find((x) => x.name === 'xdp_fw')!;
    assert.equal(fw.iterations, 150_000);
    assert.equal(config.iterationsFrom, 'k2-native');
    assert.equal(config.benchmarks.length, 11);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
