/**
 * Packet helpers of XDP and skb programs with the kernel's argument checks and return values
 * (net/core/filter.c): loading/storing bytes, checksum fix-ups, growing and shrinking the packet,
 * redirects, and fib_lookup (its answer comes from the input's environment model).
 */
import { HELPER_IDS } from '../ebpf/helpers.js';
import { csumPartial, csumSub, csumReplace2, csumReplace4, csumReplaceByDiff } from './checksum.js';
import { ExecFault } from './fault.js';
import { bytesArg, ret, u32, usedEnvironment, writeArg, type HelperFn } from './helper-base.js';
import { ETH_HLEN, SKB, type Machine } from './machine.js';
import { ERRNO } from './maps.js';
import { REGION_BASE } from './memory.js';
import { TC_ACT } from '../ebpf/abi.js';

const H = HELPER_IDS;
const ENOTSUPP = 524;
const EAFNOSUPPORT = 97;
const ENOMEM = 12;
/** sizeof(struct xdp_frame) on 64-bit Linux: the headroom's first bytes are reserved for it. */
export const XDP_FRAME_SIZE = 40;
/** BPF_PROG_TEST_RUN's XDP frame: one 4096-byte page, minus the tailroom kept for skb_shared_info (320). */
const XDP_FRAME_END = 4096 - 320;
/** __bpf_skb_max_len on the test run's loopback device: MTU 65536 + the 14-byte hard header. */
const SKB_MAX_LEN = 65536 + ETH_HLEN;

function requireModel(m: Machine, model: 'xdp' | 'skb', helper: string): void {
  if (m.model !== model) throw new ExecFault('helper-argument', `${helper}: not available to this program type`);
}

/** The packet's bytes from data to data_end (a copy). */
const packetData = (m: Machine): Uint8Array => m.packet!.bytes.slice(m.dataStart - m.packet!.base, m.dataEnd - m.packet!.base);

/** Replaces the packet from data on with `bytes` (data stays where it is). */
function setPacketData(m: Machine, bytes: Uint8Array): void {
  m.resizePacket(m.dataStart + bytes.length);
  m.packet!.bytes.set(bytes, m.dataStart - m.packet!.base);
  m.dataEnd = m.dataStart + bytes.length;
  if (m.model === 'skb') m.syncSkbContext(); else m.syncXdpContext();
}

const skbLen = (m: Machine): number => m.dataEnd - m.dataStart;

/** skb_load_bytes(ctx, off, to, len) and xdp_load_bytes. */
const loadBytes = (xdp: boolean): HelperFn => (m) => {
  requireModel(m, xdp ? 'xdp' : 'skb', xdp ? 'xdp_load_bytes' : 'skb_load_bytes');
  const off = u32(m, 2), len = u32(m, 4);
  // A flow dissector's load_bytes reads through ctx->skb, which the kernel's test run (and eth_get_headlen) leaves NULL.
  if (m.progKind === 'flow') { writeArg(m, 3, new Uint8Array(len)); ret(m, -ERRNO.EFAULT); return; }
  if (off > 0xffff || (xdp && len > 0xffff)) { if (!xdp) writeArg(m, 3, new Uint8Array(len)); ret(m, -ERRNO.EFAULT); return; }
  if (off + len > skbLen(m)) { if (!xdp) writeArg(m, 3, new Uint8Array(len)); ret(m, xdp ? -ERRNO.EINVAL : -ERRNO.EFAULT); return; }
  writeArg(m, 3, packetData(m).subarray(off, off + len));
  ret(m, 0);
};

/** skb_store_bytes(ctx, off, from, len, flags) and xdp_store_bytes(ctx, off, from, len). */
const storeBytes = (xdp: boolean): HelperFn => (m) => {
  requireModel(m, xdp ? 'xdp' : 'skb', xdp ? 'xdp_store_bytes' : 'skb_store_bytes');
  const off = u32(m, 2), len = u32(m, 4);
  if (!xdp && (m.lo[5]! & ~3 || m.hi[5] !== 0)) { ret(m, -ERRNO.EINVAL); return; }
  if (off > 0xffff || (xdp && len > 0xffff)) { ret(m, -ERRNO.EFAULT); return; }
  if (off + len > skbLen(m)) { ret(m, xdp ? -ERRNO.EINVAL : -ERRNO.EFAULT); return; }
  m.packet!.bytes.set(bytesArg(m, 3, len), m.dataStart - m.packet!.base + off);
  ret(m, 0);
};

