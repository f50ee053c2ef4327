/**
 * The `compiled` dispatch gives the switch interpreter's results exactly — r0, packet, maps, side
 * effects, instruction count and errors with their slot — on the conformance vectors, on the suite
 * programs over 200 random inputs (half with seeded maps), and on thousands of random mutations
 * of them (many of them faulting), compiled afresh and through a reused (pooled) code object.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CONFORMANCE_HELPERS } from '../src/conformance/helpers.js';
import { findConformanceFiles, loadConformanceCase } from '../src/conformance/parse.js';
import { InputError } from '../src/ebpf/errors.js';
import type { Insn } from '../src/ebpf/insn.js';
import { loadProgram } from '../src/ebpf/load.js';
import { MAP_TYPES, type Program } from '../src/ebpf/program.js';
import type { PreparedCode } from '../src/interp/interpreter.js';
import type { RunInput } from '../src/interp/machine.js';
import { Session, toRunnable, type RunOptions, type RunResult, type Runnable } from '../src/interp/run.js';
import { generateInputs } from '../src/search/inputs.js';
import { buildPools, chooseMove, propose, type ProposalContext } from '../src/search/proposals.js';
import { Rng } from '../src/common/rng.js';
import { compiledDispatch } from '../variants/dispatch/compiled.js';
import { switchDispatch } from '../variants/dispatch/switch.js';
import { repoRoot, sharedDir } from './paths.js';

const builtinDir = join(repoRoot, 'suites', 'builtin', 'programs');
const k2Dir = join(sharedDir, 'k2-suite', 'programs');
const confDir = join(sharedDir, 'conformance');
const names = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.insns')).map((f) => join(dir, f.slice(0, -6))).sort() : []);
const programs = (): Program[] => [...names(builtinDir), ...names(k2Dir)].map((p) => loadProgram(p));

/** Runs `code` on every input in one session and returns each full result. */
function runAll(r: Runnable, code: PreparedCode, inputs: readonly RunInput[], opts: RunOptions): RunResult[] {
  const s = new Session(r, opts);
  s.code = code;
  return inputs.map((input) => { s.run(input); return s.result(); });
}

/** Compares compiled with switch on `insns`; returns whether the compiled runner (not the switch fallback) ran. */
function same(r: Runnable, insns: readonly Insn[], inputs: readonly RunInput[], opts: RunOptions, what: string, reuse?: PreparedCode): PreparedCode {
  const want = runAll(r, switchDispatch.prepare(insns), inputs, opts);
  const code = compiledDispatch.prepare(insns, reuse);
  assert.deepStrictEqual(runAll(r, code, inputs, opts), want, what);
  return code;
}

/** Half the inputs start with a few random entries in each hash/array map. */
function withMapSeeds(p: Program, inputs: RunInput[], rng: Rng): RunInput[] {
  const seedable: number[] = [MAP_TYPES.hash, MAP_TYPES.array, MAP_TYPES.percpu_hash, MAP_TYPES.percpu_array, MAP_TYPES.lru_hash];
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  return inputs.map((input, i) => {
    if (i % 2 === 0) return input;
    const seeds = new Map<number, [string, string][]>();
    for (const m of p.maps.filter((x) => seedable.includes(x.type))) {
      const entries: [string, string][] = [];
      for (let k = 1 + rng.int(3); k > 0; k--) {
        const key = rng.bytes(m.keySize);
        if (m.type === MAP_TYPES.array || m.type === MAP_TYPES.percpu_array) new DataView(key.buffer).setUint32(0, rng.int(m.maxEntries), true);
        entries.push([hex(key), hex(rng.bytes(m.valueSize))]);
      }
      seeds.set(m.fd, entries);
    }
    return { ...input, mapSeeds: seeds };
  });
}

test('compiled = switch on every runnable conformance vector', { skip: existsSync(confDir) ? false : `no conformance vectors at ${confDir}` }, () => {
  let ran = 0, compiled = 0;
  for (const file of findConformanceFiles([confDir])) {
    let c;
    try { c = loadConformanceCase(file); } catch (e) { if (e instanceof InputError) continue; throw e; }
    if (!c.insns) continue;
    let r: Runnable;
    try { r = toRunnable({ name: file, source: file, insns: c.insns, maps: [] }, 'none'); } catch (e) { if (e instanceof InputError) continue; throw e; }
    const input: RunInput = { packet: new Uint8Array(0), ...(c.mem ? { scratch: c.mem } : { r1: 0n, r2: 0n }) };
    const code = same(r, c.insns, [input], { helpers: CONFORMANCE_HELPERS, maxInsns: 100_000 }, file);
    ran++;
    if (code.run) compiled++;
  }
  assert.ok(ran > 350, `only ${ran} vectors ran`);
  // The rest hold encodings without a table row that the switch still executes (it runs those).
  assert.ok(compiled > 0.9 * ran, `compiled runner used on ${compiled}/${ran}`);
});

