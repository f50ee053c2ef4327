/**
 * The passes before the search (src/passes): each pass on small hand-written programs removes what
 * it should and refuses what it must not, every result is proved equal to its input as a whole
 * program by Z3 (besides the window proofs the driver asks), and a proposal the proof or the safety
 * check refuses is never applied.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../src/ebpf/asm.js';
import { disassemble } from '../src/ebpf/disasm.js';
import type { Insn } from '../src/ebpf/insn.js';
import { isNop, realInsnCount } from '../src/ebpf/k2-isa.js';
import { changesFrozen, type Program } from '../src/ebpf/program.js';
import { eligibleRuns } from '../src/analysis/windows.js';
import { parsePassList, passesWithZ3, runPasses, PASS_NAMES } from '../src/passes/index.js';
import { createZ3Impl } from '../variants/z3/index.js';
import { makePlan } from '../src/optimize/plan.js';
import { resolveVariants } from '../variants/sets.js';
import { fastChecker, hasNative } from './verify-util.js';

const prog = (text: string, progType = 'xdp'): Program => ({ name: 't', source: 't', insns: assemble(text), maps: [], progType: progType as Program['progType'] });
const VARIANTS = resolveVariants('optimized', []);
const real = (insns: readonly Insn[]): string[] => disassemble(insns.filter((x) => !isNop(x)));

async function pass(text: string, passes: string[] | 'all', progType = 'xdp') {
  const p = prog(text, progType);
  const impl = await createZ3Impl(hasNative ? 'native-process' : 'reused-solver');
  const o = passesWithZ3(p, { passes: passes === 'all' ? PASS_NAMES : passes, impl, variants: VARIANTS });
  // Whatever the passes did, the result is equal to the input as a whole program.
  const whole = await fastChecker(p);
  try {
    assert.equal(whole.check(o.insns, p.insns).verdict, 'equal', `not equal:\n${real(o.insns).join('\n')}`);
  } finally {
    whole.dispose();
  }
  return { ...o, before: realInsnCount(p.insns), after: realInsnCount(o.insns), text: real(o.insns) };
}

const credit = (o: { credits: { pass: string; removed: number; applied: number }[] }, name: string) => o.credits.find((c) => c.pass === name)!;

test('parsePassList: all, none, a list in registry order; an unknown name is a one-line error', () => {
  assert.deepEqual(parsePassList('all'), [...PASS_NAMES]);
  assert.deepEqual(parsePassList('none'), []);
  assert.deepEqual(parsePassList('peephole,dead-code'), ['peephole', 'dead-code']);
  assert.throws(() => parsePassList('dead-code,inline'), /--passes: unknown pass 'inline'/);
});

test('optimize defaults: all passes for a user run, none with K2 flags or --params-from (the harness digests stay as they were)', () => {
  const base = { input: 'p', sections: [], seed: 1, variantOverrides: [], checker: 'tests-only' as const, chains: 1, runtimeProfile: 'default', progress: false };
  assert.deepEqual(makePlan({ ...base, k2Flags: {} }, 'p', Date.now()).passes, [...PASS_NAMES]);
  assert.deepEqual(makePlan({ ...base, k2Flags: { n: 100 } }, 'p', Date.now()).passes, []);
  assert.deepEqual(makePlan({ ...base, k2Flags: { n: 100 }, passes: 'copies,dead-code' }, 'p', Date.now()).passes, ['copies', 'dead-code']);
  assert.throws(() => makePlan({ ...base, k2Flags: {}, passes: 'nope' }, 'p', Date.now()), /--passes: unknown pass 'nope'/);
});

test('dead-code: a register write nothing reads and a stack store nothing reads go; a store read later stays', async () => {
  const o = await pass(`
    r2 = 7
    r3 = *(u32 *)(r1 + 12)
    *(u64 *)(r10 - 8) = r3
    *(u64 *)(r10 - 16) = r3
    r0 = *(u64 *)(r10 - 16)
    exit`, ['dead-code']);
  assert.deepEqual(o.text, ['r3 = *(u32 *)(r1 + 12)', '*(u64 *)(r10 - 16) = r3', 'r0 = *(u64 *)(r10 - 16)', 'exit']);
  assert.equal(o.after, 4);
  assert.equal(credit(o, 'dead-code').removed, 2);
});

test('a decided branch takes the code it leaves unreachable with it', async () => {
  const o = await pass(`
    r0 = 1
    r2 = 5
    if r2 == 5 goto +2
    r0 = 2
    r0 += 3
    exit`, ['constants', 'peephole', 'dead-code']);
  assert.equal(o.after, 2, o.text.join('\n'));
  assert.equal(credit(o, 'constants').removed, 2);
});

test('constants + dead-code: folded constants, a decided branch and the definitions they made dead', async () => {
  const o = await pass(`
    r2 = 5
    r2 += 3
    r3 = r2
    r3 <<= 1
    if r3 == 16 goto +1
    r0 = 9
    r0 = r3
    exit`, 'all');
  assert.equal(o.after, 2, o.text.join('\n'));
  assert.match(o.text.join('\n'), /^r0 = 16$/m);
});

test('redundant-loads: a reload of a just-stored slot becomes a move, then the store is dead', async () => {
  const o = await pass(`
    r2 = *(u32 *)(r1 + 12)
    *(u64 *)(r10 - 8) = r2
    r0 = *(u64 *)(r10 - 8)
    exit`, ['redundant-loads', 'dead-code']);
  assert.equal(credit(o, 'redundant-loads').applied, 1);
  assert.equal(o.after, 3);
});

test('redundant-loads: no reload is replaced across a helper call that may write the slot', async () => {
  const o = await pass(`
    r6 = 0
    *(u64 *)(r10 - 16) = r6
    *(u64 *)(r10 - 8) = r6
    r1 = r10
    r1 += -16
    r2 = 16
    call 16
    r0 = *(u64 *)(r10 - 8)
    exit`, ['redundant-loads'], 'tracepoint');
  assert.equal(credit(o, 'redundant-loads').applied, 0);
  assert.match(o.text.join('\n'), /r0 = \*\(u64 \*\)\(r10 - 8\)/);
});

test('redundant-loads: a second load of the same context field becomes a move', async () => {
  const o = await pass(`
    r2 = *(u32 *)(r1 + 12)
    r3 = *(u32 *)(r1 + 12)
    r0 = r2
    r0 += r3
    exit`, ['redundant-loads', 'copies', 'dead-code']);
  assert.equal(credit(o, 'redundant-loads').applied, 1);
  assert.ok(o.after <= 4);
});

test('copies: reads of a copy read the original and the move goes; not when the original changes first', async () => {
  const o = await pass(`
    r2 = *(u32 *)(r1 + 12)
    r3 = r2
    r0 = r3
    r0 += 1
    exit`, ['copies']);
  assert.equal(credit(o, 'copies').removed, 1);
  const kept = await pass(`
    r2 = *(u32 *)(r1 + 12)
    r3 = r2
    r2 += 1
    r0 = r3
    r0 += r2
    exit`, ['copies']);
  assert.equal(credit(kept, 'copies').applied, 0);
  // The original is overwritten by the last read of the copy (r6 = r0 … r0 = r6; exit): the move and then `r0 = r0` go.
  const back = await pass(`
    r0 = *(u32 *)(r1 + 12)
    r6 = r0
    r0 = r6
    exit`, ['copies', 'peephole']);
  assert.equal(back.after, 2, back.text.join('\n'));
});

test('store-merge: byte stores of constants to adjacent stack bytes become one word, then one double word', async () => {
  const o = await pass(`
    *(u8 *)(r10 - 8) = 1
    *(u8 *)(r10 - 7) = 2
    *(u16 *)(r10 - 6) = 0
    *(u32 *)(r10 - 4) = 0
    r0 = *(u64 *)(r10 - 8)
    exit`, ['store-merge']);
  assert.equal(o.after, 3, o.text.join('\n'));
  assert.match(o.text.join('\n'), /\*\(u64 \*\)\(r10 - 8\) = 513/);
  // Misaligned: a u16 pair at -7/-5 would make an unaligned word; left alone.
  const m = await pass(`
    *(u16 *)(r10 - 7) = 1
    *(u16 *)(r10 - 5) = 2
    r0 = *(u32 *)(r10 - 7)
    exit`, ['store-merge']);
  assert.equal(credit(m, 'store-merge').applied, 0);
});

test('peephole: mov r,r, identities, zero-extension after a 32-bit load, LDDW of a small constant', async () => {
  const o = await pass(`
    r2 = *(u32 *)(r1 + 12)
    r2 = r2
    r2 += 0
    r2 <<= 32
    r2 >>= 32
    r3 = 5 ll
    r0 = r2
    r0 += r3
    exit`, ['peephole']);
  assert.equal(o.after, 5, o.text.join('\n'));
  // Without a known-zero upper half the shift pair becomes one zero-extending move, not nothing.
  // (Bytes 0–7 of a tracepoint's context are not readable: the kernel's rule, checked by safety.)
  const z = await pass(`
    r2 = *(u64 *)(r1 + 8)
    r2 <<= 32
    r2 >>= 32
    r0 = r2
    exit`, ['peephole'], 'tracepoint');
  assert.match(z.text.join('\n'), /w2 = w2/);
  assert.equal(z.after, 4);
});

test('load-merge: byte loads of a packet field assembled with shift and or become one load (and a swap for big-endian)', async () => {
  const head = `
    r2 = *(u32 *)(r1 + 0)
    r3 = *(u32 *)(r1 + 4)
    r4 = r2
    r4 += 14
    r0 = 0
    if r4 > r3 goto +4`;
  const le = await pass(`${head}
    r5 = *(u8 *)(r2 + 12)
    r0 = *(u8 *)(r2 + 13)
    r0 <<= 8
    r0 |= r5
    exit`, ['load-merge']);
  assert.equal(credit(le, 'load-merge').removed, 3, le.text.join('\n'));
  assert.match(le.text.join('\n'), /r0 = \*\(u16 \*\)\(r2 \+ 12\)/);
  const be = await pass(`${head}
    r5 = *(u8 *)(r2 + 13)
    r0 = *(u8 *)(r2 + 12)
    r0 <<= 8
    r0 |= r5
    exit`, ['load-merge']);
  assert.equal(credit(be, 'load-merge').removed, 2, be.text.join('\n'));
  assert.match(be.text.join('\n'), /r0 = be16 r0/);
  // The low byte's register is read afterwards: no merge.
  const kept = await pass(`${head}
    r5 = *(u8 *)(r2 + 12)
    r0 = *(u8 *)(r2 + 13)
    r0 <<= 8
    r0 |= r5
    r0 += r5
    exit`, ['load-merge']);
  assert.equal(credit(kept, 'load-merge').applied, 0);
});

const LOOKUP = `
    r1 = 0
    *(u32 *)(r10 - 4) = r1
    r2 = r10
    r2 += -4
    ld_pseudo r1, 1, 1
    call 1
    if r0 == 0 goto +4`;
const arrayMap = (text: string): Program => ({ ...prog(text), maps: [{ fd: 1, type: 2, keySize: 4, valueSize: 16, maxEntries: 1, name: 'm', flags: 0 }] });

test('atomic-add: load, add, store of a map value becomes one atomic add; not when the loaded register is read after', async () => {
  const p = arrayMap(`${LOOKUP}
    r1 = *(u64 *)(r0 + 0)
    r1 += 1
    *(u64 *)(r0 + 0) = r1
    r0 = 0
    exit`);
  const impl = await createZ3Impl(hasNative ? 'native-process' : 'reused-solver');
  const o = passesWithZ3(p, { passes: ['atomic-add'], impl, variants: VARIANTS });
  assert.equal(o.credits[0]!.removed, 1, disassemble(o.insns).join('\n'));
  assert.match(disassemble(o.insns).join('\n'), /lock \*\(u64 \*\)\(r0 \+ 0\) \+= r1/);
  const q = arrayMap(`${LOOKUP}
    r1 = *(u64 *)(r0 + 0)
    r1 += 1
    *(u64 *)(r0 + 0) = r1
    r0 = r1
    exit`);
  const k = passesWithZ3(q, { passes: ['atomic-add'], impl: await createZ3Impl(hasNative ? 'native-process' : 'reused-solver'), variants: VARIANTS });
  assert.equal(k.credits[0]!.applied, 0);
});

test('constants: a comparison with a known left operand is turned around to take an immediate', async () => {
  const o = await pass(`
    r1 = *(u32 *)(r1 + 12)
    r2 = 5
    r0 = 1
    if r2 > r1 goto +1
    r0 = 2
    exit`, ['constants', 'dead-code']);
  assert.match(o.text.join('\n'), /if r1 < 5 goto \+1/);
  assert.equal(o.after, 5);
});

test('an input that fails the safety check is left alone (no rewrite of it could pass)', async () => {
  const o = await pass('r0 = r1\nexit', 'all');
  assert.equal(o.skipped, 'the input fails the safety check');
  assert.equal(o.proofs, 0);
});

test('a rewrite the proof or the safety check refuses is never applied', async () => {
  const p = prog(`
    r2 = 7
    r0 = 1
    exit`);
  const no = { name: 'no', proves: true, windows: true, check: () => ({ verdict: 'not-equal' as const, ms: 0, cached: false }) };
  const o = runPasses(p, { passes: PASS_NAMES, checker: no, safe: () => true });
  assert.equal(realInsnCount(o.insns), 3);
  assert.ok(o.credits.reduce((t, c) => t + c.rejected, 0) >= 1);
  const yes = { ...no, check: () => ({ verdict: 'equal' as const, ms: 0, cached: false }) };
  let calls = 0;
  const u = runPasses(p, { passes: PASS_NAMES, checker: yes, safe: () => calls++ === 0 }); // only the input is safe
  assert.equal(realInsnCount(u.insns), 3);
});

test('frozen slots (an object\'s relocated ones) are never changed by a pass, and windows avoid them', async () => {
  const p = prog(`
    r2 = 7
    r0 = 1
    exit`);
  const yes = { name: 'yes', proves: true, windows: true, check: () => ({ verdict: 'equal' as const, ms: 0, cached: false }) };
  assert.equal(realInsnCount(runPasses(p, { passes: PASS_NAMES, checker: yes, safe: () => true }).insns), 2, 'the dead r2 = 7 goes');
  const frozen = { ...p, frozen: [0] };
  const o = runPasses(frozen, { passes: PASS_NAMES, checker: yes, safe: () => true });
  assert.deepEqual(o.insns[0], p.insns[0]);
  assert.equal(changesFrozen(frozen, p.insns, o.insns), false);
  const runs = eligibleRuns({ ...prog('r1 = 1\nr2 = 2\nr3 = 3\nr4 = 4\nr0 = 0\nexit'), frozen: [2] });
  assert.ok(runs.every(([s, e]) => !(s <= 2 && 2 <= e)), JSON.stringify(runs));
});
