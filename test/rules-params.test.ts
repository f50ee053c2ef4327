/**
 * Rules general over immediates and stack offsets: a learned rule with an immediate parameter
 * applies (proved) to another immediate; a rule true only for its immediate (`*= 2` → `<<= 1`) is
 * not generalised over it; a stack-store merge applies at another offset; a wrong hand-made general
 * rule is refused by `rules verify` and its application by the proof; parameters and shift survive
 * the database and JSON lines; application is deterministic for a database's content; the
 * parameter proof follows the K-forms' sign extension (32-bit zero-extends, 64-bit and st DW do not).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../src/ebpf/asm.js';
import type { Program } from '../src/ebpf/program.js';
import { applyRules } from '../src/rules/apply.js';
import { bindAt } from '../src/rules/general.js';
import { ruleOfLine, ruleToLine } from '../src/rules/jsonl.js';
import { learnRules } from '../src/rules/learn.js';
import { proveGeneral, proveRule } from '../src/rules/prove.js';
import { abstractRegisters, generalityLabel, ruleId, shapeOf, type Rule } from '../src/rules/rule.js';
import { snapshotOf } from '../src/rules/snapshot.js';
import { RuleStore } from '../src/rules/store.js';
import { createZ3Checker } from '../src/verify/checker.js';
import { createZ3Impl } from '../variants/z3/index.js';
import { hasNative } from './verify-util.js';
import { repoRoot } from './paths.js';

const xdp = (text: string): Program => ({ name: 't', source: 't', insns: assemble(text), maps: [], progType: 'xdp' });
const provenance = { programDigest: 'd', programName: 't' };
type Impl = Awaited<ReturnType<typeof createZ3Impl>>;

/** The one rule learned from rewriting slots s…e of `start` into `rewritten`. */
function learnOne(impl: Impl, start: string, s: number, e: number, rewritten: string): Rule {
  const p = xdp(start);
  const out = learnRules([{ start: p.insns, s, e, rewritten: assemble(rewritten), ms: 100, msInWindow: 1 }], { program: p, impl, provenance });
  assert.equal(out.rules.length, 1, 'one rule learned');
  return out.rules[0]!;
}

const apply = (impl: Impl, target: Program, rules: readonly Rule[]) =>
  applyRules(target, target.insns, snapshotOf(rules), { safe: () => true, checker: createZ3Checker(target, { impl, cache: false }) });

test('rules: an immediate in pattern and replacement becomes a parameter and applies, proved, to another immediate', async () => {
  const impl = await createZ3Impl(hasNative ? 'native-process' : 'reused-solver');
  try {
    // (x & k) | k = k for every k: the 255 is a parameter of pattern slots 0, 1 and replacement slot 0.
    const rule = learnOne(impl, 'r2 = *(u32 *)(r1 + 12)\nr2 &= 255\nr2 |= 255\nr0 = r2\nexit', 1, 2, 'r2 = *(u32 *)(r1 + 12)\nr2 = 255\ngoto +0\nr0 = r2\nexit');
    assert.equal(generalityLabel(rule), 'registers+imm');
    assert.deepEqual(rule.imms, [{ pattern: [0, 1], replacement: [0] }]);
    assert.equal(bindAt(rule, assemble('r4 &= 7\nr4 |= 8'), 0), undefined, 'one parameter binds one value');
    const target = xdp('r4 = *(u32 *)(r1 + 12)\nr4 &= -7\nr4 |= -7\nr0 = r4\nexit');
    const o = apply(impl, target, [rule]);
    assert.equal(o.applied.length, 1);
    assert.equal(o.rejected, 0);
    assert.deepEqual(o.insns.slice(1, 3), assemble('r4 = -7\ngoto +0'));
  } finally { impl.dispose(); }
});