/** The 16-bit checksum field at packet offset `off` (checked like the kernel: even, in the packet). */
function csumField(m: Machine, off: number): number {
  if (off > 0xffff || off & 1 || off + 2 > skbLen(m)) return -1;
  return m.dataStart - m.packet!.base + off;
}

const l3CsumReplace: HelperFn = (m) => {
  requireModel(m, 'skb', 'l3_csum_replace');
  const flags = m.lo[5]! >>> 0;
  if (flags & ~0xf || m.hi[5] !== 0) { ret(m, -ERRNO.EINVAL); return; }
  const at = csumField(m, u32(m, 2));
  if (at < 0) { ret(m, -ERRNO.EFAULT); return; }
  const v = m.packet!.view, sum = v.getUint16(at, true);
  const from = u32(m, 3), to = u32(m, 4);
  switch (flags & 0xf) {
    case 0: if (from !== 0 || m.hi[3] !== 0) { ret(m, -ERRNO.EINVAL); return; } v.setUint16(at, csumReplaceByDiff(sum, to), true); break;
    case 2: v.setUint16(at, csumReplace2(sum, from & 0xffff, to & 0xffff), true); break;
    case 4: v.setUint16(at, csumReplace4(sum, from, to), true); break;
    default: ret(m, -ERRNO.EINVAL); return;
  }
  ret(m, 0);
};

const BPF_F_PSEUDO_HDR = 1 << 4, BPF_F_MARK_MANGLED_0 = 1 << 5, BPF_F_MARK_ENFORCE = 1 << 6, BPF_F_IPV6 = 1 << 7;

const l4CsumReplace: HelperFn = (m) => {
  requireModel(m, 'skb', 'l4_csum_replace');
  const flags = m.lo[5]! >>> 0;
  if (flags & ~(BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_PSEUDO_HDR | BPF_F_IPV6 | 0xf) || m.hi[5] !== 0) { ret(m, -ERRNO.EINVAL); return; }
  const at = csumField(m, u32(m, 2));
  if (at < 0) { ret(m, -ERRNO.EFAULT); return; }
  const v = m.packet!.view, sum = v.getUint16(at, true);
  const mangled0 = (flags & BPF_F_MARK_MANGLED_0) !== 0;
  if (mangled0 && !(flags & BPF_F_MARK_ENFORCE) && sum === 0) { ret(m, 0); return; }
  const from = u32(m, 3), to = u32(m, 4);
  let r: number;
  switch (flags & 0xf) {
    case 0: if (from !== 0 || m.hi[3] !== 0) { ret(m, -ERRNO.EINVAL); return; } r = csumReplaceByDiff(sum, to); break;
    case 2: r = csumReplace4(sum, from & 0xffff, to & 0xffff); break;
    case 4: r = csumReplace4(sum, from, to); break;
    default: ret(m, -ERRNO.EINVAL); return;
  }
  v.setUint16(at, mangled0 && r === 0 ? 0xffff : r, true);
  ret(m, 0);
};

/**
 * csum_diff(from, from_size, to, to_size, seed): sizes multiples of 4, at most 512 bytes together.
 * Linux ≥ 6.13 computes it the same on every architecture: partial(to, seed) − partial(from), or
 * one side alone (~partial(from, ~seed) for a removal only), folded to 16 bits (not complemented).
 * Checked against BPF_PROG_TEST_RUN (test/kernel/csum-*.s).
 */
const csumDiff: HelperFn = (m) => {
  const fromSize = u32(m, 2), toSize = u32(m, 4);
  if ((fromSize | toSize) & 3 || fromSize + toSize > 512) { ret(m, -ERRNO.EINVAL); return; }
  const wordsOf = (r: number, size: number): number[] => {
    if (size === 0) return [];
    const b = bytesArg(m, r, size), v = new DataView(b.buffer);
    return Array.from({ length: size / 4 }, (_, i) => v.getUint32(4 * i, true));
  };
  const from = wordsOf(1, fromSize), to = wordsOf(3, toSize), seed = u32(m, 5);
  let r: number;
  if (fromSize && toSize) r = csumSub(csumPartial(to, seed), csumPartial(from, 0));
  else if (toSize) r = csumPartial(to, seed);
  else if (fromSize) r = ~csumPartial(from, ~seed >>> 0) >>> 0;
  else r = seed;
  let f = (r & 0xffff) + (r >>> 16);
  f = (f & 0xffff) + (f >>> 16);
  m.lo[0] = f; m.hi[0] = 0;
};

