/**
 * Static analysis (k2-spec.md §11): every transfer rule, joins, null-check refinement, XDP
 * data/data_end, LDDW, the CFG; and automatic windows (rules 1–4) on small hand-written programs
 * and on the 11 K2 suite programs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeStates, type AbsState, type AnalysisTarget } from '../src/analysis/static-states.js';
import { autoWindows } from '../src/analysis/windows.js';
import { assemble } from '../src/ebpf/asm.js';
import { secondHalfMask, type Insn } from '../src/ebpf/insn.js';
import { loadProgram } from '../src/ebpf/load.js';
import { specOf } from '../src/ebpf/opcodes.js';
import { MAP_TYPES, type MapDef, type Program } from '../src/ebpf/program.js';
import { isNop } from '../src/ebpf/k2-isa.js';
import { searchWindows } from '../src/search/mcmc.js';
import { K2_DEFAULTS, withParams } from '../src/search/params.js';
import { sharedAvailable, sharedDir } from './paths.js';

const asm = (...lines: string[]): Insn[] => assemble(lines.join('\n'));
const map = (fd: number): MapDef => ({ name: `m${fd}`, type: MAP_TYPES.hash, keySize: 4, valueSize: 8, maxEntries: 4, fd, flags: 0 });
/** fd 7 is map index 0, fd 3 is map index 1: the analysis must report indices, not fds. */
const MAPS = [map(7), map(3)];
const SOCK: AnalysisTarget = { progType: 'socket_filter', maps: MAPS };
const XDP: AnalysisTarget = { progType: 'xdp', maps: MAPS };
const U64_MAX = (1n << 64n) - 1n;