test('rules: a rewrite true only for its immediate (*= 2 → <<= 1) is not generalised over it', async () => {
  const impl = await createZ3Impl(hasNative ? 'native-process' : 'reused-solver');
  try {
    const rule = learnOne(impl, 'r2 = *(u32 *)(r1 + 12)\nr2 *= 2\nr0 = r2\nexit', 1, 1, 'r2 = *(u32 *)(r1 + 12)\nr2 <<= 1\nr0 = r2\nexit');
    assert.equal(rule.generality, 'registers');
    assert.equal(rule.imms, undefined);
    // The same with a saving (x * 2 * 2 = x << 2, not x * k * k = x << 2): applies to 2 only.
    const twice = learnOne(impl, 'r2 = *(u32 *)(r1 + 12)\nr2 *= 2\nr2 *= 2\nr0 = r2\nexit', 1, 2, 'r2 = *(u32 *)(r1 + 12)\nr2 <<= 2\ngoto +0\nr0 = r2\nexit');
    assert.equal(generalityLabel(twice), 'registers');
    assert.equal(apply(impl, xdp('r3 = *(u32 *)(r1 + 12)\nr3 *= 3\nr3 *= 3\nr0 = r3\nexit'), [twice]).applied.length, 0);
    assert.equal(apply(impl, xdp('r3 = *(u32 *)(r1 + 12)\nr3 *= 2\nr3 *= 2\nr0 = r3\nexit'), [twice]).applied.length, 1);
    // Two values: the 2 is kept, the 7 ((x & k) & k = x & k) becomes a parameter alone.
    const mixed = learnOne(impl, 'r2 = *(u32 *)(r1 + 12)\nr3 = r2\nr2 *= 2\nr3 &= 7\nr2 *= 2\nr3 &= 7\nr0 = r2\nr0 += r3\nexit', 2, 5,
      'r2 = *(u32 *)(r1 + 12)\nr3 = r2\nr2 <<= 2\nr3 &= 7\ngoto +0\ngoto +0\nr0 = r2\nr0 += r3\nexit');
    assert.deepEqual(mixed.imms, [{ pattern: [1, 3], replacement: [1] }]);
  } finally { impl.dispose(); }
});

test('rules: a stack-store merge is shift-general and applies at another offset', async () => {
  const impl = await createZ3Impl(hasNative ? 'native-process' : 'reused-solver');
  try {
    const t0 = performance.now();
    const rule = learnOne(impl, '*(u32 *)(r10 - 8) = 0\n*(u32 *)(r10 - 4) = 0\nr0 = *(u64 *)(r10 - 8)\nexit', 0, 1, '*(u64 *)(r10 - 8) = 0\ngoto +0\nr0 = *(u64 *)(r10 - 8)\nexit');
    process.stderr.write(`# learning the merge rule (witness, general, parameter attempt, ${rule.stackShift ? (rule.stackShift.max - rule.stackShift.min) / 8 + 1 : 0} shifts): ${Math.round(performance.now() - t0)} ms\n`);
    assert.equal(generalityLabel(rule), 'registers+shift', 'the 0 is no parameter: two u32 stores of k are one u64 store of k only for k = 0, -1');
    assert.deepEqual(rule.stackShift, { stride: 8, min: -504, max: 0 });
    const target = xdp('r2 = *(u32 *)(r1 + 12)\n*(u32 *)(r10 - 24) = 0\n*(u32 *)(r10 - 20) = 0\nr0 = *(u64 *)(r10 - 24)\nr0 += r2\nexit');
    const o = apply(impl, target, [rule]);
    assert.equal(o.applied.length, 1);
    assert.deepEqual(o.insns.slice(1, 3), assemble('*(u64 *)(r10 - 24) = 0\ngoto +0'));
    assert.equal(bindAt(rule, assemble('*(u32 *)(r10 - 12) = 0\n*(u32 *)(r10 - 8) = 0'), 0), undefined, 'a shift out of the alignment class');
    assert.equal(bindAt(rule, assemble('*(u32 *)(r10 - 16) = 0\n*(u32 *)(r10 - 4) = 0'), 0), undefined, 'two shifts');
  } finally { impl.dispose(); }
});

test('rules: a wrong general rule is refused by rules verify and its application by the proof; the database and JSON lines keep parameters', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'k2lab-rules-params-'));
  const impl = await createZ3Impl(hasNative ? 'native-process' : 'reused-solver');
  try {
    const good = learnOne(impl, 'r2 = *(u32 *)(r1 + 12)\nr2 &= 255\nr2 |= 255\nr0 = r2\nexit', 1, 2, 'r2 = *(u32 *)(r1 + 12)\nr2 = 255\ngoto +0\nr0 = r2\nexit');
    const times2 = learnOne(impl, 'r2 = *(u32 *)(r1 + 12)\nr2 *= 2\nr2 *= 2\nr0 = r2\nexit', 1, 2, 'r2 = *(u32 *)(r1 + 12)\nr2 <<= 2\ngoto +0\nr0 = r2\nexit');
    // Hand-made: the 2 of `*= 2` as a parameter. True on its witness, false in general.
    const body = { ...times2, imms: [{ pattern: [0, 1], replacement: [] }] };
    const wrong: Rule = { ...body, id: ruleId(body) };
    assert.equal(proveRule(wrong, impl).ok, false);
    const target = xdp('r3 = *(u32 *)(r1 + 12)\nr3 *= 4\nr3 *= 4\nr0 = r3\nexit');
    const o = apply(impl, target, [wrong]);
    assert.equal(o.applied.length, 0);
    assert.equal(o.rejected, 1, 'it matched and the window proof turned it down');
    // Through the database and JSON lines, parameters and shift are kept and the ids still check.
    assert.deepEqual(ruleOfLine(ruleToLine(wrong), 'x'), wrong);
    assert.throws(() => ruleOfLine(ruleToLine({ ...wrong, imms: [{ pattern: [0, 1], replacement: [0] }] }), 'x'), /cannot be a parameter/);
    const db = join(dir, 'r.sqlite');
    const s = RuleStore.open(db);
    s.add([good, wrong]);
    assert.deepEqual(s.all().find((r) => r.id === good.id)?.imms, good.imms);
    s.close();
    const list = spawnSync(process.execPath, [join(repoRoot, 'bin', 'k2lab.js'), 'rules', 'list', '--rules', db], { encoding: 'utf8' });
    assert.match(list.stdout, new RegExp(`${good.id} registers\\+imm len 2`));
    assert.match(list.stdout, /immediates: k0 \(255 here\) at pattern 0,1, replacement 0/);
    const v = spawnSync(process.execPath, [join(repoRoot, 'bin', 'k2lab.js'), 'rules', 'verify', '--rules', db, '--json'], { encoding: 'utf8' });
    assert.equal(v.status, 1, v.stderr);
    const report = JSON.parse(v.stdout) as { proved: number; results: { id: string; ok: boolean; generality: string }[] };
    assert.equal(report.proved, 1);
    assert.deepEqual(report.results.map((r) => [r.id === wrong.id, r.ok, r.generality]).sort(), [[false, true, 'registers+imm'], [true, false, 'registers+imm']]);
  } finally { impl.dispose(); rmSync(dir, { recursive: true, force: true }); }
});

