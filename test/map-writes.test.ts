/**
 * The map-write analysis difftest relies on to skip reading back maps a program cannot change:
 * every way a program can write a map (helper, store through a lookup result, through a spilled
 * and reloaded pointer, in a BPF-to-BPF callee, helpers writing through a pointer, map-in-map)
 * counts, pure reads do not, and anything it cannot follow counts every map as written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mapWrites } from '../src/ebpf/map-writes.js';
import { assemble } from '../src/ebpf/asm.js';
import { MAP_TYPES, type MapDef, type Program } from '../src/ebpf/program.js';

const map = (name: string, fd: number, extra: Partial<MapDef> = {}): MapDef => ({ name, type: MAP_TYPES.array, keySize: 4, valueSize: 8, maxEntries: 4, fd, flags: 0, ...extra });
const prog = (lines: string[], maps: MapDef[] = [map('a', 0), map('b', 1)]): Program => ({ name: 't', source: 't', insns: assemble(lines.join('\n')), maps, progType: 'xdp' });
const written = (p: Program): string[] => {
  const w = mapWrites(p);
  return p.maps.filter((_, i) => w.written.has(i)).map((m) => m.name);
};
/** r0 = lookup(map fd, key 0) with the null check: the lines after it run with a value pointer in r0. */
const lookup = (fd: number): string[] => ['*(u32 *)(r10 - 4) = 0', `ld_pseudo r1, 1, ${fd}`, 'r2 = r10', 'r2 += -4', 'call 1', 'if r0 == 0 goto out'];
const end = ['out:', 'r0 = 2', 'exit'];

test('a lookup whose value is only read writes nothing; a store or atomic through it writes that map only', () => {
  assert.deepEqual(written(prog([...lookup(0), 'r1 = *(u64 *)(r0 + 0)', ...end])), []);
  assert.deepEqual(written(prog([...lookup(1), 'r0 += 4', '*(u32 *)(r0 + 0) = 1', ...end])), ['b']);
  assert.deepEqual(written(prog([...lookup(0), 'r1 = 1', 'lock *(u64 *)(r0 + 0) += r1', ...end])), ['a']);
});

test('update/delete through the map handle write it; the value they read from another map does not', () => {
  const upd = [...lookup(1), 'r3 = r0', `ld_pseudo r1, 1, 0`, 'r2 = r10', 'r2 += -4', 'r4 = 0', 'call 2', ...end];
  assert.deepEqual(written(prog(upd)), ['a']);
  assert.deepEqual(written(prog(['ld_pseudo r1, 1, 1', 'r2 = r10', 'r2 += -4', '*(u32 *)(r10 - 4) = 0', 'call 3', ...end])), ['b']);
});

test('a pointer spilled to the stack and reloaded, or moved through a loop, still writes', () => {
  assert.deepEqual(written(prog([...lookup(0), '*(u64 *)(r10 - 16) = r0', 'r0 = 0', 'r6 = *(u64 *)(r10 - 16)', '*(u32 *)(r6 + 0) = 7', ...end])), ['a']);
  // Through a stack pointer other than r10: the store lands in the global pool.
  assert.deepEqual(written(prog([...lookup(1), 'r7 = r10', 'r7 += -24', '*(u64 *)(r7 + 0) = r0', 'r8 = *(u64 *)(r10 - 24)', '*(u8 *)(r8 + 1) = 1', ...end])), ['b']);
  const loop = [...lookup(0), 'r6 = 0', 'r7 = 0', 'again:', 'if r6 == 3 goto done', 'r7 = r0', 'r6 += 1', 'goto again', 'done:', 'if r7 == 0 goto out', '*(u32 *)(r7 + 0) = 1', ...end];
  assert.deepEqual(written(prog(loop)), ['a']);
});

test('BPF-to-BPF calls: a callee storing through an argument, a callee returning the pointer, a callee storing into the caller\'s frame', () => {
  const callee = ['sub:', '*(u32 *)(r1 + 0) = 1', 'r0 = 0', 'exit'];
  assert.deepEqual(written(prog([...lookup(1), 'r1 = r0', 'call sub', ...end, ...callee])), ['b']);
  const getter = ['get:', '*(u32 *)(r10 - 4) = 0', 'ld_pseudo r1, 1, 0', 'r2 = r10', 'r2 += -4', 'call 1', 'exit'];
  assert.deepEqual(written(prog(['call get', 'if r0 == 0 goto out', '*(u32 *)(r0 + 0) = 1', ...end, ...getter])), ['a']);
  // The caller passes &slot; the callee stores a value pointer there; the caller reloads the slot and writes.
  const spiller = ['put:', 'r6 = r1', '*(u32 *)(r10 - 4) = 0', 'ld_pseudo r1, 1, 1', 'r2 = r10', 'r2 += -4', 'call 1', '*(u64 *)(r6 + 0) = r0', 'r0 = 0', 'exit'];
  const caller = ['*(u64 *)(r10 - 8) = 0', 'r1 = r10', 'r1 += -8', 'call put', 'r1 = *(u64 *)(r10 - 8)', 'if r1 == 0 goto out', '*(u32 *)(r1 + 0) = 1', ...end, ...spiller];
  assert.deepEqual(written(prog(caller)), ['b']);
});

test('helpers writing through a pointer argument (probe_read into a value) write; ones reading it (csum_diff) do not', () => {
  assert.deepEqual(written(prog([...lookup(0), 'r1 = r0', 'r2 = 8', 'r3 = 0', 'call 4', ...end])), ['a']);
  assert.deepEqual(written(prog([...lookup(0), 'r1 = r0', 'r2 = 4', 'r3 = 0', 'r4 = 0', 'r5 = 0', 'call 28', ...end])), []);
  assert.deepEqual(written(prog([...lookup(1), 'r1 = r0', 'r2 = 8', 'call 9999', ...end])), ['b'], 'an unknown helper may write what it is given');
});

test('global data written through a direct value pointer; a map-in-map lookup stands for its inner maps', () => {
  const maps = [map('.bss', 0, { globalData: '.bss', initialValue: new Uint8Array(8) }), map('b', 1)];
  assert.deepEqual(written(prog(['ld_pseudo r1, 2, 0', '*(u32 *)(r1 + 4) = 1', 'r0 = 2', 'exit'], maps)), ['.bss']);
  const mim = [map('inner', 0, { type: MAP_TYPES.hash }), map('outer', 1, { type: MAP_TYPES.array_of_maps, innerSlots: [{ index: 0, map: 'inner' }] }), map('c', 2)];
  const viaOuter = [...lookup(1), 'r1 = r0', 'r2 = r10', 'r2 += -4', 'r3 = r10', 'r3 += -4', 'r4 = 0', 'call 2', ...end];
  assert.ok(written(prog(viaOuter, mim)).includes('inner'), 'updating the map a map-in-map lookup returned writes the inner map');
  assert.ok(!written(prog(viaOuter, mim)).includes('c'));
});

test('what the analysis cannot follow counts every map as written, and says why', () => {
  const w = mapWrites(prog(['ld_pseudo r2, 4, 2', 'r0 = 2', 'exit', 'r0 = 0', 'exit']));
  assert.deepEqual([...w.written], [0, 1]);
  assert.match(w.unsure ?? '', /callback/);
});
