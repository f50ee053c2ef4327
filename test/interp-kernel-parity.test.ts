/**
 * Regression tests for interpreter behaviour that the kernel oracle (BPF_PROG_TEST_RUN on Linux
 * 6.18) showed to differ: each expected value below is what the kernel returned for the same
 * program and input. They run without the kernel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../src/ebpf/asm.js';
import { MAP_TYPES, type MapDef, type ProgType } from '../src/ebpf/program.js';
import { runProgram, toRunnable } from '../src/interp/run.js';

function r0(src: string, progType: ProgType, packet: Uint8Array): bigint {
  const res = runProgram(toRunnable({ name: 't', source: 't', insns: assemble(src), maps: [], progType }), { packet });
  assert.equal(res.error, undefined, res.error?.message);
  return res.r0;
}

/** A 40-byte frame: bytes 1..40, with the given destination MAC and EtherType. */
function frame(dstMac: string, etherType: number): Uint8Array {
  const p = Uint8Array.from({ length: 40 }, (_, i) => i + 1);
  p.set(Buffer.from(dstMac, 'hex'), 0);
  p[12] = etherType >> 8; p[13] = etherType & 0xff;
  return p;
}

test('socket filter: LD_ABS and skb->len start at the network header (the test run consumed the Ethernet header)', () => {
  const p = frame('020000000001', 0x0800);
  assert.equal(r0('r6 = r1\nr0 = *(u32 *)skb[0]\nexit', 'socket_filter', p), 0x0f101112n);
  assert.equal(r0('r6 = r1\nr0 = *(u8 *)skb[25]\nexit', 'socket_filter', p), 0x28n);
  assert.equal(r0('r6 = r1\nr0 = *(u8 *)skb[26]\nexit', 'socket_filter', p), 0n, 'past the end');
  assert.equal(r0('r0 = *(u32 *)(r1 + 0)\nexit', 'socket_filter', p), 26n);
  // tc programs keep the Ethernet header in skb->data.
  assert.equal(r0('r6 = r1\nr0 = *(u32 *)skb[0]\nexit', 'sched_cls', p), 0x02000000n);
  assert.equal(r0('r0 = *(u32 *)(r1 + 0)\nexit', 'sched_cls', p), 40n);
  // The output packet is what the program sees (the kernel zeroes the consumed header in its copy).
  const out = runProgram(toRunnable({ name: 't', source: 't', insns: assemble('r0 = 0\nexit'), maps: [], progType: 'socket_filter' }), { packet: p }).packet;
  assert.deepEqual([...out], [...p.subarray(14)]);
});

test('LD_ABS at negative offsets: SKF_NET_OFF and SKF_LL_OFF bases', () => {
  const p = frame('020000000001', 0x0800);
  assert.equal(r0('r6 = r1\nr0 = *(u32 *)skb[-2097152]\nexit', 'socket_filter', p), 0x02000000n);
  assert.equal(r0('r6 = r1\nr0 = *(u32 *)skb[-2097116]\nexit', 'socket_filter', p), 0x25262728n);
  assert.equal(r0('r6 = r1\nr0 = *(u32 *)skb[-1048576]\nexit', 'socket_filter', p), 0x0f101112n);
  assert.equal(r0('r6 = r1\nr0 = *(u32 *)skb[-1048556]\nexit', 'socket_filter', p), 0x23242526n);
  assert.equal(r0('r6 = r1\nr0 = *(u32 *)skb[-1048580]\nexit', 'socket_filter', p), 0n, 'an LL offset past the frame');
  assert.equal(r0('r6 = r1\nr0 = *(u32 *)skb[-2097153]\nexit', 'socket_filter', p), 0n, 'below SKF_LL_OFF');
});

test('__sk_buff pkt_type, protocol and ingress_ifindex as eth_type_trans on the loopback sets them', () => {
  const pktType = 'r0 = *(u32 *)(r1 + 4)\nexit';
  assert.equal(r0(pktType, 'socket_filter', frame('020000000001', 0x0800)), 3n, 'PACKET_OTHERHOST');
  assert.equal(r0(pktType, 'socket_filter', frame('000000000000', 0x0800)), 0n, 'PACKET_HOST (the loopback address)');
  assert.equal(r0(pktType, 'socket_filter', frame('ffffffffffff', 0x0800)), 2n, 'broadcast counts as multicast');
  assert.equal(r0(pktType, 'sched_cls', frame('0100005e0001', 0x0800)), 2n, 'PACKET_MULTICAST');
  const proto = 'r0 = *(u32 *)(r1 + 16)\nexit';
  assert.equal(r0(proto, 'socket_filter', frame('020000000001', 0x8100)), 0x0081n);
  assert.equal(r0(proto, 'socket_filter', frame('020000000001', 0x05ff)), 0x0400n, 'an 802.3 length: ETH_P_802_2');
  const ipx = frame('020000000001', 0x0010);
  ipx[14] = 0xff; ipx[15] = 0xff;
  assert.equal(r0(proto, 'socket_filter', ipx), 0x0100n, 'raw 802.3 (IPX): ETH_P_802_3');
  assert.equal(r0('r0 = *(u32 *)(r1 + 36)\nexit', 'socket_filter', frame('020000000001', 0x0800)), 0n, 'no ingress device');
  assert.equal(r0('r0 = *(u32 *)(r1 + 40)\nexit', 'socket_filter', frame('020000000001', 0x0800)), 1n, 'the loopback');
});

