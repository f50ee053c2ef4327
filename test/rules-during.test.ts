/**
 * Rules during the search: the run's snapshot holds the rules whose shape occurs in the program (its
 * digest depends on the database's content only); before the search, rules are applied in passes
 * until none applies (one rule can make the next one match); chain workers apply the snapshot at
 * their window switches, proved, deterministically, and report it back; a time-limited run learns
 * before its final proof and still ends within its limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../src/ebpf/asm.js';
import type { Program } from '../src/ebpf/program.js';
import { runChains } from '../src/optimize/chains.js';
import { rulesAfterSearch, rulesBeforeSearch } from '../src/rules/run.js';
import { ruleId, shapeOf, type Rule } from '../src/rules/rule.js';
import { snapshotOf, takeSnapshot } from '../src/rules/snapshot.js';
import { RuleStore } from '../src/rules/store.js';
import { K2_DEFAULTS } from '../src/search/params.js';
import { OPTIMIZED, resolveVariants } from '../variants/sets.js';
import { createZ3Impl } from '../variants/z3/index.js';
import { hasNative } from './verify-util.js';
import { repoRoot, sharedAvailable, sharedDir } from './paths.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'k2lab-rules-during-'));
const xdp = (text: string): Program => ({ name: 't', source: 't', insns: assemble(text), maps: [], progType: 'xdp' });
const implName = hasNative ? 'native-process' as const : 'reused-solver' as const;

/** A rule as plain data (not proved: every application of it is, which is what these tests watch). */
function rule(pattern: string, replacement: string, liveOut = 1): Rule {
  const p = assemble(pattern), r = assemble(replacement);
  const pre = { entry: Array<Rule['pre']['entry'][number]>(11).fill('any'), liveOut };
  const body = { generality: 'concrete' as const, pattern: p, replacement: r, pre };
  return {
    ...body, id: ruleId(body), shape: shapeOf(p), saved: 1, msToFind: 100, fires: 0,
    witness: { name: 't', maps: [], progType: 'xdp', start: Buffer.alloc(8 * p.length).toString('hex'), s: 0, e: p.length - 1 },
    provenance: { programDigest: 'x', programName: 't', learnedAt: new Date(0).toISOString() },
  };
}

// A: r3 = 0; r3 += r2 → r3 = r2. B only matches once A applied: r3 = r2; nop; r0 = r3 → r0 = r2.
const A = rule('r3 = 0\nr3 += r2', 'r3 = r2\ngoto +0', 1 | (1 << 3));
const B = rule('r3 = r2\ngoto +0\nr0 = r3', 'r0 = r2\ngoto +0\ngoto +0');
const UNRELATED = rule('r5 = 7\nr5 *= 2', 'r5 = 14\ngoto +0');
const PROGRAM = 'r2 = *(u32 *)(r1 + 12)\nr3 = 0\nr3 += r2\nr0 = r3\nexit';

test('snapshot: only rules of shapes in the program, one digest for one database content', () => {
  const dir = tmp();
  try {
    const db = RuleStore.open(join(dir, 'r.sqlite'));
    db.add([A, UNRELATED]);
    const p = xdp(PROGRAM);
    const s1 = takeSnapshot(db, [p.insns]);
    assert.deepEqual(s1.rules.map((r) => r.id), [A.id]);
    assert.equal(snapshotOf([UNRELATED, A]).digest, snapshotOf([A, UNRELATED]).digest);
    assert.deepEqual(s1.byShapes([A.shape, UNRELATED.shape]).map((r) => r.id), [A.id]);
    db.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('before the search: rules applied in passes (A makes B match), the snapshot grows with them', async () => {
  const dir = tmp();
  try {
    const path = join(dir, 'r.sqlite');
    const db = RuleStore.open(path);
    db.add([A, B]);
    db.close();
    const p = xdp(PROGRAM);
    const session = rulesBeforeSearch(path, p, resolveVariants('optimized'), await createZ3Impl(implName));
    assert.deepEqual(session.before.applied.map((a) => a.id), [A.id, B.id]);
    assert.deepEqual(session.before.insns, assemble('r2 = *(u32 *)(r1 + 12)\nr0 = r2\ngoto +0\ngoto +0\nexit'));
    assert.deepEqual(session.snapshot.rules.map((r) => r.id).sort(), [A.id, B.id].sort());
    const report = rulesAfterSearch(session);
    assert.equal(report.applied, 2);
    assert.equal(report.snapshotRules, 2);
    assert.equal(report.snapshotDigest, snapshotOf([A, B]).digest);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('chain workers: the snapshot is applied at window switches, proved, reported back, deterministically', async () => {
  const p = xdp(PROGRAM);
  const params = { ...K2_DEFAULTS, n: 300, win_s_list: [...K2_DEFAULTS.win_s_list], win_e_list: [...K2_DEFAULTS.win_e_list] };
  const z3 = { name: `${implName}`, impl: implName, cache: false };
  const job = { program: p, params, variantSet: 'optimized', variantSpec: OPTIMIZED, z3, progress: false };
  const run = () => runChains({ ...job, rules: [A, B, UNRELATED] }, 1, 2);
  const [x, y] = [await run(), await run()];
  // Each chain applied A then B at its first window switch.
  assert.equal(x.rulesDuring.length >= 2, true);
  assert.deepEqual(x.rulesDuring.flatMap((o) => o.applied.map((a) => a.id)).slice(0, 2), [A.id, B.id]);
  assert.ok(x.result.best.verified);
  assert.ok(x.result.best.perf <= x.result.originalPerf - 2, `best perf ${x.result.best.perf} of ${x.result.originalPerf}`);
  assert.equal(x.result.trajectoryDigest, y.result.trajectoryDigest);
  assert.deepEqual(x.rulesDuring.map((o) => o.applied), y.rulesDuring.map((o) => o.applied));
  // Windows of a program the parent already tried the rules on are not tried again.
  const tried = await runChains({ ...job, rules: [A, B], rulesTried: p.insns }, 1, 1);
  assert.equal(tried.rulesDuring.flatMap((o) => o.applied).length, 0);
});

const noSuite = sharedAvailable ? (hasNative ? false : 'no native z3 binary') : `K2 suite not found under ${sharedDir}`;

test('a time-limited run with chains learns before its final proof and ends within its limit', { skip: noSuite }, () => {
  const dir = tmp();
  try {
    const db = join(dir, 'r.sqlite');
    const suite = join(sharedDir, 'k2-suite', 'suite.json');
    const limit = 8;
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'k2lab.js'), 'optimize', join(sharedDir, 'k2-suite', 'programs', 'xdp_exception'), '--params-from', suite, '--bench', 'xdp_exception',
      '-n', '1000000', '--time-limit', String(limit), '--chains', '2', '--rules', db, '--json', '-', '--quiet'], { encoding: 'utf8' });
    const ms = Date.now() - t0;
    assert.equal(r.status, 0, r.stderr);
    // Node's start-up is outside the run's clock; the limit holds within 1 s of it.
    assert.ok(ms <= (limit + 1.5) * 1000, `took ${ms} ms`);
    const rules = (JSON.parse(r.stdout) as { rules: { provedRewrites: number; learned: number; known: number; notProved: number; notLearnedForTime: number } }).rules;
    assert.ok(rules.provedRewrites >= rules.learned + rules.known + rules.notProved);
    if (rules.provedRewrites > 0) assert.ok(rules.learned > 0, `proved ${rules.provedRewrites} rewrites, learned none (${rules.notLearnedForTime} for time)`);
    const s = RuleStore.open(db, { mustExist: true });
    assert.equal(s.count(), rules.learned);
    s.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