const xdpAdjustHead: HelperFn = (m) => {
  requireModel(m, 'xdp', 'xdp_adjust_head');
  const delta = m.lo[2]!;
  const metalen = m.dataStart - m.dataMeta;
  const newStart = m.dataStart + delta;
  if (newStart < REGION_BASE.packet + XDP_FRAME_SIZE + metalen || newStart > m.dataEnd - ETH_HLEN) { ret(m, -ERRNO.EINVAL); return; }
  if (metalen > 0) {
    const b = m.packet!.bytes, o = m.dataMeta - m.packet!.base;
    b.copyWithin(o + delta, o, o + metalen);
  }
  m.dataMeta += delta;
  m.dataStart = newStart;
  m.syncXdpContext();
  ret(m, 0);
};

const xdpAdjustMeta: HelperFn = (m) => {
  requireModel(m, 'xdp', 'xdp_adjust_meta');
  const meta = m.dataMeta + m.lo[2]!;
  const metalen = m.dataStart - meta;
  if (meta < REGION_BASE.packet + XDP_FRAME_SIZE || meta > m.dataStart) { ret(m, -ERRNO.EINVAL); return; }
  if (metalen & 3 || metalen > 252) { ret(m, -13 /* EACCES */); return; }
  m.dataMeta = meta;
  m.syncXdpContext();
  ret(m, 0);
};

const xdpAdjustTail: HelperFn = (m) => {
  requireModel(m, 'xdp', 'xdp_adjust_tail');
  const delta = m.lo[2]!;
  const end = m.dataEnd + delta;
  if (end < m.dataStart + ETH_HLEN || end > REGION_BASE.packet + XDP_FRAME_END) { ret(m, -ERRNO.EINVAL); return; }
  if (delta > 0) m.resizePacket(Math.max(end, m.packet!.end));
  if (delta > 0) m.packet!.bytes.fill(0, m.dataEnd - m.packet!.base, end - m.packet!.base);
  m.dataEnd = end;
  m.syncXdpContext();
  ret(m, 0);
};

const skbChangeTail: HelperFn = (m) => {
  requireModel(m, 'skb', 'skb_change_tail');
  const newLen = u32(m, 2);
  // __bpf_skb_min_len: the network header offset (the test run sets no transport header).
  const minLen = m.progKind === 'tc' ? ETH_HLEN : 0;
  if (m.lo[3] !== 0 || m.hi[3] !== 0 || m.hi[2] !== 0 || newLen > SKB_MAX_LEN || newLen < minLen) { ret(m, -ERRNO.EINVAL); return; }
  const old = packetData(m);
  const next = new Uint8Array(newLen);
  next.set(old.subarray(0, Math.min(newLen, old.length)));
  setPacketData(m, next);
  ret(m, 0);
};

const skbChangeHead: HelperFn = (m) => {
  requireModel(m, 'skb', 'skb_change_head');
  const room = u32(m, 2);
  if (m.lo[3] !== 0 || m.hi[3] !== 0 || m.hi[2] !== 0 || skbLen(m) + room > SKB_MAX_LEN) { ret(m, -ERRNO.EINVAL); return; }
  const old = packetData(m);
  const next = new Uint8Array(old.length + room);
  next.set(old, room);
  setPacketData(m, next);
  ret(m, 0);
};

/** Inserts `len` zero bytes at `off` (or removes `len` bytes there when negative), as bpf_skb_generic_push/pop. */
function spliceAt(m: Machine, off: number, len: number): void {
  const old = packetData(m);
  const next = new Uint8Array(old.length + len);
  next.set(old.subarray(0, off));
  if (len >= 0) next.set(old.subarray(off), off + len); else next.set(old.subarray(off - len), off);
  setPacketData(m, next);
}

const ETH_P_IP = 0x0800, ETH_P_IPV6 = 0x86dd;
const skbProtocol = (m: Machine): number => { const c = m.ctx!.bytes; return (c[SKB.protocol]! << 8) | c[SKB.protocol + 1]!; };
const netBaseLen = (proto: number): number => (proto === ETH_P_IP ? 20 : proto === ETH_P_IPV6 ? 40 : 0);

