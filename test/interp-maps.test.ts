/**
 * Map types and helpers of real programs in the interpreter: LPM longest-prefix match, LRU
 * eviction order, queue/stack, ring buffer size rules, map-in-map lookups, global data, large
 * arrays; packet helpers (checksums, adjust_tail/meta, load/store bytes), trace_printk and the
 * environment model (probe_read, comm, stack).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assembleConformance } from '../src/conformance/asm.js';
import { lddwSecondHalf, type Insn } from '../src/ebpf/insn.js';
import { MAP_TYPES, type MapDef, type Program, type ProgType } from '../src/ebpf/program.js';
import { csumFold, csumPartial, csumReplace2, csumReplace4 } from '../src/interp/checksum.js';
import type { RunInput } from '../src/interp/machine.js';
import { ERRNO, MapState, fromHex, hex, u32Key } from '../src/interp/maps.js';
import { RingBuffer } from '../src/interp/ringbuf.js';
import { runProgram, toRunnable, type RunResult } from '../src/interp/run.js';

const asm = (text: string): Insn[] => assembleConformance(text);
const ldMap = (dst: number, fd: number): Insn[] => [{ op: 0x18, dst, src: 1, off: 0, imm: fd }, lddwSecondHalf(0)];
const prog = (insns: Insn[], progType: ProgType | undefined, maps: MapDef[] = []): Program => ({ name: 't', source: 't', insns, maps, ...(progType ? { progType } : {}) });
const run = (p: Program, input: Partial<RunInput> = {}): RunResult => runProgram(toRunnable(p), { packet: new Uint8Array(0), ...input });
const def = (fd: number, type: number, keySize: number, valueSize: number, maxEntries: number, extra: Partial<MapDef> = {}): MapDef =>
  ({ name: `m${fd}`, fd, type, keySize, valueSize, maxEntries, flags: 0, ...extra });
/** An LPM key: prefix length, then the address bytes. */
const lpmKey = (plen: number, ...bytes: number[]): Uint8Array => new Uint8Array([...u32Key(plen), ...bytes]);

test('LPM trie: the longest matching prefix no longer than the key wins; identity is prefix + masked bits', () => {
  const m = new MapState(def(0, MAP_TYPES.lpm_trie, 8, 4, 8, { flags: 1 }), 0);
  const val = (x: number): Uint8Array => u32Key(x);
  assert.equal(m.update(lpmKey(8, 10, 0, 0, 0), val(1), 0), 0);
  assert.equal(m.update(lpmKey(24, 10, 1, 2, 0), val(2), 0), 0);
  assert.equal(m.update(lpmKey(33, 10, 1, 2, 3), val(3), 0), -ERRNO.EINVAL, 'prefix longer than the key');
  const read = (k: Uint8Array): number => { const a = m.lookup(k); return a === 0 ? -1 : m.region.view.getUint32(a - m.region.base, true); };
  assert.equal(read(lpmKey(32, 10, 1, 2, 99)), 2);
  assert.equal(read(lpmKey(32, 10, 9, 9, 9)), 1);
  assert.equal(read(lpmKey(16, 10, 1, 2, 99)), 1, 'a /24 entry is longer than a /16 lookup key');
  assert.equal(read(lpmKey(32, 11, 1, 2, 3)), -1);
  // Bits past the prefix do not matter: the same /24 with another last byte replaces the entry.
  assert.equal(m.update(lpmKey(24, 10, 1, 2, 77), val(5), 1), -ERRNO.EEXIST);
  assert.equal(m.update(lpmKey(24, 10, 1, 2, 77), val(5), 0), 0);
  assert.equal(read(lpmKey(32, 10, 1, 2, 1)), 5);
  assert.deepEqual(m.entries().map((e) => e.keyHex), ['080000000a000000', '180000000a01024d']);
  assert.equal(m.delete(lpmKey(24, 10, 1, 2, 0)), 0);
  assert.equal(m.delete(lpmKey(24, 10, 1, 2, 0)), -ERRNO.ENOENT);
  assert.equal(read(lpmKey(32, 10, 1, 2, 1)), 1);
});