test('compiled = switch on the suite programs over 200 random inputs each (half with seeded maps)', () => {
  const progs = programs();
  assert.ok(progs.length >= 11);
  for (const p of progs) {
    const rng = new Rng(7);
    const inputs = withMapSeeds(p, generateInputs(p, rng, 200), rng);
    const code = same(toRunnable(p), p.insns, inputs, {}, p.name);
    assert.ok(code.run, `${p.name} ran on the switch fallback`);
  }
});

test('compiled = switch on thousands of random mutations (faulting ones included), fresh and reused code', () => {
  let candidates = 0, faulted = 0, fallbacks = 0;
  for (const p of programs()) {
    const r = toRunnable(p);
    const rng = new Rng(11);
    const inputs = withMapSeeds(p, generateInputs(p, rng, 4), rng);
    const len = p.insns.length;
    const ctx: ProposalContext = { len, mapFds: p.maps.map((m) => m.fd), isWin: false, ...buildPools(p.insns, 0, len - 1, false) };
    let cur = p.insns.slice();
    let pooled: PreparedCode | undefined;
    for (let i = 0; i < 150; i++) {
      // A random walk without safety checks: wild jumps, loops (the small budget ends them), bad memory.
      const cand = cur.slice();
      propose(chooseMove(rng.float(), { pInstOperand: 0.33, pInst: 0.33, pInstAsNop: 0.15 }), cand, 0, len - 1, ctx, rng);
      const opts = { maxInsns: 2000 };
      same(r, cand, inputs, opts, `${p.name} candidate ${i} (fresh)`);
      pooled = same(r, cand, inputs, opts, `${p.name} candidate ${i} (reused)`, pooled);
      if (!pooled.run) fallbacks++;
      const s = new Session(r, opts);
      s.code = pooled;
      if (inputs.some((input) => !s.run(input))) faulted++;
      candidates++;
      cur = rng.int(4) === 0 ? p.insns.slice() : cand; // drift, with restarts from the original
    }
  }
  assert.ok(candidates >= 3000, `${candidates} candidates`);
  assert.ok(faulted > candidates / 10, `only ${faulted}/${candidates} candidates faulted`);
  assert.ok(fallbacks < candidates / 100, `${fallbacks}/${candidates} candidates ran on the switch fallback`);
});

test('compiled: faults carry the switch interpreter\'s slot and message', () => {
  const r = toRunnable({ name: 't', source: 't', insns: [], maps: [], progType: 'xdp', maxPktSize: 64 });
  const ins = (op: number, dst: number, src: number, off: number, imm: number): Insn => ({ op, dst, src, off, imm });
  const cases: Insn[][] = [
    [ins(0xb7, 0, 0, 0, 1), ins(0x05, 0, 0, 5, 0)], // jump out of the program
    [ins(0xb7, 0, 0, 0, 1), ins(0x05, 0, 0, -1, 0), ins(0x95, 0, 0, 0, 0)], // endless loop: budget
    [ins(0x61, 0, 3, 0, 0), ins(0x95, 0, 0, 0, 0)], // read through an unmapped address
    [ins(0x18, 1, 1, 0, 99), ins(0, 0, 0, 0, 0), ins(0x95, 0, 0, 0, 0)], // no map with fd 99: reported at the second slot
    [ins(0x05, 0, 0, 1, 0), ins(0x18, 1, 0, 0, 1), ins(0, 0, 0, 0, 2), ins(0x95, 0, 0, 0, 0)], // jump into an LDDW's second slot
    [ins(0x85, 0, 0, 0, 9999), ins(0x95, 0, 0, 0, 0)], // unsupported helper
    [ins(0x72, 10, 0, 0, 1), ins(0x95, 0, 0, 0, 0)], // store at the stack top (past its end)
  ];
  for (const [i, insns] of cases.entries()) {
    const inputs = [{ packet: new Uint8Array(64) }];
    const code = same(r, insns, inputs, { maxInsns: 500 }, `case ${i}`);
    assert.ok(code.run, `case ${i} compiled`);
    assert.ok(runAll(r, code, inputs, { maxInsns: 500 })[0]!.error, `case ${i} faults`);
  }
});