const skbChangeProto: HelperFn = (m) => {
  requireModel(m, 'skb', 'skb_change_proto');
  const to = ((m.lo[2]! & 0xff) << 8) | ((m.lo[2]! >>> 8) & 0xff); // __be16 in the register
  const from = skbProtocol(m);
  if (m.lo[3] !== 0 || m.hi[3] !== 0) { ret(m, -ERRNO.EINVAL); return; }
  if (from === ETH_P_IP && to === ETH_P_IPV6) spliceAt(m, ETH_HLEN, 20);
  else if (from === ETH_P_IPV6 && to === ETH_P_IP) {
    if (skbLen(m) - ETH_HLEN < 40) { ret(m, -ERRNO.EINVAL); return; }
    spliceAt(m, ETH_HLEN, -20);
  } else { ret(m, -ENOTSUPP); return; }
  m.ctx!.bytes[SKB.protocol] = to >> 8; m.ctx!.bytes[SKB.protocol + 1] = to & 0xff;
  ret(m, 0);
};

const skbAdjustRoom: HelperFn = (m) => {
  requireModel(m, 'skb', 'skb_adjust_room');
  const lenDiff = m.lo[2]!, mode = u32(m, 3), flags = u32(m, 4);
  const flagsHi = m.hi[4]! >>> 0;
  if ((flags & ~0x1ff) !== 0 || (flagsHi & 0x00ff_ffff) !== 0 || m.hi[3] !== 0) { ret(m, -ERRNO.EINVAL); return; }
  const abs = Math.abs(lenDiff);
  if (abs > 0xfff) { ret(m, -ERRNO.EFAULT); return; }
  const proto = skbProtocol(m);
  if (proto !== ETH_P_IP && proto !== ETH_P_IPV6) { ret(m, -ENOTSUPP); return; }
  let off = m.progKind === 'tc' ? ETH_HLEN : 0;
  if (mode === 0) off += netBaseLen(proto); else if (mode !== 1) { ret(m, -ENOTSUPP); return; }
  const shrink = lenDiff < 0;
  if (flags & 0x180 && !shrink) { ret(m, -ERRNO.EINVAL); return; } // DECAP_L3_*: shrinking only
  const lenCur = skbLen(m) - (m.progKind === 'tc' ? ETH_HLEN : 0);
  if ((shrink && (abs >= lenCur || lenCur - abs < netBaseLen(proto))) || (!shrink && skbLen(m) + abs > SKB_MAX_LEN)) { ret(m, -ENOTSUPP); return; }
  if (shrink && flags & ~(0x1 | 0x20 | 0x180)) { ret(m, -ERRNO.EINVAL); return; } // encap flags: growing only
  if (!shrink && flags & 0x6) { // ENCAP_L3_IPV4 | ENCAP_L3_IPV6
    if ((flags & 0x6) === 0x6 || (flags & 0x18) === 0x18) { ret(m, -ERRNO.EINVAL); return; }
    const innerMac = flagsHi >>> 24;
    if (flags & 0x40 && innerMac !== ETH_HLEN) { ret(m, -ERRNO.EINVAL); return; }
    if (innerMac > abs) { ret(m, -ERRNO.EINVAL); return; }
  }
  spliceAt(m, off, lenDiff);
  ret(m, 0);
};

const skbPullData: HelperFn = (m) => {
  requireModel(m, 'skb', 'skb_pull_data');
  ret(m, u32(m, 2) > skbLen(m) || m.hi[2] !== 0 ? -ENOMEM : 0);
};

const skbChangeType: HelperFn = (m) => {
  requireModel(m, 'skb', 'skb_change_type');
  const t = u32(m, 2);
  const v = m.ctx!.view;
  if (v.getUint32(SKB.pktType, true) > 3 || t > 3 || m.hi[2] !== 0) { ret(m, -ERRNO.EINVAL); return; }
  v.setUint32(SKB.pktType, t, true);
  ret(m, 0);
};

const redirectPeer: HelperFn = (m) => {
  if (m.lo[2] !== 0 || m.hi[2] !== 0) { ret(m, TC_ACT.SHOT); return; }
  m.sideEffects.redirect = { ifindex: u32(m, 1), flags: 0, peer: true };
  ret(m, TC_ACT.REDIRECT);
};

