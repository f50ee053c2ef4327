/**
 * Cross-checks of the Z3 encoding against the interpreter (the strongest test we have): on seeded
 * random programs and on single mutations of the K2 suite programs, "not equal" must come with a
 * counterexample on which the interpreter shows different outputs, and "equal" must agree with the
 * interpreter on 1,000 random inputs. Plus known rewrites, wrong rewrites, and the canonical form.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Insn } from '../src/ebpf/insn.js';
import { loadProgram } from '../src/ebpf/load.js';
import { defaultInputSize, type Program } from '../src/ebpf/program.js';
import type { RunInput } from '../src/interp/machine.js';
import { generateInputs } from '../src/search/inputs.js';
import { NOP } from '../src/ebpf/k2-isa.js';
import { Rng } from '../src/common/rng.js';
import { canonicalForm } from '../src/verify/cache.js';
import { sharedAvailable, sharedDir } from './paths.js';
import { differences, fastChecker, mutate, randomProgram, rawInputs, rawProgram } from './verify-util.js';

const suiteDir = join(sharedDir, 'k2-suite', 'programs');
const noSuite = sharedAvailable ? false : `K2 suite not found at ${suiteDir} (third-party data lives outside the repo)`;
const SUITE = ['socket-0', 'socket-1', 'sys_enter_open', 'xdp1_kern-xdp1', 'xdp_cpumap_enqueue', 'xdp_devmap_xmit', 'xdp_exception', 'xdp_fw', 'xdp_map_access', 'xdp_pktcntr', 'xdp_redirect_err'];

test('random programs: Z3 verdicts agree with the interpreter (not equal ⇒ confirmed counterexample; equal ⇒ 1,000 inputs agree)', async () => {
  const rng = new Rng(20260611);
  const tally = { equal: 0, notEqual: 0, unsafe: 0, unknown: 0 };
  const unknownReasons: string[] = [];
  const checker = await fastChecker(rawProgram([]));
  for (let k = 0; k < 40; k++) {
    const a = randomProgram(rng, 8 + rng.int(8));
    const prog = rawProgram(a);
    const c = await fastChecker(prog);
    const slots = a.map((_, i) => i).filter((i) => i > 0 && a[i]!.op !== 0x95);
    for (let m = 0; m < 3; m++) {
      const b = m === 0 ? a.map((x) => ({ ...x })) : mutate(rng, a, slots);
      const r = c.check(b, a);
      if (r.verdict === 'equal') {
        tally.equal++;
        const d = differences(prog, a, b, rawInputs(rng, 1000));
        assert.equal(d.differ, 0, `Z3 says equal but the interpreter differs on ${JSON.stringify(d.example && Buffer.from(d.example.packet).toString('hex'))}\nA=${JSON.stringify(a)}\nB=${JSON.stringify(b)}`);
      } else if (r.verdict === 'not-equal' || r.verdict === 'unsafe') {
        if (r.verdict === 'unsafe') tally.unsafe++; else tally.notEqual++;
        const d = differences(prog, a, b, [r.counterexample!]);
        assert.equal(d.differ, 1, 'the counterexample must show a difference');
      } else {
        tally.unknown++;
        unknownReasons.push(c.last?.reason ?? '?');
      }
      if (m === 0) assert.equal(r.verdict, 'equal', 'a program is equal to itself');
    }
    assert.equal(c.stats.encodingMismatches, 0, `encoding mismatch: ${c.last?.reason}`);
    c.dispose();
  }
  checker.dispose();
  assert.ok(tally.equal >= 40 && tally.notEqual >= 10, `verdicts: ${JSON.stringify(tally)}`);
  // Only what the encoding cannot express (a store or load through a scalar, like K2's −1) may be unknown.
  assert.ok(unknownReasons.every((r) => /unknown provenance|symbolic offset/.test(r)), `unexpected unknowns: ${JSON.stringify(tally)} ${unknownReasons.join('; ')}`);
});

function suiteInputs(p: Program, n: number, seed: number): RunInput[] {
  const rng = new Rng(seed);
  const base = generateInputs(p, rng, n);
  // Also shorter packets (the solver considers every length from 14 bytes on).
  const max = defaultInputSize(p);
  return base.map((inp, i) => (i % 3 === 0 && p.progType !== 'tracepoint' ? { ...inp, packet: inp.packet.slice(0, 14 + rng.int(max - 13)) } : inp));
}

test('single mutations of the K2 suite programs: verdicts agree with the interpreter', { skip: noSuite }, async () => {
  const rng = new Rng(7);
  let equal = 0, differ = 0, unknown = 0;
  for (const name of SUITE) {
    const p = loadProgram(join(suiteDir, name));
    const c = await fastChecker(p);
    assert.equal(c.check(p.insns, p.insns).verdict, 'equal', `${name} equals itself`);
    const slots = p.insns.map((x, i) => i).filter((i) => ![0x18, 0x85, 0x95, 0x00].includes(p.insns[i]!.op) && (p.insns[i]!.op & 7) !== 0x05);
    for (let m = 0; m < 6; m++) {
      const b = mutate(rng, p.insns, slots);
      const r = c.check(b, p.insns);
      if (r.verdict === 'equal') {
        equal++;
        const d = differences(p, p.insns, b, suiteInputs(p, 1000, 100 + m));
        assert.equal(d.differ, 0, `${name}: Z3 says equal, the interpreter differs (mutation ${JSON.stringify(b.filter((x, i) => JSON.stringify(x) !== JSON.stringify(p.insns[i])))})`);
      } else if (r.verdict === 'unknown') unknown++;
      else {
        differ++;
        assert.equal(differences(p, p.insns, b, [r.counterexample!]).differ, 1, `${name}: counterexample not confirmed`);
      }
    }
    assert.equal(c.stats.encodingMismatches, 0, `${name}: encoding mismatch (${c.last?.reason})`);
    c.dispose();
  }
  assert.ok(differ >= 20 && equal >= 5, `equal ${equal}, not equal/unsafe ${differ}, unknown ${unknown}`);
});

/** The rewrite our optimizer finds for xdp_exception (18 → 16, as K2): load/add/store → atomic add. */
function xdpExceptionRewrite(p: Program): Insn[] {
  const b = p.insns.map((x) => ({ ...x }));
  const i = b.findIndex((x, k) => x.op === 0x79 && b[k + 1]!.op === 0x07 && b[k + 2]!.op === 0x7b);
  assert.ok(i > 0, 'load/add/store sequence present');
  b[i] = { ...NOP }; b[i + 1] = { ...NOP };
  b[i + 2] = { op: 0xdb, dst: b[i + 2]!.dst, src: b[i + 2]!.src, off: b[i + 2]!.off, imm: 0 }; // lock add64; r1 = 1 from before
  return b;
}

