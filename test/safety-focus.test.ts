/**
 * The window-focused safety check (SafetyChecker.focus) against whole checks: on chains of random
 * rewrites of windows of real programs, for every safety-state × errors × allocation combination,
 * the focused checker's verdict (the violation code, not only safe/unsafe) equals a whole check's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Insn } from '../src/ebpf/insn.js';
import { loadProgram } from '../src/ebpf/load.js';
import type { Program } from '../src/ebpf/program.js';
import { autoWindows } from '../src/analysis/windows.js';
import { createSafetyChecker, type SafetyChecker } from '../src/safety/checker.js';
import { Violation } from '../src/ebpf/violations.js';
import { buildPools, chooseMove, propose, type ProposalContext } from '../src/search/proposals.js';
import { Rng } from '../src/common/rng.js';
import { sampleInt } from '../src/search/sampling.js';
import { SAFETY_COMBOS, verdictOf } from './safety-util.js';
import { repoRoot, sharedAvailable, sharedDir } from './paths.js';



/** Random walks in each automatic window (and a few random ones): returns how many candidates were compared. */
function compare(p: Program, steps: number, seed: number): { compared: number; unsafe: number; focusedSafe: number } {
  const rng = new Rng(seed);
  const len = p.insns.length;
  const auto = autoWindows(p);
  const windows: [number, number][] = auto.s.map((s, k) => [s, auto.e[k]!]);
  for (let k = 0; k < 3; k++) { const s = sampleInt(rng, 1, len - 2); windows.push([s, sampleInt(rng, s, Math.min(len - 1, s + 6))]); }
  const mapFds = p.maps.map((m) => m.fd);
  let compared = 0, unsafe = 0, focusedSafe = 0;
  for (const { state, errors, allocation } of SAFETY_COMBOS) {
    const focused = createSafetyChecker(p, { state, errors: errors(), allocation });
    const whole = createSafetyChecker(p, { state, errors: errors(), allocation });
    for (const [s, e] of windows) {
      let cur: Insn[] = p.insns.map((x) => ({ ...x }));
      focused.focus(cur.slice(), s, e);
      const ctx: ProposalContext = { len, mapFds, isWin: true, ...buildPools(cur, s, e, true) };
      for (let i = 0; i < steps; i++) {
        const cand = cur.slice();
        propose(chooseMove(rng.float(), { pInstOperand: 0.25, pInst: 0.25, pInstAsNop: 0.25 }), cand, s, e, ctx, rng);
        // Now and then a candidate that differs outside the window too: checked whole.
        if (i % 37 === 36) { const j = sampleInt(rng, 0, len - 1); cand[j] = { ...cand[j]!, off: cand[j]!.off + 1 }; }
        const a = verdictOf(focused, cand), b = verdictOf(whole, cand);
        assert.equal(a, b, `${p.name} window [${s},${e}] step ${i} (${state.name}, ${allocation}): focused ${a}, whole ${b}`);
        compared++;
        if (b === Violation.None) { focusedSafe++; if (i % 37 !== 36) cur = cand; } else unsafe++;
      }
      // A whole check of another program in between must not disturb the focus.
      verdictOf(focused, p.insns);
    }
    focused.unfocus();
    assert.equal(verdictOf(focused, p.insns), Violation.None);
  }
  return { compared, unsafe, focusedSafe };
}

const builtin = join(repoRoot, 'suites', 'builtin', 'programs');
const names = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.insns')).map((f) => f.slice(0, -6)).sort();

test('safety focus: the window-focused check agrees with whole checks on the built-in suite', () => {
  for (const name of names(builtin)) {
    const r = compare(loadProgram(join(builtin, name)), 150, 7);
    assert.ok(r.unsafe > 0 && r.focusedSafe > 0, `${name}: the walk saw both safe and unsafe candidates (${r.focusedSafe} safe, ${r.unsafe} unsafe)`);
  }
});

const suite = join(sharedDir, 'k2-suite', 'programs');
test('safety focus: the window-focused check agrees with whole checks on the 11 K2 programs', { skip: sharedAvailable ? false : `K2 suite not found at ${suite} (third-party data lives outside the repo)` }, () => {
  const all = names(suite);
  assert.equal(all.length, 11);
  for (const name of all) {
    const r = compare(loadProgram(join(suite, name)), 150, 11);
    assert.ok(r.unsafe > 0 && r.focusedSafe > 0, `${name}: the walk saw both safe and unsafe candidates`);
  }
});
