/**
 * The window-focused safety check on a large real program (bcc's execsnoop, 2,176 instructions: far
 * jumps to a shared exit, helper calls, map values): a candidate's flow stops where it joins the start
 * program's recorded flow, and its verdict must equal a whole check's on random rewrites of windows
 * across the program, for two variant combinations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Insn } from '../src/ebpf/insn.js';
import { autoWindows } from '../src/analysis/windows.js';
import { loadCorpus } from '../src/soundness/corpus.js';
import { createSafetyChecker, type AllocationMode } from '../src/safety/checker.js';
import { Violation } from '../src/ebpf/violations.js';
import { buildPools, chooseMove, propose, type ProposalContext } from '../src/search/proposals.js';
import { Rng } from '../src/common/rng.js';
import { exceptions } from '../variants/errors/exceptions.js';
import { resultCodes } from '../variants/errors/result-codes.js';
import { bitset } from '../variants/safety-state/bitset.js';
import { booleanArray } from '../variants/safety-state/boolean-array.js';
import { verdictOf } from './safety-util.js';
import { sharedDir } from './paths.js';

const object = join(sharedDir, 'real-world', 'objs', 'iovisor+bcc', 'execsnoop.o');


test('safety focus: bcc\'s execsnoop (2,176 insns), focused verdicts equal whole ones', { skip: existsSync(object) ? false : `${object} not found (third-party data lives outside the repo)` }, () => {
  const p = loadCorpus([object]).programs.find((x) => x.name.endsWith('sys_enter_execve'))!;
  const combos = [{ state: bitset, errors: resultCodes, allocation: 'pooled' as AllocationMode }, { state: booleanArray, errors: exceptions, allocation: 'fresh' as AllocationMode }];
  let compared = 0, safe = 0;
  for (const { state, errors, allocation } of combos) {
    const whole = createSafetyChecker(p, { state, errors: errors(), allocation });
    const focused = createSafetyChecker(p, { state, errors: errors(), allocation });
    assert.equal(verdictOf(whole, p.insns), Violation.None);
    const rng = new Rng(41);
    const w = autoWindows(p);
    for (let k = 0; k < w.s.length; k += 20) {
      const s = w.s[k]!, e = w.e[k]!;
      let cur: Insn[] = p.insns.map((x) => ({ ...x }));
      focused.focus(cur.slice(), s, e);
      const ctx: ProposalContext = { len: cur.length, mapFds: p.maps.map((m) => m.fd), isWin: true, ...buildPools(cur, s, e, true) };
      for (let i = 0; i < 100; i++) {
        const cand = cur.slice();
        propose(chooseMove(rng.float(), { pInstOperand: 0.3, pInst: 0.3, pInstAsNop: 0.2 }), cand, s, e, ctx, rng);
        const a = verdictOf(focused, cand), b = verdictOf(whole, cand);
        assert.equal(a, b, `window [${s},${e}] step ${i} (${state.name}, ${allocation}): focused ${a}, whole ${b}`);
        compared++;
        if (b === Violation.None) { safe++; if (rng.float() < 0.5) cur = cand; }
      }
    }
  }
  assert.ok(compared > 1000 && safe > 100, `${compared} candidates compared, ${safe} safe`);
});