test('known rewrites verify; wrong rewrites are refuted with a confirmed counterexample', { skip: noSuite }, async () => {
  const p = loadProgram(join(suiteDir, 'xdp_exception'));
  const c = await fastChecker(p);
  assert.equal(c.check(xdpExceptionRewrite(p), p.insns).verdict, 'equal');
  // Wrong: add 2 instead of 1.
  const wrong = p.insns.map((x) => ({ ...x }));
  const add = wrong.findIndex((x) => x.op === 0x07 && x.imm === 1);
  wrong[add]!.imm = 2;
  const r = c.check(wrong, p.insns);
  assert.equal(r.verdict, 'not-equal');
  assert.equal(differences(p, p.insns, wrong, [r.counterexample!]).differ, 1);
  // Not wrong here: the per-CPU array lookup with a clamped key never fails, so its NULL check can go.
  const nocheck = p.insns.map((x) => ({ ...x }));
  const jeq = nocheck.findIndex((x) => x.op === 0x15 && x.dst === 0 && x.imm === 0);
  nocheck[jeq] = { ...NOP };
  assert.equal(c.check(nocheck, p.insns).verdict, 'equal');
  c.dispose();
  // Wrong: a hash-map lookup can fail; without its NULL check the candidate dereferences NULL.
  const h = loadProgram(join(suiteDir, 'xdp_map_access'));
  const ch = await fastChecker(h);
  const hb = h.insns.map((x) => ({ ...x }));
  hb[hb.findIndex((x) => x.op === 0x15 && x.dst === 0 && x.imm === 0)] = { ...NOP };
  const u = ch.check(hb, h.insns);
  assert.equal(u.verdict, 'unsafe');
  assert.equal(differences(h, h.insns, hb, [u.counterexample!]).differ, 1, 'the candidate fails on the counterexample');
  ch.dispose();
});

test('canonical form: dead register writes and NOPs removed, jump offsets fixed', () => {
  const prog: Insn[] = [
    { op: 0xb7, dst: 3, src: 0, off: 0, imm: 9 }, // dead
    { op: 0xb7, dst: 0, src: 0, off: 0, imm: 1 },
    { op: 0x15, dst: 0, src: 0, off: 2, imm: 1 },
    { ...NOP },
    { op: 0xb7, dst: 0, src: 0, off: 0, imm: 2 },
    { op: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
  ];
  assert.deepEqual(canonicalForm(prog), [
    { op: 0xb7, dst: 0, src: 0, off: 0, imm: 1 },
    { op: 0x15, dst: 0, src: 0, off: 1, imm: 1 },
    { op: 0xb7, dst: 0, src: 0, off: 0, imm: 2 },
    { op: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
  ]);
});
