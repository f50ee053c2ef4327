/**
 * Seeded packet generator for differential tests: structured frames (Ethernet, 802.1Q/802.1ad
 * VLAN tags, IPv4 with options and fragments, IPv6 with a hop-by-hop header, ARP, an inner
 * frame; TCP, UDP, ICMP, ICMPv6 with random fields and payloads), the same with a few bytes
 * flipped, random bytes, and frames cut to edge lengths (header boundaries, minimum, maximum).
 */
import type { Rng } from '../common/rng.js';

export interface PacketOptions {
  /** Shortest packet to produce (the kernel's test run needs 14, an Ethernet header). */
  minLen: number;
  maxLen: number;
}

export type PacketKind = 'structured' | 'mutated' | 'random' | 'edge' | 'args';

/** Lengths where parsers check bounds: Ethernet, VLAN, IPv4/IPv6, +UDP/ICMP, +TCP headers. */
const EDGE_LENGTHS = [0, 1, 13, 14, 15, 17, 18, 19, 20, 33, 34, 35, 37, 38, 41, 42, 43, 53, 54, 55, 58, 61, 62, 74, 75];
const WELL_KNOWN_PORTS = [80, 443, 22, 53, 8080, 25, 123, 7, 67, 68];

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)]!;
const chance = (rng: Rng, p: number): boolean => rng.float() < p;

function u16(out: number[], v: number): void { out.push((v >>> 8) & 0xff, v & 0xff); }
function bytes(out: number[], rng: Rng, n: number): void { for (let i = 0; i < n; i++) out.push(rng.u32() & 0xff); }

