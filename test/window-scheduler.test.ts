/**
 * The window scheduler (issue #18): its windows cover every eligible slot and never hold or straddle
 * a jump (a loop's back-edge included), a call (helper or BPF-to-BPF), an exit, an LDDW or an LD_ABS/
 * LD_IND; its choices are a function of seed and gains; a scheduled search is reproducible, the same
 * in every variant set, and finds gain on a small program without K2's hand-chosen windows; the
 * defaults (scheduled windows without K2 flags, one chain per core with a time limit alone).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { eligibleRuns } from '../src/analysis/windows.js';
import { analyzeStates } from '../src/analysis/static-states.js';
import { assemble } from '../src/ebpf/asm.js';
import { loadProgram } from '../src/ebpf/load.js';
import { specOf } from '../src/ebpf/opcodes.js';
import type { Program } from '../src/ebpf/program.js';
import { Rng } from '../src/common/rng.js';
import { testsOnly } from '../src/search/equivalence.js';
import { runSearch } from '../src/search/mcmc.js';
import { WindowScheduler, scheduledWindows, type Window } from '../src/search/window-scheduler.js';
import { USER_DEFAULTS, makePlan } from '../src/optimize/plan.js';
import { resolveVariants } from '../variants/sets.js';
import { sharedAvailable, sharedDir } from './paths.js';
import { fastChecker } from './verify-util.js';

const suiteDir = join(sharedDir, 'k2-suite', 'programs');
const objs = join(sharedDir, 'real-world', 'objs');
const noShared = sharedAvailable ? false : `../shared not found at ${sharedDir} (third-party data lives outside the repo)`;

const FORBIDDEN = new Set(['jcond', 'ja', 'ja32', 'exit', 'call', 'callx', 'lddw', 'ldabs', 'ldind']);

/** Every window lies inside one block, holds no forbidden instruction, and no jump lands inside it. */
function assertWellPlaced(p: Program, ws: readonly Window[]): void {
  const st = analyzeStates(p.insns, p);
  const targets = new Set<number>();
  p.insns.forEach((x, i) => {
    const k = specOf(x.op, x.src, x.off, x.imm)?.kind;
    if (k === 'jcond' || k === 'ja') targets.add(i + 1 + x.off);
    if (k === 'ja32') targets.add(i + 1 + x.imm);
  });
  for (const [s, e] of ws) {
    assert.ok(s >= 0 && s <= e && e < p.insns.length, `${p.name}: window [${s},${e}] in range`);
    assert.equal(st.blockOf[s], st.blockOf[e], `${p.name}: window [${s},${e}] inside one block`);
    for (let i = s; i <= e; i++) {
      const x = p.insns[i]!;
      const k = specOf(x.op, x.src, x.off, x.imm)?.kind;
      assert.ok(k === undefined ? x.op === 0 : !FORBIDDEN.has(k), `${p.name}: window [${s},${e}] holds ${k} at ${i}`);
      if (i > s) assert.ok(!targets.has(i), `${p.name}: a jump lands inside window [${s},${e}] at ${i}`);
    }
  }
}

/** Every eligible slot is in a window of each size up to its run's length. */
function assertCovers(p: Program, ws: readonly Window[]): void {
  for (const [first, last] of eligibleRuns(p, (x) => { const k = specOf(x.op, x.src, x.off, x.imm)?.kind; return k === 'ldabs' || k === 'ldind'; })) {
    for (let i = first; i <= last; i++) assert.ok(ws.some(([s, e]) => s <= i && i <= e), `${p.name}: slot ${i} covered`);
  }
  assert.ok(ws.some(([s, e]) => e - s + 1 >= 2) || ws.length === 0 || ws.every(([s, e]) => s === e), `${p.name}: windows of several slots`);
}

test('scheduled windows of an assembled program with a loop and LD_ABS: covered, never across the back-edge', () => {
  const insns = assemble(`
    r6 = r1
    r2 = 0
    r3 = 0
    r3 += 1
    r2 += r3
    r4 = r2
    r4 *= 3
    if r3 < 8 goto -5
    r0 = *(u8 *)skb[12]
    r5 = r0
    r5 += 1
    r0 = r5
    r0 += r2
    exit`);
  const p: Program = { name: 'loop', source: 'loop', insns, maps: [], progType: 'socket_filter' };
  const ws = scheduledWindows(p);
  assertWellPlaced(p, ws);
  assertCovers(p, ws);
  // The back-edge lands at slot 3: no window holds slots 2 and 3 together; none holds the LD_ABS at 8.
  assert.ok(!ws.some(([s, e]) => s <= 2 && e >= 3));
  assert.ok(!ws.some(([s, e]) => s <= 8 && e >= 8));
  assert.ok(new Set(ws.map(([s, e]) => e - s + 1)).size >= 3, 'several window sizes');
});

