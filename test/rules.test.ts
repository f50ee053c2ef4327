/**
 * The rule database: concurrent writers lose nothing, register abstraction and matching, the
 * general proof accepts a true rule and refuses a false one, learning generalises and a learned
 * rule applies to a renamed program, a wrong rule is rejected by the application proof, and two
 * concurrent `optimize` processes learning into one database lose nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../src/ebpf/asm.js';
import type { Program } from '../src/ebpf/program.js';
import { applyRules } from '../src/rules/apply.js';
import { ruleOfLine, ruleToLine } from '../src/rules/jsonl.js';
import { learnRules } from '../src/rules/learn.js';
import { proveGeneral } from '../src/rules/prove.js';
import { abstractRegisters, ruleId, shapeOf, type Rule } from '../src/rules/rule.js';
import { RuleStore } from '../src/rules/store.js';
import { matchAt } from '../src/rules/apply.js';
import { createZ3Checker } from '../src/verify/checker.js';
import { createZ3Impl } from '../variants/z3/index.js';
import { hasNative } from './verify-util.js';
import { repoRoot, sharedAvailable, sharedDir } from './paths.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'k2lab-rules-'));
const xdp = (text: string): Program => ({ name: 't', source: 't', insns: assemble(text), maps: [], progType: 'xdp' });

/** A syntactically valid rule (not a proved one) with the given pattern/replacement. */
function fakeRule(pattern: string, replacement: string, generality: Rule['generality'] = 'concrete', n = 0): Rule {
  const p = assemble(pattern), r = assemble(replacement);
  const pre = { entry: Array<Rule['pre']['entry'][number]>(11).fill('any'), liveOut: 1 };
  const body = { generality, pattern: p, replacement: r, pre };
  return {
    ...body, id: ruleId(body), shape: shapeOf(p), saved: 1, msToFind: 100 + n, fires: 0,
    witness: { name: 't', maps: [], progType: 'xdp', start: Buffer.alloc(8 * p.length).toString('hex'), s: 0, e: p.length - 1 },
    provenance: { programDigest: 'x', programName: 't', learnedAt: new Date(0).toISOString() },
  };
}