test('LPM trie: a full trie refuses new prefixes with -ENOSPC', () => {
  const m = new MapState(def(0, MAP_TYPES.lpm_trie, 8, 4, 1, { flags: 1 }), 0);
  assert.equal(m.update(lpmKey(8, 10), u32Key(1), 0), 0);
  assert.equal(m.update(lpmKey(16, 10, 1), u32Key(2), 0), -ERRNO.ENOSPC);
});

test('LRU hash: when full, the least recently used key (lookup or update) is evicted', () => {
  const m = new MapState(def(0, MAP_TYPES.lru_hash, 4, 4, 2), 0);
  assert.equal(m.update(u32Key(1), u32Key(10), 0), 0);
  assert.equal(m.update(u32Key(2), u32Key(20), 0), 0);
  assert.notEqual(m.lookup(u32Key(1)), 0); // 1 is now the most recent
  assert.equal(m.update(u32Key(3), u32Key(30), 0), 0);
  assert.deepEqual(m.entries().map((e) => e.keyHex), [hex(u32Key(1)), hex(u32Key(3))]);
  const h = new MapState(def(1, MAP_TYPES.hash, 4, 4, 2), 1);
  h.update(u32Key(1), u32Key(1), 0); h.update(u32Key(2), u32Key(2), 0);
  assert.equal(h.update(u32Key(3), u32Key(3), 0), -ERRNO.E2BIG, 'a plain hash map does not evict');
});

test('queue and stack: push/pop/peek order, -E2BIG when full unless BPF_EXIST drops the oldest', () => {
  const q = new MapState(def(0, MAP_TYPES.queue, 0, 4, 2), 0);
  const s = new MapState(def(1, MAP_TYPES.stack, 0, 4, 2), 1);
  for (const m of [q, s]) { assert.equal(m.push(u32Key(1), 0), 0); assert.equal(m.push(u32Key(2), 0), 0); }
  assert.equal(q.push(u32Key(3), 0), -ERRNO.E2BIG);
  assert.equal(q.push(u32Key(3), 2), 0);
  assert.deepEqual(q.pop(false), u32Key(2));
  assert.deepEqual(q.pop(true), u32Key(2));
  assert.deepEqual(s.pop(true), u32Key(2));
  assert.deepEqual(s.pop(true), u32Key(1));
  assert.equal(s.pop(true), undefined);
  assert.equal(q.push(u32Key(1), 4), -ERRNO.EINVAL);
});

test('ring buffer: 8-byte header, sizes rounded to 8, NULL when full, too big or flagged', () => {
  const r = new RingBuffer(64);
  assert.equal(r.reserve(5, 0), 8);
  assert.equal(r.prodPos, 16);
  assert.equal(r.reserve(1, 1), -1, 'flags must be 0');
  assert.equal(r.reserve(64, 0), -1, 'larger than the buffer');
  assert.equal(r.reserve(32, 0), 24); // 16 + 40 = 56 ≤ 63
  assert.equal(r.reserve(1, 0), -1, 'the producer may not run size − 1 bytes ahead');
});

test('ring buffer through helpers: submitted records show in order, discarded ones do not', () => {
  // reserve 4 bytes, write 0xaabbccdd, submit; reserve again, discard; output 1 byte from the stack.
  const insns = [
    ...ldMap(1, 0), ...asm('mov %r2, 4\nmov %r3, 0\ncall 131\njeq %r0, 0, +4\nstw [%r0+0], 0xaabbccdd\nmov %r1, %r0\nmov %r2, 0\ncall 132'),
    ...ldMap(1, 0), ...asm('mov %r2, 8\nmov %r3, 0\ncall 131\njeq %r0, 0, +3\nmov %r1, %r0\nmov %r2, 0\ncall 133'),
    ...asm('stb [%r10-1], 7\nmov %r2, %r10\nadd %r2, -1\nmov %r3, 1\nmov %r4, 0'), ...ldMap(1, 0), ...asm('call 130\nexit'),
  ];
  const r = run(prog(insns, 'kprobe', [def(0, MAP_TYPES.ringbuf, 0, 0, 4096)]));
  assert.equal(r.error, undefined, r.error?.message);
  assert.equal(r.r0, 0n);
  assert.deepEqual(r.maps[0]!.entries, [{ key: '00000000', value: 'ddccbbaa' }, { key: '20000000', value: '07' }]);
});