/** States as sorted text, e.g. `ctx|stack+512`, `const=5`, `map_value#1`; `none` = no state. */
function fmt(states: readonly AbsState[] | undefined): string {
  if (!states) return 'none';
  return states.map((s) => `${s.kind}${s.off ? `+${s.off}` : ''}${s.value !== undefined && s.kind === 'const' ? `=${s.value}` : ''}${s.map !== undefined ? `#${s.map}` : ''}`).sort().join('|');
}
/** State of register r before slot `slot`. */
function at(insns: Insn[], slot: number, r: number, target: AnalysisTarget = SOCK): string {
  return fmt(analyzeStates(insns, target).before[slot]![r]);
}
const prog = (insns: Insn[], target: AnalysisTarget = SOCK): Program => ({ name: 't', source: 'test', insns, maps: MAPS, ...target });
const windows = (insns: Insn[], target: AnalysisTarget = SOCK): [number, number][] => {
  const w = autoWindows(prog(insns, target));
  return w.s.map((s, k) => [s, w.e[k]!]);
};

test('start state: r1 = context at 0, r10 = stack at 512 (one past the top of the 512-byte stack), others none', () => {
  const st = analyzeStates(asm('exit'), SOCK);
  assert.deepEqual(st.before[0]!.map(fmt), ['none', 'ctx', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'stack+512']);
});

test('MOV64XC, MOV32XC, MOV64XY', () => {
  const p = asm('r2 = -1', 'w3 = -1', 'r4 = r1', 'r5 = r6', 'r6 = 7', 'exit');
  assert.equal(at(p, 1, 2), `const=${U64_MAX}`, 'MOV64 sign-extends imm');
  assert.equal(at(p, 2, 3), 'const=4294967295', 'MOV32 gives low32(imm)');
  assert.equal(at(p, 3, 4), 'ctx', 'MOV64XY copies');
  assert.equal(at(p, 4, 5), 'none', 'copying a register with no state gives no state');
  assert.equal(at(p, 5, 6), 'const=7');
});

test('ADD64XC moves pointer offsets and adds to constants; scalars stay scalar', () => {
  const p = asm('r2 = r10', 'r2 += -8', 'r3 = 5', 'r3 += -7', 'r4 = r1', 'r4 += 4', 'r5 = *(u32 *)(r1 + 0)', 'r5 += 1', 'r6 += 1', 'exit');
  assert.equal(at(p, 2, 2), 'stack+504');
  assert.equal(at(p, 4, 3), `const=${U64_MAX - 1n}`, '5 - 7 wraps to 2^64 - 2');
  assert.equal(at(p, 6, 4), 'ctx+4');
  assert.equal(at(p, 8, 5), 'scalar');
  assert.equal(at(p, 9, 6), 'scalar', 'a write to a register with no state is a scalar');
});

test('any other register write gives scalar (even of a pointer or constant)', () => {
  const p = asm('r2 = r10', 'r2 -= 8', 'r3 = 5', 'r3 += r3', 'w4 = w1', 'r5 = 1', 'r5 = be16 r5', 'r6 = 3', 'r6 s/= 3', 'r7 = 2', 'r7 = -r7', 'w8 = 1', 'w8 += 1', 'exit');
  for (const [slot, r] of [[2, 2], [4, 3], [5, 4], [7, 5], [9, 6], [11, 7], [13, 8]] as const) assert.equal(at(p, slot, r), 'scalar', `r${r} at ${slot}`);
});

test('LDDW: 64-bit constant, map fd → map index, unknown fd → scalar; its second slot shows the state before it', () => {
  const p = asm('r6 = 0x100000002 ll', 'ld_pseudo r2, 1, 7', 'ld_pseudo r3, 1, 3', 'ld_pseudo r4, 1, 9', 'r5 = -1 ll', 'exit');
  const st = analyzeStates(p, SOCK);
  assert.equal(fmt(st.before[2]![6]), 'const=4294967298');
  assert.equal(fmt(st.before[4]![2]), 'map_ptr#0');
  assert.equal(st.before[4]![2]![0]!.value, 0n, 'a map pointer carries its map index as constant');
  assert.equal(fmt(st.before[6]![3]), 'map_ptr#1');
  assert.equal(fmt(st.before[8]![4]), 'scalar');
  assert.equal(fmt(st.before[10]![5]), `const=${U64_MAX}`);
  assert.equal(fmt(st.before[1]![6]), 'none', 'second slot: state before the LDDW');
  assert.deepEqual(st.before[3], st.before[2]);
  assert.deepEqual(st.blocks, [{ start: 0, end: 10, succs: [] }], 'LDDW does not split blocks');
});

test('XDP: 32-bit loads of data (ctx+0) and data_end (ctx+4) give packet pointers; nothing else does', () => {
  const p = asm('r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r4 = *(u32 *)(r1 + 8)', 'r5 = *(u16 *)(r1 + 0)', 'r2 += 14', 'r1 += 4', 'r6 = *(u32 *)(r1 + 0)', 'exit');
  assert.equal(at(p, 1, 2, XDP), 'pkt');
  assert.equal(at(p, 2, 3, XDP), 'pkt_end');
  assert.equal(at(p, 3, 4, XDP), 'scalar');
  assert.equal(at(p, 4, 5, XDP), 'scalar', 'only 32-bit loads');
  assert.equal(at(p, 5, 2, XDP), 'pkt+14');
  assert.equal(at(p, 7, 6, XDP), 'scalar', 'the context pointer must be at offset 0');
  assert.equal(at(p, 1, 2, SOCK), 'scalar', 'not for other program types');
  assert.equal(at(p, 1, 2, { k2InputType: 2 }), 'pkt', "K2's pgm_input_type 2 is XDP too");
  // Two possible states of the base register: no packet pointer.
  const q = asm('if r2 == 0 goto +1', 'r1 = r10', 'r3 = *(u32 *)(r1 + 0)', 'exit');
  assert.equal(at(q, 2, 1, XDP), 'ctx|stack+512');
  assert.equal(at(q, 3, 3, XDP), 'scalar');
});

test('CALL: r0 scalar, r1–r5 cleared, r6–r9 kept; map_lookup gives one map-value-or-null per possible map', () => {
  const p = asm('r6 = 1', 'ld_pseudo r1, 1, 7', 'if r6 == 0 goto +2', 'ld_pseudo r1, 1, 3', 'call 1', 'call 5', 'exit');
  const st = analyzeStates(p, SOCK);
  assert.equal(fmt(st.before[6]![1]), 'map_ptr#0|map_ptr#1');
  assert.equal(fmt(st.before[7]![0]), 'map_value_or_null#0|map_value_or_null#1');
  for (let r = 1; r <= 5; r++) assert.equal(fmt(st.before[7]![r]), 'none', `r${r}`);
  assert.equal(fmt(st.before[7]![6]), 'const=1');
  assert.equal(fmt(st.before[8]![0]), 'scalar', 'other helpers give a scalar');
  assert.equal(at(asm('r1 = 5', 'call 1', 'exit'), 2, 0), 'scalar', 'map_lookup without a map pointer: scalar');
});

test('join: a register keeps states only if every predecessor has some; states are unioned', () => {
  const p = asm('if r1 == 0 goto +3', 'r2 = 1', 'r3 = r10', 'goto +2', 'r2 = 2', 'r3 = r10', 'exit');
  assert.equal(at(p, 6, 2), 'const=1|const=2');
  assert.equal(at(p, 6, 3), 'stack+512', 'equal states from both sides are one state');
  const q = asm('if r1 == 0 goto +1', 'r2 = 1', 'exit');
  assert.equal(at(q, 2, 2), 'none', 'set on one path only');
});

test('null check: JEQ/JNE r,0 turn map-value-or-null into map value on the non-null edge and 0 on the null edge', () => {
  const pre = ['ld_pseudo r1, 1, 3', 'call 1'];
  const jeq = asm(...pre, 'if r0 == 0 goto +1', 'exit', 'exit');
  assert.equal(at(jeq, 4, 0), 'map_value#1', 'JEQ fall-through');
  assert.equal(at(jeq, 5, 0), 'const=0', 'JEQ taken');
  const jne = asm(...pre, 'if r0 != 0 goto +1', 'exit', 'exit');
  assert.equal(at(jne, 4, 0), 'const=0', 'JNE fall-through');
  assert.equal(at(jne, 5, 0), 'map_value#1', 'JNE taken');
  const other = asm(...pre, 'if r0 == 1 goto +1', 'if w0 == 0 goto +0', 'exit');
  assert.equal(at(other, 4, 0), 'map_value_or_null#1', 'compares with other constants do not refine');
  assert.equal(at(other, 5, 0), 'map_value_or_null#1', '32-bit compares do not refine');
  const both = asm(...pre, 'if r0 == 0 goto +0', 'exit');
  assert.equal(at(both, 4, 0), 'const=0|map_value#1', 'both edges to one block: union of the refinements');
  const ptr = asm(...pre, 'r0 += 4', 'if r0 != 0 goto +1', 'exit', 'r2 = *(u32 *)(r0 + 0)', 'exit');
  assert.equal(at(ptr, 6, 0), 'map_value+4#1', 'offsets survive the refinement');
});

test('CFG: blocks in topological order, reachability, NOP (ja +0) and calls inside blocks, tail call and exit end blocks', () => {
  const p = asm('r1 = 1', 'if r1 == 0 goto +3', 'r2 = 1', 'goto +0', 'exit', 'call 5', 'call 12', 'r0 = 0', 'exit');
  const st = analyzeStates(p, SOCK);
  assert.deepEqual(st.blocks.map((b) => [b.start, b.end]), [[0, 1], [5, 6], [2, 4], [7, 8]], 'taken branch first (reverse DFS postorder), unreachable last');
  assert.deepEqual(st.blocks[0]!.succs, [2, 1], 'fall-through edge first, then the jump edge');
  assert.deepEqual(st.blocks[1]!.succs, [], 'a tail call ends the program');
  assert.deepEqual(st.reachable, [true, true, true, true, true, true, true, false, false]);
  assert.deepEqual(st.before[8]!.map(fmt), new Array(11).fill('none'), 'unreachable: no states');
  assert.equal(st.blockOf[3], 2);
  st.blocks.forEach((b, k) => b.succs.forEach((s) => assert.ok(s > k, 'no loops here, so every edge goes forward in the order')));
});

test('loops reach a fixpoint: a growing constant ends as scalar', () => {
  const p = asm('r1 = 0', 'r2 = r10', 'r1 += 1', 'r2 += -1', 'if r1 < 100 goto -3', 'exit');
  const st = analyzeStates(p, SOCK);
  assert.equal(fmt(st.before[2]![1]), 'scalar');
  assert.equal(fmt(st.before[5]![1]), 'scalar');
  assert.equal(fmt(st.before[2]![10]), 'stack+512');
});

test('autoWindows: runs cut into 4s plus an overlapping final window; exact 4s; length 2–4 as is', () => {
  const movs = (k: number): string[] => Array.from({ length: k }, (_, i) => `r${i % 9} = ${i}`);
  assert.deepEqual(windows(asm(...movs(9), 'exit')), [[0, 3], [4, 7], [5, 8]]);
  assert.deepEqual(windows(asm(...movs(8), 'exit')), [[0, 3], [4, 7]]);
  assert.deepEqual(windows(asm(...movs(6), 'exit')), [[0, 3], [2, 5]]);
  assert.deepEqual(windows(asm(...movs(3), 'exit')), [[0, 2]]);
  assert.deepEqual(windows(asm(...movs(2), 'exit')), [[0, 1]]);
  assert.deepEqual(windows(asm(...movs(1), 'exit')), []);
});

test('autoWindows: calls, jumps, EXIT, LDDW and unsupported opcodes break runs; length-1 runs dropped; NOP eligible', () => {
  const p = asm('r1 = 1', 'r2 = 2', 'r3 = 5 ll', 'r4 = 1', 'r5 = 1', 'call 5', 'r6 = 1', 'r7 = 1', 'if r7 == 0 goto +0', 'r8 = 1', 'r9 = 1', 'r9 -= 1', 'r8 = 2', 'exit');
  assert.deepEqual(windows(p), [[0, 1], [4, 5], [7, 8], [10, 11]], 'r9 -= 1 (SUB imm) is not a K2 opcode; r8 = 2 alone is dropped');
  assert.deepEqual(windows(asm('r1 = 1', 'goto +0', 'r2 = 1', 'exit')), [[0, 2]], 'ja +0 is K2\'s NOP');
  assert.deepEqual(windows(asm('r1 = 1', 'r2 = 1', 'goto +1', 'r3 = 1', 'r4 = 1', 'r5 = 1', 'exit')), [[0, 1], [4, 5]], 'dead code gets no window');
});

test('autoWindows: start and end lists are sorted independently (blocks come in topological order)', () => {
  const p = asm('r1 = 1', 'r2 = 2', 'if r1 == 0 goto +3', 'r3 = 1', 'r4 = 1', 'exit', 'r5 = 1', 'r6 = 1', 'exit');
  assert.deepEqual(analyzeStates(p, SOCK).blocks.map((b) => b.start), [0, 6, 3]);
  assert.deepEqual(autoWindows(prog(p)), { s: [0, 3, 6], e: [1, 4, 7] });
});

test('autoWindows: a memory access is eligible only if its address register has exactly one pointer state', () => {
  const join = (second: string): Insn[] => asm('if r1 == 0 goto +2', 'r2 = r10', 'goto +1', second, 'r3 = *(u64 *)(r2 - 8)', 'r4 = 1', 'r5 = 1', 'exit');
  assert.deepEqual(windows(join('r2 = r1')), [[5, 6]], 'stack or context: two states');
  assert.deepEqual(windows(join('r2 = r10')), [[4, 6]], 'the same state from both paths is one state');
  const lookup = ['ld_pseudo r1, 1, 7', 'r2 = r10', 'r2 += -8', 'call 1'];
  assert.deepEqual(windows(asm(...lookup, 'r1 = *(u64 *)(r0 + 0)', 'r2 = 1', 'exit')), [[2, 3]], 'map value or null is not addressable');
  assert.deepEqual(windows(asm(...lookup, 'if r0 == 0 goto +3', 'r1 = *(u64 *)(r0 + 0)', 'lock *(u64 *)(r0 + 0) += r1', 'r1 = 1', 'exit')), [[2, 3], [6, 8]], 'after the null check it is');
  assert.deepEqual(windows(asm('r2 = 8', 'r3 = *(u8 *)(r2 + 0)', 'r4 = 1', 'exit')), [], 'a constant is not a pointer');
  assert.deepEqual(windows(asm('r4 = 1', '*(u8 *)(r3 + 0) = 1', 'r4 = 1', 'exit')), [], 'no state');
  assert.deepEqual(windows(asm('r4 = 1', '*(u64 *)(r10 - 8) = r4', '*(u64 *)(r1 + 0) = 1', 'exit')), [[0, 2]], 'stack and context stores');
  const xdp = asm('r2 = *(u32 *)(r1 + 0)', 'r3 = *(u32 *)(r1 + 4)', 'r4 = *(u8 *)(r2 + 0)', 'r5 = *(u8 *)(r3 + 0)', 'exit');
  assert.deepEqual(windows(xdp, XDP), [[0, 2]], 'packet pointer yes, packet end no');
});

/** Slots a window must never contain. */
function isBarrier(insns: readonly Insn[], i: number, half: Uint8Array): boolean {
  if (half[i]) return true;
  const ins = insns[i]!;
  if (isNop(ins)) return false;
  const kind = specOf(ins.op, ins.src, ins.off, ins.imm)?.kind;
  return kind === 'jcond' || kind === 'ja' || kind === 'ja32' || kind === 'call' || kind === 'callx' || kind === 'exit' || kind === 'lddw';
}

test('autoWindows on the 11 K2 suite programs: windows inside the program, at most 4 slots, no barrier slots', (t) => {
  if (!sharedAvailable) { t.skip(`K2 suite not found at ${sharedDir} (third-party data lives outside the repo)`); return; }
  const suite = join(sharedDir, 'k2-suite');
  const manifest = JSON.parse(readFileSync(join(suite, 'suite.json'), 'utf8')) as { benchmarks: { name: string }[] };
  assert.equal(manifest.benchmarks.length, 11);
  for (const b of manifest.benchmarks) {
    const p = loadProgram(join(suite, 'programs', b.name));
    const { s, e } = autoWindows(p);
    const half = secondHalfMask(p.insns);
    assert.equal(s.length, e.length, b.name);
    assert.ok(s.length > 0, `${b.name}: some windows`);
    s.forEach((start, k) => {
      const end = e[k]!;
      assert.ok(start >= 0 && end < p.insns.length && start <= end && end - start <= 3, `${b.name}: window ${start}–${end}`);
      for (let i = start; i <= end; i++) assert.ok(!isBarrier(p.insns, i, half), `${b.name}: window ${start}–${end} holds slot ${i}`);
    });
  }
});

test('the search uses automatic windows when no window lists are given, and the whole program when none is eligible', () => {
  const straight = prog(assemble('r1 = 1\nr2 = 2\nr3 = 3\nr0 = r1\nr0 += r2\nr0 += r3\nexit'));
  const auto = autoWindows(straight);
  assert.ok(auto.s.length > 0);
  assert.deepEqual(searchWindows(straight, K2_DEFAULTS), auto.s.map((s, i) => [s, auto.e[i]]));
  assert.deepEqual(searchWindows(straight, withParams(K2_DEFAULTS, { win_s_list: [1], win_e_list: [2] })), [[1, 2]]);
  const jumpy = prog(assemble('r0 = 1\nif r1 > 2 goto +1\nr0 = 2\nexit'));
  assert.deepEqual(searchWindows(jumpy, K2_DEFAULTS), [[0, 3]]);
});