test('rules: application with general rules is deterministic for a database content, whatever its order', async () => {
  const impl = await createZ3Impl(hasNative ? 'native-process' : 'reused-solver');
  try {
    const a = learnOne(impl, 'r2 = *(u32 *)(r1 + 12)\nr2 &= 255\nr2 |= 255\nr0 = r2\nexit', 1, 2, 'r2 = *(u32 *)(r1 + 12)\nr2 = 255\ngoto +0\nr0 = r2\nexit');
    const b = learnOne(impl, '*(u32 *)(r10 - 8) = 0\n*(u32 *)(r10 - 4) = 0\nr0 = *(u64 *)(r10 - 8)\nexit', 0, 1, '*(u64 *)(r10 - 8) = 0\ngoto +0\nr0 = *(u64 *)(r10 - 8)\nexit');
    const target = xdp('r4 = *(u32 *)(r1 + 12)\nr4 &= 3\nr4 |= 3\n*(u32 *)(r10 - 16) = 0\n*(u32 *)(r10 - 12) = 0\nr0 = *(u64 *)(r10 - 16)\nr0 += r4\nexit');
    const x = apply(impl, target, [a, b]), y = apply(impl, target, [b, a]);
    assert.equal(x.applied.length, 2);
    assert.deepEqual(x.insns, y.insns);
    assert.deepEqual(x.applied, y.applied);
    assert.deepEqual(x.consulted, y.consulted);
  } finally { impl.dispose(); }
});

test('rules: the general proof of a parameter follows K-forms sign extension (32-bit zero-extends, 64-bit and st DW sign-extend)', async () => {
  const impl = await createZ3Impl(hasNative ? 'native-process' : 'reused-solver');
  try {
    const mk = (pattern: string, replacement: string, imms: Rule['imms']): Rule => {
      const a = abstractRegisters(assemble(pattern), assemble(replacement));
      const body = { generality: 'registers' as const, pattern: a.pattern, replacement: a.replacement, pre: { entry: ['any' as const], liveOut: 1 }, imms };
      return { ...body, id: ruleId(body), shape: shapeOf(a.pattern), saved: 0, msToFind: 1, fires: 0, witness: { name: 't', maps: [], start: '', s: 0, e: 0 }, provenance: { ...provenance, learnedAt: '' } };
    };
    const both = [{ pattern: [0], replacement: [0, 1] }];
    // r2 = k (sign-extended) stored as a u64 equals storing k itself (sign-extended too) ...
    assert.equal(proveGeneral(mk('r2 = 5\n*(u64 *)(r10 - 8) = r2', 'r2 = 5\n*(u64 *)(r10 - 8) = 5', both), impl).ok, true);
    // ... but w2 = k zero-extends: true for 5, false for negative k.
    assert.equal(proveGeneral(mk('w2 = 5\n*(u64 *)(r10 - 8) = r2', 'w2 = 5\n*(u64 *)(r10 - 8) = 5', both), impl).ok, false);
    assert.equal(proveGeneral(mk('r2 = 5\nr2 += 0', 'w2 = 5\nr2 += 0', [{ pattern: [0], replacement: [0] }]), impl).ok, false);
    // A u32 store keeps the low half either way.
    assert.equal(proveGeneral(mk('w2 = 5\n*(u32 *)(r10 - 8) = r2', 'w2 = 5\n*(u32 *)(r10 - 8) = 5', both), impl).ok, true);
  } finally { impl.dispose(); }
});
