/**
 * Interpreter behaviour beyond the conformance vectors: program-type contexts (XDP, skb, raw),
 * LD_ABS/LD_IND, maps with kernel semantics, helpers and side effects, bounded execution,
 * typed errors, and session reuse giving the same results as fresh machines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assembleConformance } from '../src/conformance/asm.js';
import { lddwSecondHalf, type Insn } from '../src/ebpf/insn.js';
import { opByName } from '../src/ebpf/opcodes.js';
import type { MapDef, Program, ProgType } from '../src/ebpf/program.js';
import { ERRNO } from '../src/interp/maps.js';
import { Session, runProgram, toRunnable, type RunResult } from '../src/interp/run.js';
import type { RunInput } from '../src/interp/machine.js';

const asm = (text: string): Insn[] => assembleConformance(text);
const ins = (name: string, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ op: opByName(name).opcode, dst, src, off, imm });
/** `r<dst> = map fd` as two slots. */
const ldMap = (dst: number, fd: number): Insn[] => [{ op: 0x18, dst, src: 1, off: 0, imm: fd }, lddwSecondHalf(0)];

function prog(insns: Insn[], progType?: ProgType, maps: MapDef[] = []): Program {
  return { name: 't', source: 't', insns, maps, ...(progType ? { progType } : {}) };
}
function run(p: Program, input: Partial<RunInput> = {}): RunResult {
  return runProgram(toRunnable(p), { packet: new Uint8Array(0), ...input });
}
const map = (fd: number, type: number, keySize: number, valueSize: number, maxEntries: number): MapDef =>
  ({ name: `m${fd}`, fd, type, keySize, valueSize, maxEntries, flags: 0 });

test('xdp: data/data_end from xdp_md bound the packet; writes show in the output packet', () => {
  const p = prog(asm(`
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r1+4]
    mov %r4, %r2
    add %r4, 2
    jgt %r4, %r3, drop
    ldxb %r5, [%r2+1]
    stxb [%r2+0], %r5
    mov %r0, 2
    exit
    drop:
    mov %r0, 1
    exit`), 'xdp');
  const ok = run(p, { packet: new Uint8Array([1, 7, 9]) });
  assert.equal(ok.error, undefined);
  assert.equal(ok.r0, 2n);
  assert.deepEqual([...ok.packet], [7, 7, 9]);
  assert.equal(run(p, { packet: new Uint8Array([1]) }).r0, 1n);
});

test('xdp: reading past data_end is a memory error at the faulting slot, not an exception', () => {
  const p = prog(asm('ldxw %r2, [%r1+0]\nldxb %r0, [%r2+4]\nexit'), 'xdp');
  const r = run(p, { packet: new Uint8Array(4) });
  assert.equal(r.error?.kind, 'memory');
  assert.equal(r.error?.pc, 1);
  assert.match(run(prog(asm('stw [%r1+0], 1\nexit'), 'xdp')).error?.message ?? 'no error', /context region is read-only/);
});

test('skb: LD_ABS/LD_IND read network byte order; out of range ends the program with r0 = 0', () => {
  const pkt = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00, 0x45]);
  const half = prog([ins('ldabsh', 0, 0, 0, 12), ins('exit')], 'sched_cls');
  assert.equal(run(half, { packet: pkt }).r0, 0x0800n);
  const word = prog([ins('mov64_imm', 6, 0, 0, 10), ins('ldindw', 0, 6, 0, 1), ins('exit')], 'sched_cls');
  assert.equal(run(word, { packet: pkt }).r0, 0x0b080045n);
  const oob = prog([ins('mov64_imm', 0, 0, 0, 77), ins('ldabsb', 0, 0, 0, 15), ins('mov64_imm', 0, 0, 0, 5), ins('exit')], 'sched_cls');
  const r = run(oob, { packet: pkt });
  assert.equal(r.r0, 0n);
  assert.equal(r.error, undefined);
});

test('skb: __sk_buff holds len and protocol; cb[] is writable', () => {
  const pkt = new Uint8Array(20);
  pkt[12] = 0x86; pkt[13] = 0xdd;
  const p = prog(asm('ldxw %r0, [%r1+0]\nldxw %r2, [%r1+16]\nstxw [%r1+48], %r2\nldxw %r3, [%r1+48]\nlsh %r3, 32\nor %r0, %r3\nexit'), 'sched_cls');
  assert.equal(run(p, { packet: pkt }).r0, (0xdd86n << 32n) | 20n);
});

test('array map: lookup gives a writable value pointer; updates follow BPF_ANY/NOEXIST; delete is -EINVAL', () => {
  // key 1 on the stack; value = lookup(map, &key); *value += 5; r0 = update(map, &key, value, NOEXIST)
  const insns = [
    ...asm('stw [%r10-4], 1\nmov %r2, %r10\nadd %r2, -4'), ...ldMap(1, 3),
    ins('call', 0, 0, 0, 1),
    ...asm('jeq %r0, 0, +7\nldxdw %r6, [%r0+0]\nadd %r6, 5\nstxdw [%r0+0], %r6\nmov %r3, %r0\nmov %r2, %r10\nadd %r2, -4\nmov %r4, 1'),
    ...ldMap(1, 3), ins('call', 0, 0, 0, 2), ins('exit'),
  ];
  const r = run(prog(insns, 'xdp', [map(3, 2, 4, 8, 4)]));
  assert.equal(r.error, undefined);
  assert.equal(r.r0, BigInt.asUintN(64, BigInt(-ERRNO.EEXIST)));
  assert.deepEqual(r.maps[0]!.entries, [{ key: '01000000', value: '0500000000000000' }]);
});

