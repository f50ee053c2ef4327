/**
 * The window-focused safety check on windows that hold or touch a 64-bit load (LDDW), and windows
 * starting at slot 0: on random rewrites (K2's proposals, plus loads moved in or out of the window
 * and second halves rewritten), the focused verdict equals a whole check's, for every safety-state ×
 * errors × allocation combination.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LDDW_OPCODE, type Insn } from '../src/ebpf/insn.js';
import { assemble } from '../src/ebpf/asm.js';
import { loadProgram } from '../src/ebpf/load.js';
import { MAP_TYPES, type Program } from '../src/ebpf/program.js';
import { createSafetyChecker, type ProgramLike } from '../src/safety/checker.js';
import { Violation } from '../src/ebpf/violations.js';
import { buildPools, chooseMove, propose, type ProposalContext } from '../src/search/proposals.js';
import { Rng } from '../src/common/rng.js';
import { sampleInt } from '../src/search/sampling.js';
import { SAFETY_COMBOS, verdictOf } from './safety-util.js';
import { repoRoot, sharedAvailable, sharedDir } from './paths.js';



/** Windows [s, e] around the program's first LDDWs: holding the load, ending at it, starting at its second half; and one at 0. */
function lddwWindows(p: Program, max: number): [number, number][] {
  const n = p.insns.length, out: [number, number][] = [[0, Math.min(2, n - 1)]];
  for (let i = 0; i < n - 1 && out.length < max; i++) {
    if (p.insns[i]!.op !== LDDW_OPCODE) continue;
    const clamp = (s: number, e: number): [number, number] => [Math.max(0, s), Math.min(n - 1, e)];
    out.push(clamp(i - 1, i + 2), clamp(i - 2, i), clamp(i + 1, i + 3), clamp(i, i + 1));
    i++;
  }
  return out;
}

/** An odd rewrite K2's proposals never make: a load moved into the window, out of it, or its second half changed. */
function oddRewrite(cand: Insn[], s: number, e: number, rng: Rng): void {
  const j = sampleInt(rng, s, e);
  const k = rng.float();
  if (k < 0.4) cand[j] = { op: LDDW_OPCODE, dst: sampleInt(rng, 0, 9), src: 0, off: 0, imm: sampleInt(rng, 0, 99) };
  else if (k < 0.7 && cand[j]!.op === LDDW_OPCODE) cand[j] = { op: 0xb7, dst: cand[j]!.dst, src: 0, off: 0, imm: 1 };
  else cand[j] = { ...cand[j]!, imm: cand[j]!.imm + 1 };
}

function compare(p: Program, steps: number, seed: number): { compared: number; unsafe: number; safe: number } {
  const rng = new Rng(seed);
  const len = p.insns.length, mapFds = p.maps.map((m) => m.fd);
  let compared = 0, unsafe = 0, safe = 0;
  for (const { state, errors, allocation } of SAFETY_COMBOS) {
    const focused = createSafetyChecker(p, { state, errors: errors(), allocation });
    const whole = createSafetyChecker(p, { state, errors: errors(), allocation });
    for (const [s, e] of lddwWindows(p, 12)) {
      let cur: Insn[] = p.insns.map((x) => ({ ...x }));
      focused.focus(cur.slice(), s, e);
      const ctx: ProposalContext = { len, mapFds, isWin: true, ...buildPools(cur, s, e, true) };
      for (let i = 0; i < steps; i++) {
        const cand = cur.slice();
        propose(chooseMove(rng.float(), { pInstOperand: 0.25, pInst: 0.25, pInstAsNop: 0.25 }), cand, s, e, ctx, rng);
        if (i % 11 === 10) oddRewrite(cand, s, e, rng);
        const a = verdictOf(focused, cand), b = verdictOf(whole, cand);
        assert.equal(a, b, `${p.name} window [${s},${e}] step ${i} (${state.name}, ${errors().name ?? ''}, ${allocation}): focused ${a}, whole ${b}`);
        compared++;
        if (b === Violation.None) { safe++; if (i % 11 !== 10) cur = cand; } else unsafe++;
      }
    }
  }
  return { compared, unsafe, safe };
}

const names = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.insns')).map((f) => f.slice(0, -6)).sort();
const withLddw = (p: Program): boolean => p.insns.some((x) => x.op === LDDW_OPCODE);

test('safety focus: windows with 64-bit loads agree with whole checks (built-in suite)', () => {
  const dir = join(repoRoot, 'suites', 'builtin', 'programs');
  let programs = 0, safe = 0, unsafe = 0;
  for (const name of names(dir)) {
    const p = loadProgram(join(dir, name));
    if (!withLddw(p)) continue;
    const r = compare(p, 120, 23);
    programs++; safe += r.safe; unsafe += r.unsafe;
  }
  assert.ok(programs > 0 && safe > 0 && unsafe > 0, `${programs} programs with loads, ${safe} safe and ${unsafe} unsafe candidates`);
});

const suite = join(sharedDir, 'k2-suite', 'programs');
test('safety focus: windows with 64-bit loads agree with whole checks (K2 programs)', { skip: sharedAvailable ? false : `K2 suite not found at ${suite} (third-party data lives outside the repo)` }, () => {
  let programs = 0, safe = 0;
  for (const name of names(suite)) {
    const p = loadProgram(join(suite, name));
    if (!withLddw(p)) continue;
    const r = compare(p, 120, 29);
    programs++; safe += r.safe;
  }
  assert.ok(programs > 0 && safe > 0, `${programs} programs with loads, ${safe} safe candidates`);
});

test('safety focus: a window starting at a second half sees the candidate\'s half (map value offset 8 safe, 12 not)', () => {
  const prog: ProgramLike = { maps: [{ name: 'm4', type: MAP_TYPES.array, keySize: 4, valueSize: 16, maxEntries: 16, fd: 4, flags: 0 }], progType: 'xdp' };
  const start: Insn[] = [{ op: LDDW_OPCODE, dst: 2, src: 2, off: 0, imm: 4 }, { op: 0, dst: 0, src: 0, off: 0, imm: 8 }, ...assemble('r0 = *(u64 *)(r2 + 0)\nr0 = 0\nexit')];
  for (const { state, errors, allocation } of SAFETY_COMBOS) {
    const focused = createSafetyChecker(prog, { state, errors: errors(), allocation });
    const whole = createSafetyChecker(prog, { state, errors: errors(), allocation });
    for (const [s, e] of [[1, 1], [1, 2], [0, 1], [0, 2]] as const) {
      focused.focus(start, s, e);
      assert.equal(verdictOf(focused, start), Violation.None);
      const cand = start.slice();
      cand[1] = { ...start[1]!, imm: 12 };
      assert.notEqual(verdictOf(whole, cand), Violation.None);
      assert.equal(verdictOf(focused, cand), verdictOf(whole, cand), `window [${s},${e}] (${state.name}, ${allocation})`);
    }
  }
});