test('array of maps: a lookup returns the inner map, which the program then uses', () => {
  const inner = def(0, MAP_TYPES.array, 4, 8, 4);
  const outer = def(5, MAP_TYPES.array_of_maps, 4, 4, 8, { inner });
  const insns = [
    ...asm('stw [%r10-4], 1\nmov %r2, %r10\nadd %r2, -4'), ...ldMap(1, 5), ...asm('call 1\njeq %r0, 0, +8'),
    ...asm('mov %r1, %r0\nstw [%r10-8], 2\nmov %r2, %r10\nadd %r2, -8\ncall 1\njeq %r0, 0, +2\nstdw [%r0+0], 42\nmov %r0, 1\nexit\nmov %r0, 0\nexit'),
  ];
  const r = run(prog(insns, 'xdp', [outer]), { packet: new Uint8Array(14) });
  assert.equal(r.error, undefined, r.error?.message);
  assert.equal(r.r0, 1n);
  const written = r.maps.find((m) => m.name === 'm5[1]')!;
  assert.deepEqual(written.entries, [{ key: '02000000', value: '2a00000000000000' }]);
});

test('global data: an array with an initial value starts each run from it; .rodata is read-only', () => {
  const data = def(0, MAP_TYPES.array, 4, 8, 1, { initialValue: fromHex('0500000000000000') });
  const bump = [{ op: 0x18, dst: 1, src: 2, off: 0, imm: 0 }, lddwSecondHalf(0), ...asm('ldxdw %r0, [%r1+0]\nadd %r0, 1\nstxdw [%r1+0], %r0\nexit')];
  const p = prog(bump, 'xdp', [data]);
  assert.equal(run(p, { packet: new Uint8Array(14) }).r0, 6n);
  assert.equal(run(p, { packet: new Uint8Array(14) }).r0, 6n, 'the second run starts from the initial value again');
  const ro = prog(bump, 'xdp', [{ ...data, flags: 0x80 }]);
  assert.match(run(ro, { packet: new Uint8Array(14) }).error?.message ?? '', /read-only/);
});

test('arrays larger than the arena allocate entries on use (Katran-sized maps run)', () => {
  const big = new MapState(def(0, MAP_TYPES.array, 4, 4, 65537 * 512), 0);
  assert.equal(big.update(u32Key(30_000_000), u32Key(9), 0), 0);
  assert.notEqual(big.lookup(u32Key(5)), 0);
  assert.equal(big.lookup(u32Key(65537 * 512)), 0);
  assert.deepEqual(big.entries(), [{ keyHex: hex(u32Key(30_000_000)), valueHex: '09000000' }]);
});