test('hash map: NOEXIST/EXIST flags, max_entries and delete as in the kernel', () => {
  const call = (helper: number, flags: number): Insn[] => [
    ...asm(`mov %r2, %r10\nadd %r2, -8\nmov %r3, %r10\nadd %r3, -16\nmov %r4, ${flags}`), ...ldMap(1, 0), ins('call', 0, 0, 0, helper),
  ];
  const rets = (key: number, steps: Insn[][]): Insn[] => {
    const out: Insn[] = [...asm(`stdw [%r10-8], ${key}\nstdw [%r10-16], 99\nmov %r7, 0`)];
    steps.forEach((s, i) => { out.push(...s, ...asm(`and %r0, 0xff\nlsh %r7, 8\nor %r7, %r0`)); void i; });
    out.push(...asm('mov %r0, %r7\nexit'));
    return out;
  };
  // update EXIST on a missing key, update NOEXIST, update NOEXIST again, delete, delete again
  const p = prog(rets(1, [call(2, 2), call(2, 1), call(2, 1), call(3, 0), call(3, 0)]), 'xdp', [map(0, 1, 8, 8, 1)]);
  const r = run(p);
  const b = (e: number): bigint => BigInt(-e & 0xff);
  assert.equal(r.r0, (b(ERRNO.ENOENT) << 32n) | (0n << 24n) | (b(ERRNO.EEXIST) << 16n) | (0n << 8n) | b(ERRNO.ENOENT));
  const full = prog(rets(1, [call(2, 0), ...[asm('stdw [%r10-8], 2')], call(2, 0)]), 'xdp', [map(0, 1, 8, 8, 1)]);
  assert.equal(run(full).r0 & 0xffn, b(ERRNO.E2BIG));
});

test('tail call ends the program and is recorded; redirect_map misses return the flags action', () => {
  const tail = prog([...ldMap(2, 0), ...asm('mov %r3, 2\ncall 12\nmov %r0, 9\nexit')], 'socket_filter', [map(0, 3, 4, 4, 8)]);
  const r = run(tail);
  assert.deepEqual(r.sideEffects, { tailCall: { mapFd: 0, index: 2 } });
  const miss = prog([...ldMap(2, 0), ...asm('mov %r3, 9\ncall 12\nmov %r0, 9\nexit')], 'socket_filter', [map(0, 3, 4, 4, 8)]);
  assert.equal(run(miss).r0, 9n);
  const redirect = prog([...ldMap(1, 1), ...asm('mov %r2, 3\nmov %r3, 2\ncall 51\nexit')], 'xdp', [map(1, 14, 4, 4, 8)]);
  assert.equal(run(redirect).r0, 2n);
  const seeded = run(redirect, { mapSeeds: new Map([[1, [['03000000', '05000000']]]]) });
  assert.equal(seeded.r0, 4n);
  assert.deepEqual(seeded.sideEffects.redirect, { mapFd: 1, key: 3, flags: 2 });
});

test('time, randomness and CPU come from the input; unsupported helpers are typed errors', () => {
  const p = prog(asm('call 7\nmov %r6, %r0\ncall 7\nlsh %r0, 32\nor %r0, %r6\nexit'), 'xdp');
  assert.equal(run(p, { randoms: [5, 6] }).r0, (6n << 32n) | 5n);
  assert.equal(run(prog(asm('call 5\nexit'), 'xdp'), { timeNs: 123n }).r0, 123n);
  const bad = run(prog(asm('call 999\nexit'), 'xdp'));
  assert.deepEqual([bad.error?.kind, bad.error?.pc], ['unsupported-helper', 0]);
});

test('execution is bounded: a loop exhausts the instruction budget with a clear error', () => {
  const r = runProgram(toRunnable(prog(asm('ja -1\nexit'))), { packet: new Uint8Array(0) }, { maxInsns: 1000 });
  assert.equal(r.error?.kind, 'budget');
  assert.match(r.error!.message, /budget of 1000/);
});

test('a reused session gives exactly the results of fresh machines, input after input', () => {
  const p = prog([
    ...asm('ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r4, %r2\nadd %r4, 4\njgt %r4, %r3, +9\nldxw %r5, [%r2+0]\nstw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4'),
    ...ldMap(1, 0), ins('call', 0, 0, 0, 1), ...asm('jeq %r0, 0, +1\nstxw [%r0+0], %r5\nmov %r0, 2\nexit'),
  ], 'xdp', [map(0, 6, 4, 4, 2)]);
  const r = toRunnable(p);
  const session = new Session(r);
  for (let i = 0; i < 20; i++) {
    const input = { packet: new Uint8Array(i % 7).map((_, j) => (i * 31 + j) & 0xff) };
    session.run(input);
    assert.deepEqual(session.result(), runProgram(r, input));
  }
});

test('skb: caller-set cb[], mark and priority are inputs (a tail-call chain passes them on)', () => {
  const p = prog(asm('ldxw %r0, [%r1+48]\nldxw %r2, [%r1+8]\nadd %r0, %r2\nldxw %r2, [%r1+32]\nadd %r0, %r2\nexit'), 'socket_filter');
  const cb = new Uint8Array(20);
  cb[0] = 7;
  assert.equal(run(p, { packet: new Uint8Array(20), skbCb: cb, skbMark: 100, skbPriority: 1000 }).r0, 1107n);
  assert.equal(run(p, { packet: new Uint8Array(20) }).r0, 0n);
});