test('scheduled windows of K2\'s programs and real programs with calls and loops', { skip: noShared }, () => {
  const progs: Program[] = ['xdp_fw', 'xdp_exception', 'socket-0', 'xdp1_kern-xdp1'].map((b) => loadProgram(join(suiteDir, b)));
  progs.push(loadProgram(join(objs, 'iovisor+bcc/biolatency.o'), { section: 'tp_btf/block_rq_insert' })); // BPF-to-BPF calls
  progs.push(loadProgram(join(objs, 'xdp-project+xdp-tools/xdpfilt_alw_ip.o'))); // loops
  for (const p of progs) {
    const ws = scheduledWindows(p);
    assert.ok(ws.length > 0, `${p.name}: has windows`);
    assertWellPlaced(p, ws);
    assertCovers(p, ws);
  }
});

test('the scheduler visits every window once, repeats a window that gained, and is a function of seed and gains', () => {
  const ws: Window[] = [[0, 1], [2, 4], [5, 8], [9, 9]];
  const play = (seed: number, gains: (k: number, arm: number) => number): number[] => {
    const sch = new WindowScheduler(ws, new Rng(seed));
    const picks: number[] = [];
    let g = 0;
    for (let k = 0; k < 40; k++) { const a = sch.next(g); picks.push(a); g = gains(k, a); }
    return picks;
  };
  const none = play(3, () => 0);
  assert.deepEqual(none.slice(0, 4), [0, 1, 2, 3], 'each window once, in order');
  for (let a = 0; a < ws.length; a++) assert.ok(none.filter((x) => x === a).length >= 8, 'no gain: windows share the blocks');
  assert.deepEqual(play(3, () => 0), none, 'same seed and gains: same choices');
  // Window 2 gains on its first visits: it gets the next block and more blocks overall.
  const gained = play(3, (k, a) => (a === 2 && k < 12 ? 1 : 0));
  assert.equal(gained[3], 2, 'a window that gained goes again');
  assert.ok(gained.filter((x) => x === 2).length > none.filter((x) => x === 2).length);
});

test('scheduled search: same digest twice and in every variant set; gain on a small program', { skip: noShared }, async () => {
  const prog = loadProgram(join(suiteDir, 'xdp_map_access'));
  const params = { ...USER_DEFAULTS, n: 12000 };
  const digests = new Set<string>();
  for (const name of ['k2-baseline', 'optimized', 'optimized', 'baseline+dispatch=compiled']) {
    digests.add(runSearch(prog, params, { seed: 5, variants: resolveVariants(name), checker: testsOnly, windows: 'scheduled', portfolio: true }).trajectoryDigest);
  }
  assert.equal(digests.size, 1, [...digests].join(' '));
  const other = runSearch(prog, params, { seed: 5, variants: resolveVariants('optimized'), checker: testsOnly, windows: 'k2' }).trajectoryDigest;
  assert.notEqual(other, [...digests][0], 'the scheduler changes the trajectory');
  const checker = await fastChecker(prog, true);
  try {
    const r = runSearch(prog, params, { seed: 1, variants: resolveVariants('optimized'), checker, windows: 'scheduled', portfolio: true });
    assert.ok(r.best.perf < r.originalPerf && r.best.verified, `xdp_map_access: ${r.originalPerf} -> ${r.best.perf} (proved ${r.best.verified})`);
  } finally { checker.dispose(); }
});

test('defaults: no K2 flags → scheduled windows with the portfolio; a time limit alone → one chain per core; K2 flags keep K2\'s windows', () => {
  const base = { input: 'p', sections: [], seed: 1, variantOverrides: [], k2Flags: {}, checker: 'tests-only' as const, runtimeProfile: 'default', progress: false };
  const user = makePlan({ ...base, timeLimitS: 5 }, 'p', Date.now());
  assert.equal(user.windows, 'scheduled');
  assert.equal(user.portfolio, true);
  assert.equal(user.chains, Math.max(1, availableParallelism()));
  const bounded = makePlan({ ...base, k2Flags: { n: 1000 } }, 'p', Date.now());
  assert.equal(bounded.windows, 'scheduled');
  assert.equal(bounded.chains, 1, '-n bounds a deterministic single chain');
  const k2 = makePlan({ ...base, k2Flags: { n: 1000, is_win: true, win_s_list: '1', win_e_list: '3' } }, 'p', Date.now());
  assert.equal(k2.windows, 'k2');
  assert.equal(k2.portfolio, false);
  assert.equal(makePlan({ ...base, timeLimitS: 5, chains: 3, windows: 'k2' }, 'p', Date.now()).chains, 3);
  assert.equal(makePlan({ ...base, k2Flags: { n: 10, w_p: 2 }, windows: 'scheduled' }, 'p', Date.now()).windows, 'scheduled');
});