test('checksums: replace2/replace4 agree with recomputing; csum_partial is the one\'s-complement sum', () => {
  // An IPv4 header (checksum b861 at bytes 10-11): change the TTL/protocol word 4011 → 3f11.
  const hdr = fromHex('450000730000400040110000c0a80001c0a800c7');
  const words = (b: Uint8Array): number[] => Array.from({ length: b.length / 2 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  const full = (b: Uint8Array): number => { let s = 0; for (const w of words(b)) s += w; while (s > 0xffff) s = (s & 0xffff) + (s >>> 16); return ~s & 0xffff; };
  const before = full(hdr);
  assert.equal(before, 0xb861);
  const after = hdr.slice(); after[8] = 0x3f;
  const want = full(after);
  const sw = (x: number): number => ((x & 0xff) << 8) | (x >> 8); // values as a little-endian load holds them
  assert.equal(sw(csumReplace2(sw(before), sw(0x4011), sw(0x3f11))), want);
  assert.equal(sw(csumReplace4(sw(before), sw(0x4011), sw(0x3f11))), want);
  assert.equal(csumPartial([], 0), 0);
  assert.equal(csumPartial([0xffff_ffff], 0), 0xffff_ffff);
  assert.equal(csumPartial([0xffff_ffff, 2], 0), 2);
  assert.equal(csumFold(0x0001_fffe), 0);
});

test('xdp_adjust_tail grows with zeros up to the frame end and shrinks to the Ethernet header; adjust_meta shows in the output', () => {
  const tail = (delta: number): RunResult => run(prog(asm(`mov %r2, ${delta}\ncall 65\nexit`), 'xdp'), { packet: new Uint8Array(20).fill(1) });
  assert.equal(tail(4).r0, 0n);
  assert.equal(hex(tail(4).packet), '01'.repeat(20) + '00'.repeat(4));
  assert.equal(tail(-6).packet.length, 14);
  assert.equal(tail(-7).r0, BigInt.asUintN(64, -22n));
  assert.equal(tail(4000).r0, BigInt.asUintN(64, -22n));
  const meta = run(prog(asm('mov %r6, %r1\nmov %r2, -4\ncall 54\nldxw %r2, [%r6+8]\nstw [%r2+0], 0x04030201\nexit'), 'xdp'), { packet: new Uint8Array(14) });
  assert.equal(meta.error, undefined, meta.error?.message);
  assert.equal(hex(meta.packet), '01020304' + '00'.repeat(14));
});

test('skb_load_bytes / skb_store_bytes check offset and length like the kernel', () => {
  const p = prog(asm('mov %r6, %r1\nmov %r2, 12\nmov %r3, %r10\nadd %r3, -2\nmov %r4, 2\ncall 26\njne %r0, 0, +6\nmov %r1, %r6\nmov %r2, 0\nmov %r3, %r10\nadd %r3, -2\nmov %r4, 2\nmov %r5, 0\ncall 9\nexit'), 'sched_cls');
  const pkt = fromHex('00112233445566778899aabb0800ff');
  const r = run(p, { packet: pkt });
  assert.equal(r.error, undefined, r.error?.message);
  assert.equal(r.r0, 0n);
  assert.equal(hex(r.packet), '0800' + hex(pkt.subarray(2)));
  assert.equal(run(p, { packet: pkt.subarray(0, 13) }).r0, BigInt.asUintN(64, -14n), 'past the end: -EFAULT');
});

test('environment model: probe_read from kernel memory, comm, trace_printk formatting', () => {
  const probe = prog(asm('mov %r1, %r10\nadd %r1, -8\nmov %r2, 8\nlddw %r3, 0x10002\ncall 113\nldxdw %r0, [%r10-8]\nexit'), 'kprobe');
  assert.equal(run(probe).r0, 0n, 'no kernel memory in the input: -EFAULT and a zeroed buffer');
  assert.equal(run(probe, { kernelMemory: new Uint8Array([1, 2, 3, 4]) }).r0, 0x0201_0403_0201_0403n);
  const comm = prog(asm('mov %r1, %r10\nadd %r1, -16\nmov %r2, 16\ncall 16\nldxdw %r0, [%r10-16]\nexit'), 'kprobe');
  assert.equal(run(comm, { comm: 'bash' }).r0, 0x6873_6162n);
  // "x=%d\n\0" on the stack, then trace_printk(fmt, 6, -5)
  const printk = prog(asm('stw [%r10-8], 0x25203d78\nsth [%r10-4], 0x0a64\nstb [%r10-2], 0\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 7\nmov %r3, -5\ncall 6\nexit'), 'kprobe');
  const r = run(printk);
  assert.equal(r.error, undefined, r.error?.message);
  assert.deepEqual(r.sideEffects.trace, ['x= -5\n']);
  assert.equal(r.r0, 6n);
});

test('hash maps larger than the map budget run on a budget-sized arena (execsnoop\'s 10,240 × 7,720 bytes)', () => {
  const big = new MapState(def(0, MAP_TYPES.hash, 4, 7720, 10240), 0);
  assert.equal(big.update(u32Key(1), new Uint8Array(7720).fill(3), 0), 0);
  assert.equal(big.update(u32Key(2), new Uint8Array(7720).fill(4), 0), 0);
  assert.notEqual(big.lookup(u32Key(2)), 0);
  // 8 MiB values: the 16 MiB arena holds two; a third entry at once is the budget's error, never E2BIG.
  const huge = new MapState(def(1, MAP_TYPES.hash, 4, 8 << 20, 4), 1);
  assert.equal(huge.update(u32Key(1), new Uint8Array(1), 0), 0);
  assert.equal(huge.update(u32Key(2), new Uint8Array(1), 0), 0);
  assert.throws(() => huge.update(u32Key(3), new Uint8Array(1), 0), /map budget/);
});
