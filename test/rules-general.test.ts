/**
 * Generalised stack rules: a store of a constant through a register to the stack generalises over
 * registers (the general proof fills and compares the stack dwords it touches), applies to another
 * register; a false stack rule and a dead-store rule (true only where the slot is dead) do not
 * generalise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../src/ebpf/asm.js';
import type { Program } from '../src/ebpf/program.js';
import { applyRules } from '../src/rules/apply.js';
import { learnRules } from '../src/rules/learn.js';
import { proveGeneral } from '../src/rules/prove.js';
import { abstractRegisters, ruleId, shapeOf, type Rule } from '../src/rules/rule.js';
import { snapshotOf } from '../src/rules/snapshot.js';
import { createZ3Checker } from '../src/verify/checker.js';
import { createZ3Impl } from '../variants/z3/index.js';
import { hasNative } from './verify-util.js';

const xdp = (text: string): Program => ({ name: 't', source: 't', insns: assemble(text), maps: [], progType: 'xdp' });
const provenance = { programDigest: 'd', programName: 't' };

test('rules: a constant stored to the stack through a register generalises over registers and applies to another', async () => {
  const impl = await createZ3Impl(hasNative ? 'native-process' : 'reused-solver');
  try {
    const p = xdp('r1 = 0\n*(u32 *)(r10 - 4) = r1\nr0 = *(u32 *)(r10 - 4)\nexit');
    const rewritten = assemble('goto +0\n*(u32 *)(r10 - 4) = 0\nr0 = *(u32 *)(r10 - 4)\nexit');
    const out = learnRules([{ start: p.insns, s: 0, e: 1, rewritten, ms: 700, msInWindow: 7 }], { program: p, impl, provenance });
    assert.equal(out.rules.length, 1);
    assert.equal(out.rules[0]!.generality, 'registers');
    const target = xdp('r2 = *(u32 *)(r1 + 12)\nr4 = 0\n*(u32 *)(r10 - 4) = r4\nr0 = *(u32 *)(r10 - 4)\nr0 += r2\nexit');
    const o = applyRules(target, target.insns, snapshotOf(out.rules), { safe: () => true, checker: createZ3Checker(target, { impl, cache: false }) });
    assert.equal(o.applied.length, 1);
    assert.equal(o.applied[0]!.general, true);
    assert.deepEqual(o.insns.slice(1, 3), assemble('goto +0\n*(u32 *)(r10 - 4) = 0'));
  } finally { impl.dispose(); }
});

test('rules: a false stack rule and a dead store do not generalise', async () => {
  const impl = await createZ3Impl(hasNative ? 'native-process' : 'reused-solver');
  try {
    const mk = (pattern: string, replacement: string, entry: Rule['pre']['entry']): Rule => {
      const a = abstractRegisters(assemble(pattern), assemble(replacement));
      const body = { generality: 'registers' as const, pattern: a.pattern, replacement: a.replacement, pre: { entry, liveOut: 0 } };
      return { ...body, id: ruleId(body), shape: shapeOf(a.pattern), saved: 1, msToFind: 1, fires: 0, witness: { name: 't', maps: [], start: '', s: 0, e: 0 }, provenance: { ...provenance, learnedAt: '' } };
    };
    assert.equal(proveGeneral(mk('*(u32 *)(r10 - 4) = r2', '*(u32 *)(r10 - 4) = 0', ['scalar']), impl).ok, false);
    assert.equal(proveGeneral(mk('r2 = 0\n*(u64 *)(r10 - 8) = r2', 'goto +0\ngoto +0', ['any']), impl).ok, false);
    assert.equal(proveGeneral(mk('r2 = 0\n*(u64 *)(r10 - 8) = r2', 'goto +0\n*(u64 *)(r10 - 8) = 0', ['any']), impl).ok, true);
  } finally { impl.dispose(); }
});