const redirectNeigh: HelperFn = (m) => {
  const plen = u32(m, 3);
  if ((plen !== 0 && plen < 20) || m.lo[4] !== 0 || m.hi[4] !== 0) { ret(m, TC_ACT.SHOT); return; }
  m.sideEffects.redirect = { ifindex: u32(m, 1), flags: 0, neigh: true };
  ret(m, TC_ACT.REDIRECT);
};

/** struct bpf_fib_lookup: 64 bytes; family at 0, ifindex at 8, smac at 52, dmac at 58 (mtu_result shares tot_len at 4). */
const FIB_SIZE = 64;

const fibLookup: HelperFn = (m) => {
  usedEnvironment(m, H.fib_lookup);
  const plen = u32(m, 3), flags = u32(m, 4);
  if (plen < FIB_SIZE || (flags & ~0x3f) !== 0 || m.hi[4] !== 0) { ret(m, -ERRNO.EINVAL); return; }
  const p = bytesArg(m, 2, FIB_SIZE);
  if (p[0] !== 2 && p[0] !== 10) { ret(m, -EAFNOSUPPORT); return; }
  const a = m.input.fib ?? { ret: 4 };
  const v = new DataView(p.buffer);
  if (a.ret === 0 || a.ret === 7) { if (a.ifindex !== undefined) v.setUint32(8, a.ifindex, true); }
  if (a.ret === 0) {
    if (a.smac) p.set(Buffer.from(a.smac, 'hex').subarray(0, 6), 52);
    if (a.dmac) p.set(Buffer.from(a.dmac, 'hex').subarray(0, 6), 58);
  }
  if (a.ret === 8 && a.mtu !== undefined) v.setUint16(4, a.mtu, true);
  writeArg(m, 2, p);
  ret(m, a.ret);
};

/** skb_set_tunnel_key(ctx, key, size, flags): the key is a side effect; sizes and flags checked. */
const skbSetTunnelKey: HelperFn = (m) => {
  const size = u32(m, 3), flags = u32(m, 4);
  if ((flags & ~0x1f) !== 0 || m.hi[4] !== 0 || ![8, 22, 24, 28, 44].includes(size)) { ret(m, -ERRNO.EINVAL); return; }
  const key = bytesArg(m, 2, size);
  const kv = new DataView(key.buffer);
  if (size >= 24 && kv.getUint16(22, true) !== 0) { ret(m, -ERRNO.EINVAL); return; }
  if (size >= 28 && !(flags & 1) && kv.getUint32(24, true) !== 0) { ret(m, -ERRNO.EINVAL); return; }
  (m.sideEffects.tunnelKeys ??= []).push(Buffer.from(key).toString('hex'));
  ret(m, 0);
};

const skbGetTunnelKey: HelperFn = (m) => {
  usedEnvironment(m, H.skb_get_tunnel_key);
  writeArg(m, 2, new Uint8Array(u32(m, 3)));
  ret(m, -ERRNO.ENOENT); // a test-run packet carries no tunnel metadata
};

export function addPacketHelpers(t: (HelperFn | undefined)[]): void {
  t[H.skb_load_bytes] = loadBytes(false);
  t[H.xdp_load_bytes] = loadBytes(true);
  t[H.skb_store_bytes] = storeBytes(false);
  t[H.xdp_store_bytes] = storeBytes(true);
  t[H.l3_csum_replace] = l3CsumReplace;
  t[H.l4_csum_replace] = l4CsumReplace;
  t[H.csum_diff] = csumDiff;
  t[H.xdp_adjust_head] = xdpAdjustHead;
  t[H.xdp_adjust_meta] = xdpAdjustMeta;
  t[H.xdp_adjust_tail] = xdpAdjustTail;
  t[H.skb_change_tail] = skbChangeTail;
  t[H.skb_change_head] = skbChangeHead;
  t[H.skb_change_proto] = skbChangeProto;
  t[H.skb_change_type] = skbChangeType;
  t[H.skb_adjust_room] = skbAdjustRoom;
  t[H.skb_pull_data] = skbPullData;
  t[H.redirect_peer] = redirectPeer;
  t[H.redirect_neigh] = redirectNeigh;
  t[H.fib_lookup] = fibLookup;
  t[H.skb_set_tunnel_key] = skbSetTunnelKey;
  t[H.skb_get_tunnel_key] = skbGetTunnelKey;
}