test('xdp_adjust_head keeps sizeof(struct xdp_frame) = 40 bytes of the 256-byte headroom free', () => {
  // r0 = (adjust_head result << 16) | new packet length
  const prog = (delta: number): string => `r6 = r1\nr2 = ${delta}\ncall 44\nr7 = r0\nr2 = *(u32 *)(r6 + 0)\nr3 = *(u32 *)(r6 + 4)\nr3 -= r2\nr0 = r7\nr0 <<= 16\nr0 |= r3\nexit`;
  const p = new Uint8Array(14);
  assert.equal(r0(prog(-216), 'xdp', p), 230n, 'down to 40 bytes above the hard start: ok');
  assert.equal(r0(prog(-217), 'xdp', p), BigInt.asUintN(64, -22n << 16n) | 14n, '-EINVAL, packet unchanged');
  assert.equal(r0(prog(1), 'xdp', p), BigInt.asUintN(64, -22n << 16n) | 14n, 'fewer than ETH_HLEN bytes left: -EINVAL');
});

test('redirect_map: invalid flag bits abort, BPF_F_BROADCAST redirects without a hit (devmaps only)', () => {
  const devmap: MapDef = { name: 'tx', type: MAP_TYPES.devmap, keySize: 4, valueSize: 4, maxEntries: 4, fd: 1, flags: 0 };
  const cpumap: MapDef = { ...devmap, type: MAP_TYPES.cpumap };
  const redirect = (map: MapDef, flags: number): bigint => {
    const insns = [{ op: 0x18, dst: 1, src: 1, off: 0, imm: 1 }, { op: 0, dst: 0, src: 0, off: 0, imm: 0 }, ...assemble(`r2 = 1\nr3 = ${flags}\ncall 51\nexit`)];
    return runProgram(toRunnable({ name: 't', source: 't', insns, maps: [map], progType: 'xdp' }), { packet: new Uint8Array(14) }).r0;
  };
  // Values from the kernel (empty maps): [flags, devmap result, cpumap result].
  for (const [flags, dev, cpu] of [[2, 2n, 2n], [5, 0n, 0n], [8, 4n, 0n], [9, 4n, 0n], [16, 0n, 0n], [24, 4n, 0n], [-1, 0n, 0n]] as const) {
    assert.equal(redirect(devmap, flags), dev, `devmap, flags ${flags}`);
    assert.equal(redirect(cpumap, flags), cpu, `cpumap, flags ${flags}`);
  }
});

test('perf_event_output validates flags and the index like the kernel', () => {
  const perf: MapDef = { name: 'events', type: MAP_TYPES.perf_event_array, keySize: 4, valueSize: 4, maxEntries: 2, fd: 1, flags: 0 };
  const output = (flags: string): bigint => {
    const insns = [...assemble(`r6 = r1\n*(u64 *)(r10 - 8) = r6\nr1 = r6\n${flags}`), { op: 0x18, dst: 2, src: 1, off: 0, imm: 1 }, { op: 0, dst: 0, src: 0, off: 0, imm: 0 }, ...assemble('r4 = r10\nr4 += -8\nr5 = 8\ncall 25\nexit')];
    return runProgram(toRunnable({ name: 't', source: 't', insns, maps: [perf], progType: 'xdp' }), { packet: new Uint8Array(20) }).r0;
  };
  const neg = (e: number): bigint => BigInt.asUintN(64, BigInt(-e));
  assert.equal(output('r3 = -1'), neg(22), 'all 64 bits set: -EINVAL');
  assert.equal(output('r3 = 5'), neg(7), 'index past the array: -E2BIG');
  assert.equal(output('r3 = 90194313217 ll'), neg(14), '21 packet bytes wanted of 20 (21 << 32 | 1): -EFAULT');
  // Not the kernel's value: the interpreter takes perf event array slots as populated (as it does
  // prog array slots); the kernel's empty test map gives -ENOENT here.
  assert.equal(output('r3 = 85899345921 ll'), 0n, '20 packet bytes of 20, index 1');
  assert.equal(output('r3 = 4294967295 ll'), 0n, 'BPF_F_CURRENT_CPU');
});