test('store: two processes writing one database at once lose no rule', async () => {
  const dir = tmp();
  try {
    const db = join(dir, 'r.sqlite');
    // Each writer adds 120 rules one transaction at a time; 40 of them are common to both.
    const writer = (from: number): Promise<number> => new Promise((res, rej) => {
      const script = `
        import { RuleStore } from ${JSON.stringify(join(repoRoot, 'dist', 'src', 'rules', 'store.js'))};
        import { ruleOfLine } from ${JSON.stringify(join(repoRoot, 'dist', 'src', 'rules', 'jsonl.js'))};
        const lines = JSON.parse(process.argv[1]);
        const s = RuleStore.open(${JSON.stringify(db)});
        let added = 0;
        for (const l of lines) added += s.add([ruleOfLine(l, 'x')]);
        s.close();
        process.stdout.write(String(added));`;
      const lines = Array.from({ length: 120 }, (_, k) => ruleToLine(fakeRule(`r0 = ${from + k}\nexit`, `r0 = ${from + k}\nexit`, 'concrete', k)));
      const c = spawn(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(lines)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '', err = '';
      c.stdout.on('data', (d) => { out += d; });
      c.stderr.on('data', (d) => { err += d; });
      c.on('close', (code) => (code === 0 ? res(Number(out)) : rej(new Error(`writer exited ${code}: ${err}`))));
    });
    const [a, b] = await Promise.all([writer(0), writer(80)]);
    const s = RuleStore.open(db, { mustExist: true });
    const all = s.all();
    s.close();
    assert.equal(all.length, 200);
    assert.equal(a + b, 200, 'every rule was new to exactly one writer');
    for (let k = 0; k < 200; k++) assert.ok(all.some((r) => r.pattern[0]!.imm === k), `rule r0 = ${k} is there`);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('rules: registers are abstracted consistently and a pattern matches only a consistent renaming', () => {
  const a = abstractRegisters(assemble('r3 = r7\nr3 += r7'), assemble('r3 = r7\nr3 <<= 1'));
  assert.deepEqual(a.regs, [3, 7]);
  const rule = { ...fakeRule('r0 = r1\nr0 += r1', 'r0 = r1\nr0 <<= 1', 'registers'), pattern: a.pattern, replacement: a.replacement };
  assert.deepEqual(matchAt(rule, assemble('r5 = r2\nr5 += r2'), 0), [5, 2]);
  assert.equal(matchAt(rule, assemble('r5 = r2\nr5 += r4'), 0), undefined, 'r7 cannot be two registers');
  assert.equal(matchAt(rule, assemble('r5 = r5\nr5 += r5'), 0), undefined, 'two abstract registers cannot be one');
  assert.throws(() => ruleOfLine(ruleToLine({ ...rule, saved: 2, pattern: assemble('r0 = 1\nexit') }), 'f:1'), /not the hash/);
});

test('rules: the general proof accepts a true scalar rule and refuses a false one', async () => {
  const impl = await createZ3Impl(hasNative ? 'native-process' : 'reused-solver');
  try {
    const mk = (p: string, r: string): Rule => {
      const a = abstractRegisters(assemble(p), assemble(r));
      return { ...fakeRule(p, r, 'registers'), pattern: a.pattern, replacement: a.replacement, pre: { entry: ['any', 'scalar'], liveOut: 0b01 } };
    };
    // a0 = a1 + a1 equals a0 = a1 << 1, not a0 = a1 << 2 (a0 = r2 is written first, a1 = r3 read).
    assert.equal(proveGeneral(mk('r2 = r3\nr2 += r3', 'r2 = r3\nr2 <<= 1'), impl).ok, true);
    assert.equal(proveGeneral(mk('r2 = r3\nr2 += r3', 'r2 = r3\nr2 <<= 2'), impl).ok, false);
  } finally { impl.dispose(); }
});

test('rules: a learned rule generalises, re-proves, applies to a renamed program; a wrong rule is rejected', async () => {
  const dir = tmp();
  const impl = await createZ3Impl(hasNative ? 'native-process' : 'reused-solver');
  try {
    const learnedOn = xdp('r2 = *(u32 *)(r1 + 12)\nr3 = r2\nr3 += r2\nr0 = r3\nexit');
    const rewritten = assemble('r2 = *(u32 *)(r1 + 12)\nr3 = r2\nr3 <<= 1\nr0 = r3\nexit');
    const out = learnRules([{ start: learnedOn.insns, s: 1, e: 2, rewritten, ms: 1234, msInWindow: 10 }], { program: learnedOn, impl, provenance: { programDigest: 'd', programName: 't' } });
    assert.equal(out.rules.length, 1);
    // Trimmed to the slot that differs (r3 += r2 → r3 <<= 1), it holds only because r3 = r2 there: kept concrete.
    assert.equal(out.rules[0]!.generality, 'concrete');
    assert.equal(out.rules[0]!.pattern.length, 1);
    // r3 = 0; r3 += r2 → r3 = r2; nop holds for any scalar: a registers rule.
    const p2 = xdp('r2 = *(u32 *)(r1 + 12)\nr3 = 0\nr3 += r2\nr0 = r3\nexit');
    const gain = learnRules([{ start: p2.insns, s: 1, e: 2, rewritten: assemble('r2 = *(u32 *)(r1 + 12)\nr3 = r2\ngoto +0\nr0 = r3\nexit'), ms: 500, msInWindow: 5 }], { program: p2, impl, provenance: { programDigest: 'd', programName: 't' } });
    assert.equal(gain.rules[0]?.generality, 'registers');
    assert.equal(gain.rules[0]?.saved, 1);
    const db = RuleStore.open(join(dir, 'r.sqlite'));
    db.add([...out.rules, ...gain.rules]);
    const target = xdp('r7 = *(u32 *)(r1 + 16)\nr8 = 0\nr8 += r7\nr0 = r8\nexit');
    const checker = createZ3Checker(target, { impl, cache: false });
    const applied = applyRules(target, target.insns, db, { safe: () => true, checker });
    assert.equal(applied.applied.length, 1);
    assert.deepEqual(applied.insns.slice(1, 3), assemble('r8 = r7\ngoto +0'));
    // A wrong rule (r0 = 1; r0 += 1 → r0 = 3) matches but the window proof turns it down.
    db.add([fakeRule('r0 = 1\nr0 += 1', 'r0 = 3\ngoto +0')]);
    const wrongTarget = xdp('r0 = 1\nr0 += 1\nexit');
    const w = applyRules(wrongTarget, wrongTarget.insns, db, { safe: () => true, checker: createZ3Checker(wrongTarget, { impl, cache: false }) });
    assert.equal(w.applied.length, 0);
    assert.equal(w.rejected, 1);
    assert.deepEqual(w.insns, wrongTarget.insns);
    db.close();
  } finally { impl.dispose(); rmSync(dir, { recursive: true, force: true }); }
});

const noSuite = sharedAvailable ? (hasNative ? false : 'no native z3 binary') : `K2 suite not found under ${sharedDir}`;

test('optimize: two concurrent processes learning into one database lose nothing, and every rule re-proves', { skip: noSuite }, async () => {
  const dir = tmp();
  try {
    const db = join(dir, 'r.sqlite');
    const suite = join(sharedDir, 'k2-suite', 'suite.json');
    const run = (seed: number): Promise<{ learned: number; known: number }> => new Promise((res, rej) => {
      const c = spawn(process.execPath, [join(repoRoot, 'bin', 'k2lab.js'), 'optimize', join(sharedDir, 'k2-suite', 'programs', 'xdp_exception'), '--params-from', suite, '--bench', 'xdp_exception',
        '-n', '20000', '--seed', String(seed), '--rules', db, '--json', '-', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '', err = '';
      c.stdout.on('data', (d) => { out += d; });
      c.stderr.on('data', (d) => { err += d; });
      c.on('close', (code) => (code === 0 ? res((JSON.parse(out) as { rules: { learned: number; known: number } }).rules) : rej(new Error(`optimize exited ${code}: ${err}`))));
    });
    const [a, b] = await Promise.all([run(1), run(2)]);
    const s = RuleStore.open(db, { mustExist: true });
    const n = s.count();
    s.close();
    assert.ok(a.learned + a.known + b.learned + b.known > 0, 'the runs proved a rewrite');
    assert.equal(n, a.learned + b.learned, 'every new rule of either process is in the database');
    const v = spawnSync(process.execPath, [join(repoRoot, 'bin', 'k2lab.js'), 'rules', 'verify', '--rules', db, '--json'], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
    assert.equal((JSON.parse(v.stdout) as { proved: number }).proved, n);
    // With a database the run is deterministic for its content: two copies, two runs, one trajectory.
    const copies = [join(dir, 'c1.sqlite'), join(dir, 'c2.sqlite')];
    for (const c of copies) copyFileSync(db, c);
    const runs = copies.map((c) => spawnSync(process.execPath, [join(repoRoot, 'bin', 'k2lab.js'), 'optimize', join(sharedDir, 'k2-suite', 'programs', 'xdp_exception'), '--params-from', suite, '--bench', 'xdp_exception',
      '-n', '6000', '--seed', '3', '--rules', c, '--json', '-', '--quiet'], { encoding: 'utf8' }));
    const reports = runs.map((r) => { assert.equal(r.status, 0, r.stderr); return JSON.parse(r.stdout) as { trajectoryDigest: string; bestInsnCount: number; msToBest: number; rules: { digest: string; applied: number } }; });
    assert.ok(reports[0]!.rules.applied >= 1, 'the learned rule applies to its own program');
    assert.equal(reports[0]!.bestInsnCount, 16);
    assert.equal(reports[0]!.trajectoryDigest, reports[1]!.trajectoryDigest);
    assert.equal(reports[0]!.rules.digest, reports[1]!.rules.digest);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