function macAddress(rng: Rng): number[] {
  const r = rng.float();
  if (r < 0.15) return [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
  if (r < 0.25) return [0x01, 0x00, 0x5e, rng.int(128), rng.int(256), rng.int(256)];
  if (r < 0.35) return [0, 0, 0, 0, 0, 0];
  const m = Array.from({ length: 6 }, () => rng.int(256));
  if (r < 0.85) m[0] = m[0]! & 0xfe; // unicast
  return m;
}

function port(rng: Rng): number {
  return chance(rng, 0.5) ? pick(rng, WELL_KNOWN_PORTS) : rng.int(65536);
}

function l4(rng: Rng, proto: number): number[] {
  const out: number[] = [];
  const payload = chance(rng, 0.3) ? 0 : rng.int(48);
  if (proto === 6) { // TCP
    u16(out, port(rng)); u16(out, port(rng));
    bytes(out, rng, 8); // seq, ack
    const words = chance(rng, 0.8) ? 5 : 5 + rng.int(11);
    out.push((words << 4) | rng.int(2), rng.int(256)); // data offset, flags
    bytes(out, rng, 6); // window, checksum, urgent pointer
    bytes(out, rng, (words - 5) * 4); // options
  } else if (proto === 17) { // UDP
    u16(out, port(rng)); u16(out, port(rng));
    u16(out, chance(rng, 0.8) ? 8 + payload : rng.int(65536));
    bytes(out, rng, 2);
  } else if (proto === 1 || proto === 58) { // ICMP / ICMPv6
    out.push(proto === 1 ? pick(rng, [0, 3, 8, 11, rng.int(256)]) : pick(rng, [128, 129, 133, 134, 135, 136, rng.int(256)]), rng.int(256));
    bytes(out, rng, 6);
  }
  bytes(out, rng, payload);
  return out;
}

function ipv4(rng: Rng): number[] {
  const proto = pick(rng, [6, 6, 17, 17, 1, rng.int(256)]);
  const optWords = chance(rng, 0.9) ? 0 : 1 + rng.int(10);
  const rest = l4(rng, proto);
  const out: number[] = [];
  out.push(chance(rng, 0.95) ? 0x40 | (5 + optWords) : rng.int(256), rng.int(256));
  u16(out, chance(rng, 0.8) ? 20 + optWords * 4 + rest.length : rng.int(65536));
  bytes(out, rng, 2); // id
  u16(out, chance(rng, 0.8) ? pick(rng, [0, 0x4000]) : rng.int(65536)); // flags, fragment offset
  out.push(rng.int(256), proto);
  bytes(out, rng, 2 + 8); // checksum, addresses
  bytes(out, rng, optWords * 4);
  return out.concat(rest);
}

function ipv6(rng: Rng): number[] {
  let next = pick(rng, [6, 6, 17, 17, 58, rng.int(256)]);
  let ext: number[] = [];
  if (chance(rng, 0.1)) { // hop-by-hop options header in front
    ext = [next, 0];
    bytes(ext, rng, 6);
    next = 0;
  }
  const rest = ext.concat(l4(rng, ext.length > 0 ? ext[0]! : next));
  const out: number[] = [0x60 | rng.int(16)];
  bytes(out, rng, 3);
  u16(out, chance(rng, 0.8) ? rest.length : rng.int(65536));
  out.push(next, rng.int(256));
  bytes(out, rng, 32);
  return out.concat(rest);
}

function arp(rng: Rng): number[] {
  const out: number[] = [];
  u16(out, 1); u16(out, 0x0800); out.push(6, 4);
  u16(out, chance(rng, 0.9) ? 1 + rng.int(2) : rng.int(65536));
  bytes(out, rng, 20);
  return out;
}

/**
 * A well-formed-looking frame (its length may exceed maxLen: callers cut it). One in ten carries
 * a whole inner frame (Transparent Ethernet Bridging, 0x6558): socket filters, which the kernel's
 * test run starts after the outer Ethernet header, then still see a parseable frame.
 */
export function structuredFrame(rng: Rng, nested = false): Uint8Array {
  const out = [...macAddress(rng), ...macAddress(rng).map((b, i) => (i === 0 ? b & 0xfe : b))];
  if (!nested && chance(rng, 0.1)) {
    u16(out, 0x6558);
    return Uint8Array.from([...out, ...structuredFrame(rng, true)]);
  }
  const tags = chance(rng, 0.15) ? 1 + rng.int(2) : 0;
  for (let t = 0; t < tags; t++) { u16(out, tags === 2 && t === 0 ? 0x88a8 : 0x8100); u16(out, rng.int(65536)); }
  const r = rng.float();
  if (r < 0.45) { u16(out, 0x0800); out.push(...ipv4(rng)); }
  else if (r < 0.75) { u16(out, 0x86dd); out.push(...ipv6(rng)); }
  else if (r < 0.88) { u16(out, 0x0806); out.push(...arp(rng)); }
  else { u16(out, chance(rng, 0.5) ? rng.int(0x600) : rng.int(65536)); bytes(out, rng, rng.int(64)); }
  return Uint8Array.from(out);
}

/** `p` cut or zero-padded to exactly `len` bytes. */
function fit(p: Uint8Array, len: number): Uint8Array {
  if (p.length === len) return p;
  const out = new Uint8Array(len);
  out.set(p.subarray(0, len));
  return out;
}

export function generatePacket(rng: Rng, opts: PacketOptions): { packet: Uint8Array; kind: PacketKind } {
  const { minLen, maxLen } = opts;
  const clamp = (n: number): number => Math.max(minLen, Math.min(maxLen, n));
  const r = rng.float();
  if (r < 0.55) {
    const f = structuredFrame(rng);
    // Now and then cut short, to reach every bounds check.
    const len = chance(rng, 0.2) ? minLen + rng.int(Math.max(1, Math.min(f.length, maxLen) - minLen + 1)) : f.length;
    return { packet: fit(f, clamp(len)), kind: 'structured' };
  }
  if (r < 0.7) {
    const f = structuredFrame(rng);
    const p = fit(f, clamp(f.length)).slice();
    for (let k = 1 + rng.int(4); k > 0 && p.length > 0; k--) p[rng.int(p.length)] = rng.int(256);
    return { packet: p, kind: 'mutated' };
  }
  if (r < 0.85) return { packet: rng.bytes(minLen + rng.int(maxLen - minLen + 1)), kind: 'random' };
  const lengths = [...EDGE_LENGTHS, minLen, minLen + 1, maxLen - 1, maxLen].filter((n) => n >= minLen && n <= maxLen);
  const len = pick(rng, lengths);
  const content = rng.float();
  const packet = content < 0.5 ? fit(structuredFrame(rng), len) : content < 0.8 ? rng.bytes(len) : new Uint8Array(len);
  return { packet, kind: 'edge' };
}

/**
 * Arguments of a raw tracepoint (`n` u64s, little-endian): each one, with equal odds, a small
 * number (an irq or softirq number, a flag), a random 32-bit value or random 64 bits (a pointer
 * the program reads through bpf_probe_read_kernel: the environment model answers those reads).
 */
export function generateArgs(rng: Rng, n: number): { packet: Uint8Array; kind: PacketKind } {
  const out = new Uint8Array(8 * n);
  const v = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const r = rng.int(3);
    if (r === 0) v.setUint32(8 * i, rng.int(32), true);
    else if (r === 1) v.setUint32(8 * i, rng.u32(), true);
    else out.set(rng.bytes(8), 8 * i);
  }
  return { packet: out, kind: 'args' };
}
